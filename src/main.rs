//! snapport's entry point: parse the command line, start file logging, run.

use clap::Parser;

use snapport::cli::{self, Cli};
use snapport::config::Paths;

fn main() {
    let cli = Cli::parse();
    let paths = match Paths::discover() {
        Ok(paths) => paths,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::exit(cli::exit::FAILED);
        }
    };
    let _log = snapport::logging::init(&paths.log_file());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime starts");
    if let Err(failure) = runtime.block_on(cli::run(cli, &paths)) {
        if !failure.message.is_empty() {
            eprintln!("error: {}", snapport::output::visible(&failure.message));
        }
        tracing::error!(code = failure.code, message = %failure.message, "command failed");
        std::process::exit(failure.code);
    }
}
