//! `snapport demo --rbd` in tmux: the console opens on the throw-away Ceph with its demo
//! pool, a snapshot is imported through it, and whichever way the demo ends (quit,
//! panic, Ctrl-C while it starts) no daemon of it is left running and its temp dir is
//! gone. Needs the Ceph packages: without them the tests fail in CI and are skipped
//! elsewhere.

mod tmux;

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use snapport::sandbox::ceph::check_packages;

use tmux::{Tmux, require_tmux};

/// Bring-up takes seconds on an idle machine; far longer with both cores busy.
const START_LIMIT: Duration = Duration::from_secs(180);

/// One `snapport demo --rbd` in a tmux pane, with its own TMPDIR (where the demo makes
/// its temp dir) and HOME.
struct DemoRun {
    tmux: Tmux,
    root: tempfile::TempDir,
    _turn: MutexGuard<'static, ()>,
}

/// One demo at a time: each picks its ports at random, and two clusters starting at
/// once on this 2-core machine would also slow each other past the start limit.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

impl DemoRun {
    /// Types the command; `None` when the Ceph packages are missing outside CI.
    fn start(env: &str) -> Option<Self> {
        require_tmux();
        if let Err(err) = check_packages() {
            assert!(std::env::var_os("CI").is_none(), "{err}");
            eprintln!("skipped: {err}");
            return None;
        }
        let root = tempfile::tempdir().unwrap();
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let run = DemoRun {
            tmux: Tmux::start(&unique[..8]),
            root,
            _turn: ONE_AT_A_TIME
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        };
        std::fs::create_dir_all(run.tmp()).unwrap();
        let command = format!(
            "TMPDIR={tmp} HOME={home} XDG_CONFIG_HOME={home}/config XDG_DATA_HOME={home}/data \
             XDG_STATE_HOME={home}/state {env} {bin} demo --rbd; echo EXIT=$?",
            tmp = run.tmp().display(),
            home = run.root.path().join("home").display(),
            bin = env!("CARGO_BIN_EXE_snapport"),
        );
        run.tmux.type_text(&command);
        run.tmux.keys(&["Enter"]);
        Some(run)
    }

    fn tmp(&self) -> PathBuf {
        self.root.path().join("tmp")
    }

    /// The demo's temp dir, while it exists.
    fn demo_dir(&self) -> Option<PathBuf> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.to_string_lossy().contains("snapport-demo-"))
    }

    /// The console is up on the demo's RBD host; the demo's temp dir.
    fn wait_for_console(&self) -> PathBuf {
        self.tmux
            .wait_for_within(START_LIMIT, "the console on the demo host", |screen| {
                screen.contains("local rbd pool=volumes") && screen.contains("Hosts [1/1]")
            });
        self.demo_dir().expect("the demo's temp dir while it runs")
    }

    /// Waits for the shell line's `EXIT=<code>`; the screen and the code.
    fn wait_for_exit(&self) -> (String, i32) {
        let code = |screen: &str| {
            screen
                .lines()
                .find_map(|line| line.trim().strip_prefix("EXIT=")?.parse::<i32>().ok())
        };
        let screen = self
            .tmux
            .wait_for_within(START_LIMIT, "the exit code", |screen| {
                code(screen).is_some()
            });
        let code = code(&screen).unwrap();
        (screen, code)
    }

    /// The daemons run with `--conf` in the demo's temp dir, under the run's TMPDIR.
    fn daemons(&self) -> Vec<String> {
        processes_naming(&self.tmp())
    }

    /// Nothing of the demo is left once its shell line printed the exit code.
    fn assert_removed(&self) {
        let leftovers: Vec<String> = std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|entry| entry.unwrap().path().display().to_string())
            .collect();
        assert!(leftovers.is_empty(), "files left: {leftovers:?}");
        let running = self.daemons();
        assert!(running.is_empty(), "demo processes left: {running:?}");
    }
}

/// The command lines of running processes that name `dir` (the daemons' `--conf`).
fn processes_naming(dir: &Path) -> Vec<String> {
    let dir = dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| std::fs::read(entry.ok()?.path().join("cmdline")).ok())
        .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
        .filter(|cmdline| cmdline.contains(&dir))
        .collect()
}

/// What `rbd ls -l` shows of the demo pool: `(image, snapshot, protected)`.
fn pool_listing(demo_dir: &Path) -> Vec<(String, Option<String>, bool)> {
    let out = assert_cmd::Command::new("rbd")
        .arg("--conf")
        .arg(demo_dir.join("ceph/ceph.conf"))
        .args(["ls", "-l", "--format", "json", "volumes"])
        .assert()
        .success();
    let entries: Vec<Value> = serde_json::from_slice(&out.get_output().stdout).unwrap();
    entries
        .iter()
        .map(|entry| {
            (
                entry["image"].as_str().unwrap().to_string(),
                entry["snapshot"].as_str().map(String::from),
                entry["protected"] == "true",
            )
        })
        .collect()
}

#[test]
fn the_rbd_demo_imports_a_snapshot_and_leaves_nothing_behind() {
    let Some(demo) = DemoRun::start("") else {
        return;
    };
    let tmux = &demo.tmux;
    let demo_dir = demo.wait_for_console();
    let daemons = demo.daemons();
    for daemon in ["ceph-mon", "ceph-osd", "ceph-mgr"] {
        assert!(
            daemons.iter().any(|cmdline| cmdline.starts_with(daemon)),
            "{daemon} runs: {daemons:?}"
        );
    }

    tmux.keys(&["v"]);
    let volumes = tmux.wait_text("Back-end volumes on demo@ceph#volumes [7/7]");
    for words in [
        "golden-image",
        "scratch",
        "volume marked as",
        "already managed",
    ] {
        assert!(volumes.contains(words), "'{words}' not listed:\n{volumes}");
    }
    tmux.keys(&["Escape"]);
    tmux.wait_text("Hosts [1/1]");

    tmux.keys(&["m"]);
    let snapshots = tmux.wait_text("Back-end snapshots on demo@ceph#volumes [10/10]");
    let dailies = snapshots
        .lines()
        .filter(|line| line.split_whitespace().any(|word| word == "daily"))
        .count();
    assert_eq!(dailies, 2, "two images each hold a daily:\n{snapshots}");
    let new_id = tmux.import_filtered("pre-upgrade", "pre-upgrade-2024-05-30");
    let listing = pool_listing(&demo_dir);
    let imported = listing
        .iter()
        .find(|(_, snapshot, _)| snapshot.as_deref() == Some(&format!("snapshot-{new_id}")))
        .unwrap_or_else(|| panic!("snapshot-{new_id} not in the pool: {listing:?}"));
    assert!(
        imported.2,
        "an imported snapshot is protected: {imported:?}"
    );
    assert!(
        imported.0.starts_with("volume-"),
        "on the imported web-assets image: {imported:?}"
    );

    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();
    demo.assert_removed();
}

#[test]
fn a_panic_in_the_console_removes_the_rbd_demo() {
    let Some(demo) = DemoRun::start("SNAPPORT_TEST_PANIC=on-start RUST_BACKTRACE=0") else {
        return;
    };
    let (screen, code) = demo.wait_for_exit();
    assert_ne!(code, 0, "{screen}");
    assert!(screen.contains("panicked"), "{screen}");
    demo.tmux.assert_restored();
    demo.assert_removed();
}

#[test]
fn ctrl_c_while_the_rbd_demo_starts_removes_it() {
    let Some(demo) = DemoRun::start("") else {
        return;
    };
    demo.tmux
        .wait_for_within(START_LIMIT, "the monitor to be up", |screen| {
            screen.contains("monitor up on 127.0.0.1:")
        });
    assert!(!demo.daemons().is_empty(), "the monitor runs");
    demo.tmux.keys(&["C-c"]);
    let (screen, code) = demo.wait_for_exit();
    assert_ne!(code, 0, "{screen}");
    assert!(
        screen.contains("while the demo was starting"),
        "says why it stopped:\n{screen}"
    );
    demo.assert_removed();
}
