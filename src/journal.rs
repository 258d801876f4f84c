//! Durable append-only JSON-lines journals, the ground both the migration journal and
//! the console's batch journal stand on: every line is on disk before the work it
//! announces starts, the first line holds everything needed to carry on, and a last
//! line cut short by a crash is dropped rather than trusted.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How a journaled piece of work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Done,
    Failed,
    /// The call got no answer: whether it happened is found out by looking later.
    Unknown,
}

/// How a piece of work ended, as its result line records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    pub status: Status,
    /// The id a manage created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The outcome was found by looking at the back end(s), after an interruption.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reconciled: bool,
}

impl Ended {
    /// The result line's fields for `outcome` (the new id, or the error).
    /// A call whose answer was lost (`error` says how): the work stays in flight.
    pub fn unknown(error: String) -> Self {
        Self {
            status: Status::Unknown,
            new_id: None,
            error: Some(error),
            reconciled: false,
        }
    }

    pub fn new(outcome: Result<Option<String>, String>, reconciled: bool) -> Self {
        let (status, new_id, error) = match outcome {
            Ok(new_id) => (Status::Done, new_id, None),
            Err(error) => (Status::Failed, None, Some(error)),
        };
        Self {
            status,
            new_id,
            error,
            reconciled,
        }
    }
}

/// What a journal says about one piece of work (a migration step, a batch item).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepState {
    /// An intent was recorded: the work may have run.
    pub started: bool,
    /// Finished, with the new id for manages.
    pub done: Option<Option<String>>,
    /// The last failure, until the work is done.
    pub error: Option<String>,
    /// Why the outcome is unknown (the call's answer was lost), until it is known.
    pub unknown: Option<String>,
}

impl StepState {
    /// True once the work finished.
    pub fn is_done(&self) -> bool {
        self.done.is_some()
    }

    /// Started but neither done nor known to have failed cleanly: look at the back end.
    pub fn needs_reconcile(&self) -> bool {
        self.started && !self.is_done()
    }

    /// Folds in an intent line.
    pub fn record_intent(&mut self) {
        self.started = true;
    }

    /// Folds in a result line.
    pub fn record_result(&mut self, ended: &Ended) {
        self.started = true;
        match ended.status {
            Status::Done => {
                self.done = Some(ended.new_id.clone());
                self.error = None;
                self.unknown = None;
            }
            Status::Failed => {
                self.error = ended.error.clone();
                self.unknown = None;
            }
            Status::Unknown => {
                self.error = None;
                self.unknown = ended.error.clone();
            }
        }
    }
}

/// The time stamp journal lines carry.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Why a journal could not be read or written.
#[derive(Debug, Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a journal of this kind.
    #[error("{path}: {message}")]
    Format { path: PathBuf, message: String },
    /// A new journal would overwrite one that exists.
    #[error("journal {0} already exists")]
    Exists(PathBuf),
}

/// What a kind of journal replays into: its records add up to this state.
pub trait Replay: Sized {
    /// One line of the journal.
    type Record: Serialize + DeserializeOwned;
    /// The owner's error, which journal faults become.
    type Error: From<JournalError>;
    /// What the first line holds, for the error when it does not.
    const FIRST: &'static str;
    /// The state a first record starts, `None` for records that cannot come first.
    fn first(record: Self::Record) -> Option<Self>;
    /// Folds in a later record; one that cannot come later is an error.
    fn apply(&mut self, record: &Self::Record) -> Result<(), String>;
    /// Checks what the first record started, as its own file would be checked.
    fn check(&self) -> Result<(), String> {
        Ok(())
    }
}

/// Replays journal text. A last line cut short by a crash is ignored; any other bad
/// line is an error naming its line.
pub fn replay<S: Replay>(text: &str) -> Result<S, String> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let mut records = complete
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str::<S::Record>(line)
                .map_err(|err| format!("line {}: {err}", index + 1))
        });
    let first = records.next().ok_or("the journal is empty")??;
    let mut state = S::first(first)
        .ok_or_else(|| format!("line 1: the journal does not start with its {}", S::FIRST))?;
    state
        .check()
        .map_err(|message| format!("line 1: {message}"))?;
    for (index, record) in records.enumerate() {
        state
            .apply(&record?)
            .map_err(|message| format!("line {}: {message}", index + 2))?;
    }
    Ok(state)
}

/// An open journal: appends records durably, one fsync'd line at a time, and keeps
/// the replayed state current.
#[derive(Debug)]
pub struct Journal<S> {
    path: PathBuf,
    file: File,
    state: S,
}

/// Makes a newly created file's directory entry durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    File::open(parent.unwrap_or(Path::new(".")))?.sync_all()
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> JournalError + '_ {
    move |source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_error(path: &Path) -> impl FnOnce(String) -> JournalError + '_ {
    move |message| JournalError::Format {
        path: path.to_path_buf(),
        message,
    }
}

impl<S: Replay> Journal<S> {
    /// Creates a journal whose first line is `first`, which starts `state`; an
    /// existing file is never overwritten.
    pub fn begin(path: &Path, first: &S::Record, state: S) -> Result<Self, S::Error> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)
            .map_err(|err| {
                if err.kind() == std::io::ErrorKind::AlreadyExists {
                    JournalError::Exists(path.to_path_buf())
                } else {
                    io_error(path)(err)
                }
            })?;
        let mut journal = Self {
            path: path.to_path_buf(),
            file,
            state,
        };
        journal.write(first)?;
        sync_parent(path).map_err(io_error(path))?;
        Ok(journal)
    }

    /// Reads a journal without opening it for writing.
    pub fn read(path: &Path) -> Result<S, S::Error> {
        let text = std::fs::read_to_string(path).map_err(io_error(path))?;
        Ok(replay(&text).map_err(format_error(path))?)
    }

    /// Opens a journal to continue it, dropping a last line that a crash cut short
    /// (only once the rest replayed: a foreign file is left as it is).
    pub fn open(path: &Path) -> Result<Self, S::Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .map_err(io_error(path))?;
        let text = std::fs::read_to_string(path).map_err(io_error(path))?;
        let state = replay(&text).map_err(format_error(path))?;
        let complete = text.rfind('\n').map_or(0, |end| end + 1);
        if complete < text.len() {
            file.set_len(complete as u64)
                .and_then(|()| file.seek(SeekFrom::End(0)))
                .and_then(|_| file.sync_data())
                .map_err(io_error(path))?;
        }
        Ok(Self {
            path: path.to_path_buf(),
            file,
            state,
        })
    }

    /// Where the journal lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The replayed state, including everything appended since.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Appends one record, waits until it is on disk, and folds it into the state.
    pub fn append(&mut self, record: &S::Record) -> Result<(), S::Error> {
        self.write(record)?;
        Ok(self.state.apply(record).map_err(format_error(&self.path))?)
    }

    fn write(&mut self, record: &S::Record) -> Result<(), JournalError> {
        let mut line = serde_json::to_string(record).expect("journal records always serialize");
        line.push('\n');
        self.file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data())
            .map_err(io_error(&self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A journal of numbers: the first starts the sum, zero may not come later.
    #[derive(Debug)]
    struct Sum(u32);

    impl Replay for Sum {
        type Record = u32;
        type Error = JournalError;
        const FIRST: &'static str = "sum";
        fn first(record: u32) -> Option<Self> {
            Some(Sum(record))
        }
        fn apply(&mut self, record: &u32) -> Result<(), String> {
            if *record == 0 {
                return Err("zero".into());
            }
            self.0 += record;
            Ok(())
        }
    }

    #[test]
    fn replay_names_bad_lines_and_ignores_only_a_torn_last_line() {
        assert_eq!(replay::<Sum>("1\n\n3\n4").unwrap().0, 4);
        assert!(replay::<Sum>("").unwrap_err().contains("empty"));
        assert!(
            replay::<Sum>("1\nx\n3\n")
                .unwrap_err()
                .starts_with("line 2")
        );
        assert_eq!(replay::<Sum>("1\n2\n0\n").unwrap_err(), "line 3: zero");
    }

    #[test]
    fn open_cuts_a_torn_line_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        Journal::begin(&path, &1, Sum(1)).unwrap();
        std::fs::write(&path, "1\n{\"tor").unwrap();
        let mut journal = Journal::<Sum>::open(&path).unwrap();
        journal.append(&2).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n2\n");
        assert_eq!(journal.state().0, 3);
        assert!(
            journal.append(&0).is_err(),
            "the state refuses what cannot come"
        );
        let err = Journal::begin(&path, &1, Sum(1)).unwrap_err();
        assert!(matches!(err, JournalError::Exists(_)), "{err}");
    }
}
