//! A private tmux server for end-to-end tests of the real binary: type, press keys,
//! read the screen, wait for text.

#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use snapport::sandbox::check_prerequisites;

/// Like every LVM test here, a missing tool fails the test: it never skips.
pub fn require_prerequisites() {
    require_tmux();
    if let Err(err) = check_prerequisites() {
        panic!("console e2e test prerequisites missing: {err}");
    }
}

/// A missing tmux fails the test.
pub fn require_tmux() {
    let tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(tmux, "tmux is missing: apt-get install -y tmux");
}

/// A private tmux server, killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A 100x30 session `e2e` running a plain bash with the prompt `E2E$`.
    pub fn start(unique: &str) -> Self {
        let tmux = Tmux {
            socket: format!("snapport-e2e-{unique}"),
        };
        tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "100",
            "-y",
            "30",
            "bash --norc --noprofile",
        ]);
        tmux.type_text("PS1='E2E$ '; stty sane");
        tmux.keys(&["Enter"]);
        tmux.wait_text("E2E$");
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        let output = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            self.run(&["send-keys", "-t", "e2e", key]);
        }
    }

    pub fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "e2e", "-l", text]);
    }

    /// Polls the pane until `done` holds on a settled screen: two captures in a row
    /// that agree, so a frame caught half-drawn is never what a test asserts on.
    /// Fails with the last screen after 30 s.
    pub fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(Duration::from_secs(30), what, done)
    }

    /// [`Tmux::wait_for`] with another time limit, for work a real service does.
    pub fn wait_for_within(
        &self,
        limit: Duration,
        what: &str,
        done: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        let mut previous: Option<String> = None;
        loop {
            let screen = self.screen();
            if done(&screen) && previous.as_deref() == Some(screen.as_str()) {
                return screen;
            }
            previous = Some(screen.clone());
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The console left the alternate screen and raw mode.
    pub fn assert_restored(&self) {
        assert_eq!(
            self.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
                .stdout,
            b"0\n",
            "alternate screen left"
        );
        self.type_text(
            "stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo|isig)' | tr '\\n' ' '; echo STTY",
        );
        self.keys(&["Enter"]);
        let stty = self.wait_for("stty output", |screen| {
            screen
                .lines()
                .any(|l| l.trim_end().ends_with("STTY") && !l.contains("stty"))
        });
        let line = stty
            .lines()
            .find(|l| l.trim_end().ends_with("STTY") && !l.contains("stty"))
            .unwrap();
        assert_eq!(
            line.trim(),
            "isig icanon echo STTY",
            "raw mode left: {stty}"
        );
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_for(&format!("'{text}'"), |screen| screen.contains(text))
    }

    /// In a back-end listing: filters down to the one row `name`, imports it with the
    /// form's defaults, confirms, and returns the new id the results show for it.
    pub fn import_filtered(&self, filter: &str, name: &str) -> String {
        self.keys(&["/"]);
        self.type_text(filter);
        self.keys(&["Enter", "i"]);
        self.wait_text(&format!("Import 1 of 1: {name}"));
        self.keys(&["Enter"]);
        self.wait_text("Confirm import");
        self.keys(&["Tab", "Enter"]);
        let results = self.wait_text("finished: 1 done, 0 failed");
        let arrow = format!("{name} -> ");
        results
            .lines()
            .find_map(|line| line.split(&arrow).nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(String::from)
            .unwrap_or_else(|| panic!("no new id for {name} in the results:\n{results}"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}
