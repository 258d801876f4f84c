//! `snapport demo`: the console on a throw-away volume group or, with `--rbd`, on a
//! throw-away Ceph cluster (see [`crate::demo`]).

use std::io::Write as _;
use std::time::Instant;

use tokio::signal::unix::{SignalKind, signal};

use super::{DemoArgs, Failure, exit};
use crate::config::{BackendSpec, Paths};
use crate::demo::DemoError;
use crate::demo::lvm::LvmDemo;
use crate::demo::rbd::RbdDemo;
use crate::tui::ConsoleOptions;

impl From<DemoError> for Failure {
    fn from(err: DemoError) -> Self {
        match err {
            DemoError::Backend(err) => err.into(),
            other => Self {
                code: exit::FAILED,
                message: other.to_string(),
            },
        }
    }
}

/// Creates the demo, shows how to reach it, runs the console on it, tears down.
pub async fn run(
    args: DemoArgs,
    options: ConsoleOptions,
    paths: &Paths,
    read_only: bool,
) -> Result<(), Failure> {
    if args.rbd {
        return run_rbd(options, paths, read_only).await;
    }
    eprintln!("building the demo volume group…");
    let demo = LvmDemo::create(args.keep).await?;
    eprint!("{}", demo.describe());
    let result = console(&demo.spec, options, paths, read_only).await;
    if args.keep {
        // The terminal may be gone (SIGHUP): report without panicking on stderr.
        let _ = write!(std::io::stderr(), "the demo is kept:\n{}", demo.describe());
        demo.keep();
    }
    result
}

/// The RBD demo: its bring-up takes seconds, so each step is reported on stderr with
/// the time it was done, before the console takes the screen; a signal meanwhile
/// (Ctrl-C) stops it and removes what was made.
async fn run_rbd(options: ConsoleOptions, paths: &Paths, read_only: bool) -> Result<(), Failure> {
    eprintln!(
        "starting a throw-away Ceph (one monitor, one OSD on memstore, one mgr) on 127.0.0.1…"
    );
    let started = Instant::now();
    let mut progress = |step: &str| {
        let _ = writeln!(
            std::io::stderr(),
            "  {:5.1} s  {step}",
            started.elapsed().as_secs_f64()
        );
    };
    let demo = tokio::select! {
        demo = RbdDemo::create(&mut progress) => demo?,
        signal = interrupted() => {
            return Err(Failure {
                code: exit::FAILED,
                message: format!("{signal} while the demo was starting: it is removed"),
            });
        }
    };
    eprintln!(
        "the demo Ceph is up and seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    eprint!("{}", demo.describe());
    console(&demo.spec, options, paths, read_only).await
}

/// The console on the demo's back end, which the switcher and the wizard know too.
async fn console(
    spec: &BackendSpec,
    mut options: ConsoleOptions,
    paths: &Paths,
    read_only: bool,
) -> Result<(), Failure> {
    if let Some(directory) = &mut options.directory {
        directory.spec = Some(spec.clone());
    }
    let backend = crate::connect::open(spec, paths, read_only).await?;
    crate::tui::run(backend, options)
        .await
        .map_err(Failure::from)
}

/// Resolves on SIGINT, SIGTERM or SIGHUP, naming it.
async fn interrupted() -> &'static str {
    let (Ok(mut terminate), Ok(mut hangup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "interrupted",
        _ = terminate.recv() => "terminated",
        _ = hangup.recv() => "hung up",
    }
}
