//! What the shell, `man` and a bug report get from the binary: completion scripts that bash loads
//! and that know the subcommands and options, man pages that `man` renders.

mod isolated;

use std::process::Command;

use tempfile::TempDir;

fn stdout(root: &TempDir, args: &[&str]) -> String {
    let output = isolated::snapport_cmd(root.path())
        .args(args)
        .assert()
        .success();
    String::from_utf8(output.get_output().stdout.clone()).unwrap()
}

#[test]
fn bash_loads_the_completion_and_completes_subcommands_and_options() {
    let root = TempDir::new().unwrap();
    let script = root.path().join("snapport.bash");
    std::fs::write(&script, stdout(&root, &["completion", "bash"])).unwrap();
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {script}; COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _snapport snapport \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"; complete -p snapport",
            script = script.display(),
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
        );
        let output = Command::new("bash")
            .args(["-c", &program])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let top = complete("snapport ");
    for word in [
        "volume",
        "snapshot",
        "completion",
        "man",
        "-F _snapport snapport",
    ] {
        assert!(top.contains(word), "{word} missing: {top}");
    }
    let list = complete("snapport volume list --sort");
    assert!(
        list.contains("--sort-column") && list.contains("--sort-descending"),
        "{list}"
    );
    let formats = complete("snapport volume list -f ");
    for format in ["table", "json", "yaml", "csv", "value"] {
        assert!(
            formats.lines().any(|line| line == format),
            "{format}: {formats}"
        );
    }
}

#[test]
fn zsh_and_fish_scripts_name_the_subcommands_and_options() {
    let root = TempDir::new().unwrap();
    for shell in ["zsh", "fish"] {
        let script = stdout(&root, &["completion", shell]);
        for word in ["manageable", "unmanage", "retire", "sort-column", "yaml"] {
            assert!(script.contains(word), "{shell}: {word} missing");
        }
    }
}

#[test]
fn man_renders_the_top_page_and_one_per_subcommand() {
    let root = TempDir::new().unwrap();
    let dir = root.path().join("man");
    stdout(&root, &["man", "--dir", dir.to_str().unwrap()]);
    let render = |page: &str| {
        let output = Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(dir.join(page))
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        assert!(output.status.success(), "{page}: {output:?}");
        assert!(
            output.stderr.is_empty(),
            "{page}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    let top = render("snapport.1");
    assert!(top.contains("snapport 0.1.0"), "{top}");
    for text in ["--read-only", "--os-cloud", "volume", "completion"] {
        assert!(top.contains(text), "{text} missing: {top}");
    }
    let list = render("snapport-volume-list.1");
    assert!(list.contains("--sort-column <NAME>"), "{list}");
    render("snapport-snapshot-manage.1");
    render("snapport-migrate-apply.1");
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let root = TempDir::new().unwrap();
    let version = stdout(&root, &["--version"]);
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    let head = git(&["rev-parse", "--short", "HEAD"]);
    let clean = format!("snapport {} ({head})\n", env!("CARGO_PKG_VERSION"));
    let dirty = format!("snapport {} ({head}-dirty)\n", env!("CARGO_PKG_VERSION"));
    if git(&["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        assert_eq!(version, clean);
    } else {
        assert_eq!(version, dirty);
    }
}
