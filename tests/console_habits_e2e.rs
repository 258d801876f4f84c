//! The real binary in tmux against the fake Cinder: `y` puts ids on the clipboard with
//! the OSC 52 escape (tmux, with `set-clipboard on`, keeps them in its paste buffer), and
//! a list with a snapshot in a transient status follows it to `available` without a key
//! press.

mod support;
mod tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use support::fake_cinder::{FakeCloud, FakeConfig, Storage};
use support::password_yaml;
use tempfile::TempDir;
use tmux::{Tmux, require_tmux};

/// The console on a fake cloud in tmux, refreshing every second, on the Hosts screen.
struct Console {
    tmux: Tmux,
    dir: TempDir,
}

impl Console {
    fn open(cloud: &FakeCloud) -> Self {
        require_tmux();
        let dir = TempDir::new().unwrap();
        let clouds = dir.path().join("clouds.yaml");
        std::fs::write(&clouds, password_yaml(cloud)).unwrap();
        // It holds a password: only its owner reads it (else the console warns first).
        std::fs::set_permissions(&clouds, std::fs::Permissions::from_mode(0o600)).unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(home.join("config/snapport")).unwrap();
        std::fs::write(
            home.join("config/snapport/config.toml"),
            "refresh_seconds = 1\n",
        )
        .unwrap();

        let unique = uuid::Uuid::new_v4().simple().to_string();
        let tmux = Tmux::start(&unique[..8]);
        tmux.run(&["set", "-g", "set-clipboard", "on"]);
        let command = format!(
            "HOME={home} XDG_CONFIG_HOME={home}/config XDG_DATA_HOME={home}/data \
             XDG_STATE_HOME={home}/state OS_CLIENT_CONFIG_FILE={clouds} {bin} --os-cloud fake; \
             echo EXIT=$?",
            home = home.display(),
            clouds = clouds.display(),
            bin = env!("CARGO_BIN_EXE_snapport"),
        );
        tmux.type_text(&command);
        tmux.keys(&["Enter"]);
        tmux.wait_text("Hosts [1/1]");
        Console { tmux, dir }
    }

    /// Records everything the console writes to its terminal from now on.
    fn record_output(&self) -> PathBuf {
        let path = self.dir.path().join("pane.out");
        self.tmux.run(&[
            "pipe-pane",
            "-t",
            "e2e",
            "-o",
            &format!("cat >> {}", path.display()),
        ]);
        path
    }

    fn quit(&self) {
        self.tmux.keys(&["q"]);
        self.tmux.wait_text("EXIT=0");
    }
}

/// A cloud whose statuses settle on the first poll, as the CLI tests use it.
fn cloud() -> FakeCloud {
    FakeCloud::start(
        Storage::new("node@lvm", "lvm"),
        FakeConfig {
            polls_to_settle: 1,
            ..FakeConfig::default()
        },
    )
}

/// The ids of `ids` in the order their rows stand on `screen`.
fn in_screen_order(screen: &str, ids: &[String]) -> Vec<String> {
    screen
        .lines()
        .filter_map(|line| ids.iter().find(|id| line.contains(id.as_str())))
        .cloned()
        .collect()
}

/// The row `marker` starts (`>` the selection) holds one of `ids`.
fn id_on_row(screen: &str, marker: char, ids: &[String]) -> String {
    let line = screen
        .lines()
        .find(|line| line.starts_with(marker))
        .unwrap_or_else(|| panic!("no row marked {marker}:\n{screen}"));
    in_screen_order(line, ids)
        .pop()
        .unwrap_or_else(|| panic!("no id on {line}"))
}

/// tmux's newest paste buffer: what OSC 52 put on the clipboard.
fn paste_buffer(tmux: &Tmux) -> String {
    String::from_utf8(tmux.run(&["show-buffer"]).stdout).unwrap()
}

/// Waits until the file `path` holds `bytes` (the pipe from tmux writes on its own time).
fn wait_for_bytes(path: &PathBuf, bytes: &[u8]) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let written = std::fs::read(path).unwrap_or_default();
        if written.windows(bytes.len()).any(|window| window == bytes) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{:?} never written; the console wrote {} bytes",
            String::from_utf8_lossy(bytes),
            written.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn y_copies_the_selected_id_or_the_marked_ids_with_osc_52() {
    let cloud = cloud();
    let ids = vec![cloud.seed_volume("alpha", 1), cloud.seed_volume("beta", 1)];
    let console = Console::open(&cloud);
    let tmux = &console.tmux;
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("Volumes on node@lvm#lvm [2/2]");
    let output = console.record_output();

    tmux.keys(&["y"]);
    tmux.wait_text("copied 1 id to the clipboard");
    let selected = id_on_row(&screen, '>', &ids);
    let escape = format!("\x1b]52;c;{}\x07", STANDARD.encode(&selected));
    wait_for_bytes(&output, escape.as_bytes());
    assert_eq!(paste_buffer(tmux), selected);

    tmux.keys(&["Space", "Space", "y"]);
    let screen = tmux.wait_text("copied 2 ids to the clipboard");
    let marked = in_screen_order(&screen, &ids);
    assert_eq!(marked.len(), 2, "{screen}");
    let text = marked.join("\n");
    let escape = format!("\x1b]52;c;{}\x07", STANDARD.encode(&text));
    wait_for_bytes(&output, escape.as_bytes());
    assert_eq!(paste_buffer(tmux), text, "one id a line, in list order");
    console.quit();
}

#[test]
fn a_creating_snapshot_turns_available_on_screen_without_a_key() {
    let cloud = cloud();
    let volume = cloud.seed_volume("origin", 1);
    let snapshot = cloud.seed_snapshot(&volume, "nightly");
    cloud.set_snapshot_status(&snapshot, "creating");
    let console = Console::open(&cloud);
    let tmux = &console.tmux;
    tmux.keys(&[":"]);
    tmux.type_text("snapshots");
    tmux.keys(&["Enter"]);
    tmux.wait_for("the snapshot creating", |screen| {
        screen.contains("Snapshots (all volumes) [1/1]") && screen.contains("creating")
    });

    // Cinder's driver finishes; nobody touches the keyboard.
    cloud.set_snapshot_status(&snapshot, "available");
    tmux.wait_for("the snapshot available", |screen| {
        screen.contains("available") && !screen.contains("creating")
    });
    console.quit();
}
