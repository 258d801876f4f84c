//! Test hooks: freeze a run at a named point so that an end-to-end test can kill or
//! signal the process exactly there. `SNAPPORT_PAUSE_AT=SCOPE:STAGE:N` names the point
//! (`forward:result:3`, `rollback:intent:1`, `batch:call:2`), `SNAPPORT_PAUSE_MARKER`
//! the file that receives the process id once the run is frozen.
//!
//! `SNAPPORT_TEST_PANIC` makes the console panic, so that a test can check that the
//! terminal is restored and the crash report written: `on-start` once the first frame is
//! drawn, `on-key` at the first key pressed after that.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const PAUSE_AT_ENV: &str = "SNAPPORT_PAUSE_AT";
const PAUSE_MARKER_ENV: &str = "SNAPPORT_PAUSE_MARKER";

const TEST_PANIC_ENV: &str = "SNAPPORT_TEST_PANIC";

/// When the console panics on purpose, for tests of the panic path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestPanic {
    /// Once the first frame is drawn.
    OnStart,
    /// At the first key pressed.
    OnKey,
}

impl TestPanic {
    /// Parses `on-start` or `on-key`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "on-start" => Some(Self::OnStart),
            "on-key" => Some(Self::OnKey),
            _ => None,
        }
    }

    /// The panic the environment asks for, if any.
    pub fn from_env() -> Option<Self> {
        Self::parse(&std::env::var(TEST_PANIC_ENV).ok()?)
    }

    /// Panics when `self` is `at`.
    pub fn check(this: Option<Self>, at: Self) {
        if this == Some(at) {
            panic!("{TEST_PANIC_ENV}: panicking on purpose ({at:?})");
        }
    }
}

/// Where in a journaled step or item a run may freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The intent is on disk; the back end was not called.
    Intent,
    /// The back end finished the call; its result is not on disk.
    Call,
    /// The result is on disk.
    Result,
}

impl Stage {
    /// Parses `intent`, `call` or `result`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "intent" => Some(Stage::Intent),
            "call" => Some(Stage::Call),
            "result" => Some(Stage::Result),
            _ => None,
        }
    }
}

/// A point to freeze at: `stage` of step or item `number` (from 1) of a run of
/// `scope` (a migration's `forward` or `rollback` phase, or a `batch`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PausePoint {
    pub scope: String,
    pub stage: Stage,
    pub number: usize,
    /// The file created, holding the process id, once the run is frozen.
    pub marker: PathBuf,
}

impl PausePoint {
    /// Parses `SCOPE:STAGE:N` for one of `scopes`.
    pub fn parse(text: &str, scopes: &[&str], marker: PathBuf) -> Option<Self> {
        let mut parts = text.split(':');
        let scope = parts.next().filter(|scope| scopes.contains(scope))?;
        let stage = Stage::parse(parts.next()?)?;
        let number = parts.next()?.parse().ok()?;
        parts.next().is_none().then(|| Self {
            scope: scope.to_string(),
            stage,
            number,
            marker,
        })
    }

    /// The point the environment asks for, if it is one of `scopes`.
    pub fn from_env(scopes: &[&str]) -> Option<Self> {
        let point = std::env::var(PAUSE_AT_ENV).ok()?;
        let marker = std::env::var_os(PAUSE_MARKER_ENV)?;
        Self::parse(&point, scopes, marker.into())
    }

    /// At this point, writes the marker and waits until `stop` is set (a test kills
    /// the process before, or signals it to stop); elsewhere returns at once.
    pub async fn hold(&self, scope: &str, stage: Stage, number: usize, stop: &AtomicBool) {
        if self.scope != scope || self.stage != stage || self.number != number {
            return;
        }
        let _ = std::fs::write(&self.marker, format!("{}\n", std::process::id()));
        while !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_panics_are_named() {
        assert_eq!(TestPanic::parse("on-start"), Some(TestPanic::OnStart));
        assert_eq!(TestPanic::parse("on-key"), Some(TestPanic::OnKey));
        assert_eq!(TestPanic::parse("never"), None);
    }

    #[test]
    fn points_name_a_known_scope_a_stage_and_a_number() {
        let marker = PathBuf::from("m");
        let scopes = ["forward", "rollback"];
        assert_eq!(
            PausePoint::parse("rollback:call:7", &scopes, marker.clone()),
            Some(PausePoint {
                scope: "rollback".into(),
                stage: Stage::Call,
                number: 7,
                marker: marker.clone(),
            })
        );
        for bad in [
            "batch:call:1",
            "forward:late:1",
            "forward:call",
            "forward:call:x",
            "forward:call:1:2",
        ] {
            assert_eq!(
                PausePoint::parse(bad, &scopes, marker.clone()),
                None,
                "{bad}"
            );
        }
    }
}
