//! `snapport demo`: the console on a throw-away volume group (see [`crate::demo`]).

use std::io::Write as _;

use super::{DemoArgs, Failure};
use crate::config::Paths;
use crate::demo::Demo;
use crate::tui::ConsoleOptions;

/// Creates the demo, shows how to reach it, runs the console on it, tears down.
pub async fn run(
    args: DemoArgs,
    mut options: ConsoleOptions,
    paths: &Paths,
    read_only: bool,
) -> Result<(), Failure> {
    eprintln!("building the demo volume group…");
    let demo = Demo::create(args.keep).await.map_err(Failure::from)?;
    eprint!("{}", demo.describe());
    if let Some(directory) = &mut options.directory {
        directory.spec = Some(demo.spec.clone());
    }
    let result = match crate::connect::open(&demo.spec, paths, read_only).await {
        Ok(backend) => crate::tui::run(backend, options)
            .await
            .map_err(Failure::from),
        Err(err) => Err(Failure::from(err)),
    };
    if args.keep {
        // The terminal may be gone (SIGHUP): report without panicking on stderr.
        let _ = write!(std::io::stderr(), "the demo is kept:\n{}", demo.describe());
        demo.keep();
    }
    result
}
