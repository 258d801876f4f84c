//! What a shell and `man` need, generated from the same clap definitions as the
//! parser so that they cannot drift: completion scripts and man pages.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Failure, exit};

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to complete for; load it with e.g. `source <(snapport completion bash)`.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Where to write the pages: snapport.1 and one per subcommand
    /// (snapport-volume-list.1, …).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
}

/// Prints the completion script for `args.shell` on stdout.
pub fn completion(args: CompletionArgs) {
    clap_complete::generate(
        args.shell,
        &mut Cli::command(),
        "snapport",
        &mut std::io::stdout(),
    );
}

/// Writes the man pages of the top command and of every subcommand into `args.dir`.
pub fn man(args: ManArgs) -> Result<(), Failure> {
    write_man_pages(&args.dir).map_err(|err| Failure {
        code: exit::FAILED,
        message: format!("cannot write man pages to {}: {err}", args.dir.display()),
    })
}

fn write_man_pages(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_man_page_naming_its_options() {
        let dir = tempfile::tempdir().unwrap();
        write_man_pages(dir.path()).unwrap();
        let page = |name: &str| {
            std::fs::read_to_string(dir.path().join(name))
                .unwrap_or_else(|err| panic!("{name}: {err}"))
        };
        let top = page("snapport.1");
        assert!(top.contains(".TH snapport 1"), "{top}");
        assert!(top.contains("\\-\\-read\\-only"), "{top}");
        let list = page("snapport-volume-list.1");
        assert!(list.contains(".TH snapport-volume-list 1"), "{list}");
        assert!(list.contains("\\-\\-sort\\-column"), "{list}");
        page("snapport-batch-resume.1");
        page("snapport-migrate-apply.1");
    }
}
