//! The real binary in tmux on a real LVM sandbox, made to panic through the test hook
//! `SNAPPORT_TEST_PANIC`: the terminal comes back sane (cooked mode, main screen, cursor
//! shown, the shell's prompt) and the crash report is in the log file.

mod tmux;

use snapport::sandbox::{LvSpec, Sandbox};

use tmux::{Tmux, require_prerequisites};

fn panic_restores_the_terminal(when: &str, trigger: &[&str]) {
    require_prerequisites();
    let dir = tempfile::tempdir().unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let vg = format!("snapport-panic-{}", &unique[..8]);
    let sandbox = Sandbox::create(
        &vg,
        &dir.path().join("vg"),
        1024,
        &[
            LvSpec::volume("volume-src", 256),
            LvSpec::snapshot("nightly-panic", 64, "volume-src"),
        ],
    )
    .unwrap();
    let home = dir.path().join("home");
    let tmux = Tmux::start(&unique[..8]);
    let command = format!(
        "HOME={home} XDG_CONFIG_HOME={home}/config XDG_DATA_HOME={home}/data XDG_STATE_HOME={home}/state \
         LVM_SYSTEM_DIR={lvm} RUST_BACKTRACE=0 SNAPPORT_TEST_PANIC={when} {bin} --local --vg {vg} \
         --catalog {catalog} --backend-host e2e@lvm; echo EXIT=$?",
        home = home.display(),
        lvm = sandbox.lvm_system_dir().display(),
        bin = env!("CARGO_BIN_EXE_snapport"),
        catalog = dir.path().join("catalog.sqlite").display(),
    );
    tmux.type_text(&command);
    tmux.keys(&["Enter"]);
    if !trigger.is_empty() {
        tmux.wait_text("Hosts [1/1]");
        assert_eq!(
            tmux.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
                .stdout,
            b"1\n"
        );
        tmux.keys(trigger);
    }
    let screen = tmux.wait_for("the shell's prompt after the crash", |screen| {
        screen.contains("EXIT=101") && screen.trim_end().ends_with("E2E$")
    });
    assert!(
        screen.contains("snapport crashed; the report is in"),
        "the crash is announced on the restored screen:\n{screen}"
    );
    tmux.assert_restored();
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "e2e", "#{cursor_flag}"])
            .stdout,
        b"1\n",
        "cursor shown"
    );

    let log = home.join("state/snapport/snapport.log");
    let report =
        std::fs::read_to_string(&log).unwrap_or_else(|err| panic!("{}: {err}", log.display()));
    assert!(
        report.contains("snapport crashed: ")
            && report.contains("SNAPPORT_TEST_PANIC: panicking on purpose")
            && report.contains("backtrace:"),
        "the crash report is in the log file:\n{report}"
    );
}

#[test]
fn a_panic_on_start_restores_the_terminal() {
    panic_restores_the_terminal("on-start", &[]);
}

#[test]
fn a_panic_on_a_key_restores_the_terminal() {
    panic_restores_the_terminal("on-key", &["j"]);
}
