//! Stamps the commit the binary is built from into `--version`, so that an operator's
//! report names the exact code: `git rev-parse --short HEAD`, `-dirty` when tracked
//! files have changes, `$SNAPPORT_BUILD_COMMIT` for builds outside a git checkout (a
//! source package), else `unknown`.

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=SNAPPORT_BUILD_COMMIT");
    // Any tracked file may make the tree dirty: watch each tracked top-level entry.
    for entry in git(&["ls-tree", "--name-only", "HEAD"])
        .unwrap_or_default()
        .lines()
    {
        println!("cargo:rerun-if-changed={entry}");
    }
    for path in ["HEAD", "index"] {
        if let Some(file) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={file}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        .and_then(|reference| git(&["rev-parse", "--git-path", &reference]))
    {
        println!("cargo:rerun-if-changed={branch}");
    }
    let commit = std::env::var("SNAPPORT_BUILD_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty())
        .or_else(|| {
            let head = git(&["rev-parse", "--short", "HEAD"])?;
            let changes = git(&["status", "--porcelain", "--untracked-files=no"])?;
            Some(if changes.is_empty() {
                head
            } else {
                format!("{head}-dirty")
            })
        })
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=SNAPPORT_COMMIT={commit}");
}
