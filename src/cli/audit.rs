//! `snapport audit`: the audit trail of mutation attempts, optionally since a time.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use clap::Args;

use super::{Failure, ListArgs};
use crate::backend::audit::{AuditLog, Record};
use crate::config::Paths;
use crate::output::{Column, Tabular, column};

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Only attempts at or after TIME: RFC 3339 (2026-01-31T12:00:00Z) or a date
    /// (2026-01-31, from local midnight).
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<DateTime<FixedOffset>>,
    #[command(flatten)]
    pub list: ListArgs,
}

/// RFC 3339, or a date meaning that day's local midnight.
fn parse_since(text: &str) -> Result<DateTime<FixedOffset>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time);
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!(
            "'{text}' is neither an RFC 3339 time (2026-01-31T12:00:00Z) nor a date (2026-01-31)"
        )
    })?;
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|time| time.fixed_offset())
        .ok_or_else(|| format!("{text} has no local midnight"))
}

impl Tabular for Record {
    const COLUMNS: &'static [Column] = &[
        column("TIME", &["time"]),
        column("USER", &["user", "sudo_user"]),
        column("BACK END", &["backend"]),
        column("ACTION", &["action"]),
        column("TARGET", &["target"]),
        column("OUTCOME", &["outcome", "new_id", "error"]),
        column("REQUEST ID", &["request_id"]),
    ];

    fn cells(&self) -> Vec<String> {
        let outcome = match (&self.new_id, &self.error) {
            (Some(id), _) => format!("{} {id}", self.outcome.as_str()),
            (None, Some(error)) => format!("{}: {error}", self.outcome.as_str()),
            (None, None) => self.outcome.as_str().to_string(),
        };
        let user = match &self.sudo_user {
            Some(sudo) => format!("{} (sudo {sudo})", self.user),
            None => self.user.clone(),
        };
        vec![
            self.time.clone(),
            user,
            self.backend.label(),
            self.action.clone(),
            self.target.clone(),
            outcome,
            self.request_id.clone().unwrap_or_default(),
        ]
    }
}

/// The records at or after `since`; a record whose time does not parse is kept.
fn since(records: Vec<Record>, since: Option<DateTime<FixedOffset>>) -> Vec<Record> {
    let Some(since) = since else {
        return records;
    };
    records
        .into_iter()
        .filter(|record| {
            DateTime::parse_from_rfc3339(&record.time).map_or(true, |time| time >= since)
        })
        .collect()
}

pub fn run(paths: &Paths, args: AuditArgs) -> Result<(), Failure> {
    let records = AuditLog::read(&paths.audit_file()).map_err(|message| Failure {
        code: super::exit::FAILED,
        message,
    })?;
    print!("{}", args.list.view().list(&since(records, args.since))?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::audit::{Identity, Outcome};

    fn at(time: &str) -> Record {
        let mut record = Record::new(
            &Identity::default(),
            "unmanage_volume",
            "v1",
            serde_json::Value::Null,
            Outcome::Done,
        );
        record.time = time.into();
        record
    }

    #[test]
    fn since_takes_rfc3339_or_a_date() {
        let records = vec![
            at("2026-01-01T10:00:00.000Z"),
            at("2026-01-03T10:00:00.000Z"),
        ];
        let kept = since(
            records.clone(),
            Some(parse_since("2026-01-02T00:00:00Z").unwrap()),
        );
        assert_eq!(kept, vec![records[1].clone()]);
        assert!(parse_since("2026-01-02").is_ok());
        let err = parse_since("yesterday").unwrap_err();
        assert!(err.contains("RFC 3339"), "{err}");
        assert_eq!(since(records.clone(), None), records);
    }
}
