//! Durable append-only JSON-lines files, the ground both the migration journal and the
//! console's batch journal stand on: every line is on disk before the work it announces
//! starts, and a last line cut short by a crash is dropped rather than trusted.

use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// How a journaled piece of work ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Done,
    Failed,
}

impl Status {
    /// Splits an outcome into the fields of a result line: status, new id, error.
    pub fn of(outcome: Result<Option<String>, String>) -> (Status, Option<String>, Option<String>) {
        match outcome {
            Ok(new_id) => (Status::Done, new_id, None),
            Err(error) => (Status::Failed, None, Some(error)),
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
    pub fn record_result(
        &mut self,
        status: Status,
        new_id: &Option<String>,
        error: &Option<String>,
    ) {
        self.started = true;
        match status {
            Status::Done => {
                self.done = Some(new_id.clone());
                self.error = None;
            }
            Status::Failed => self.error = error.clone(),
        }
    }
}

/// The time stamp journal lines carry.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Parses journal text into records with their line numbers. A last line cut short by
/// a crash is ignored; any other bad line is an error naming its line.
pub fn replay<R: DeserializeOwned>(text: &str) -> Result<Vec<(usize, R)>, String> {
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let records = complete
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line)
                .map(|record| (index + 1, record))
                .map_err(|err| format!("line {}: {err}", index + 1))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if records.is_empty() {
        return Err("the journal is empty".into());
    }
    Ok(records)
}

/// An open journal file that only ever grows, one fsync'd line at a time.
#[derive(Debug)]
pub struct JsonLines {
    path: PathBuf,
    file: File,
}

/// Makes a newly created file's directory entry durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    let parent = path.parent().filter(|dir| !dir.as_os_str().is_empty());
    File::open(parent.unwrap_or(Path::new(".")))?.sync_all()
}

impl JsonLines {
    /// Creates the file with its first line; an existing file is never overwritten
    /// (the error is then `AlreadyExists`).
    pub fn create(path: &Path, first: &impl Serialize) -> std::io::Result<Self> {
        let file = OpenOptions::new()
            .append(true)
            .create_new(true)
            .open(path)?;
        let mut lines = Self {
            path: path.to_path_buf(),
            file,
        };
        lines.append(first)?;
        sync_parent(path)?;
        Ok(lines)
    }

    /// Opens a file to continue it, dropping a last line that a crash cut short.
    /// Returns the complete lines' text, for replay.
    pub fn open(path: &Path) -> std::io::Result<(Self, String)> {
        let mut file = OpenOptions::new().read(true).append(true).open(path)?;
        let mut text = std::fs::read_to_string(path)?;
        let complete = text.rfind('\n').map_or(0, |end| end + 1);
        if complete < text.len() {
            file.set_len(complete as u64)?;
            file.seek(SeekFrom::End(0))?;
            file.sync_data()?;
            text.truncate(complete);
        }
        let lines = Self {
            path: path.to_path_buf(),
            file,
        };
        Ok((lines, text))
    }

    /// Where the file lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and waits until it is on disk.
    pub fn append(&mut self, record: &impl Serialize) -> std::io::Result<()> {
        let mut line = serde_json::to_string(record).expect("journal records always serialize");
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_numbers_lines_and_ignores_only_a_torn_last_line() {
        let records: Vec<(usize, u32)> = replay("1\n\n3\n4").unwrap();
        assert_eq!(records, vec![(1, 1), (3, 3)]);
        assert!(replay::<u32>("").unwrap_err().contains("empty"));
        assert!(
            replay::<u32>("1\nx\n3\n")
                .unwrap_err()
                .starts_with("line 2")
        );
    }

    #[test]
    fn open_cuts_a_torn_line_before_appending() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        JsonLines::create(&path, &1).unwrap();
        std::fs::write(&path, "1\n{\"tor").unwrap();
        let (mut lines, text) = JsonLines::open(&path).unwrap();
        assert_eq!(text, "1\n");
        lines.append(&2).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "1\n2\n");
        let err = JsonLines::create(&path, &1).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
    }
}
