//! Cinder's statuses as a type: the ones snapport acts on are variants, anything else
//! Cinder reports (now or in a later release) is kept word for word.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The status of a volume or snapshot, as Cinder spells it on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Status {
    Available,
    InUse,
    Creating,
    Deleting,
    Error,
    ErrorDeleting,
    ErrorManaging,
    ErrorRestoring,
    ErrorExtending,
    Other(String),
}

const NAMES: &[(Status, &str)] = &[
    (Status::Available, "available"),
    (Status::InUse, "in-use"),
    (Status::Creating, "creating"),
    (Status::Deleting, "deleting"),
    (Status::Error, "error"),
    (Status::ErrorDeleting, "error_deleting"),
    (Status::ErrorManaging, "error_managing"),
    (Status::ErrorRestoring, "error_restoring"),
    (Status::ErrorExtending, "error_extending"),
];

/// Statuses Cinder leaves by itself once its work is done.
const TRANSIENT: &[&str] = &[
    "creating",
    "deleting",
    "managing",
    "unmanaging",
    "attaching",
    "detaching",
    "extending",
    "retyping",
    "downloading",
    "uploading",
    "backing-up",
    "restoring",
    "restoring-backup",
    "maintenance",
];

impl Status {
    /// True for the failed statuses (`error`, `error_deleting`, …).
    pub fn is_error(&self) -> bool {
        self.as_str().starts_with("error")
    }

    /// True while Cinder is still working on the volume or snapshot (`creating`,
    /// `deleting`, `managing`, …): the status changes by itself, so a console showing
    /// it refreshes until it settles.
    pub fn is_transient(&self) -> bool {
        TRANSIENT.contains(&self.as_str())
    }

    /// Cinder's word for it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::Other(text) => text,
            known => NAMES
                .iter()
                .find(|(status, _)| status == known)
                .map(|(_, name)| *name)
                .unwrap_or_default(),
        }
    }
}

impl From<&str> for Status {
    fn from(text: &str) -> Self {
        NAMES
            .iter()
            .find(|(_, name)| *name == text)
            .map(|(status, _)| status.clone())
            .unwrap_or_else(|| Status::Other(text.to_string()))
    }
}

impl From<String> for Status {
    fn from(text: String) -> Self {
        Status::from(text.as_str())
    }
}

impl From<Status> for String {
    fn from(status: Status) -> Self {
        status.as_str().to_string()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Status {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_keep_cinders_words_both_ways() {
        for (status, name) in NAMES {
            assert_eq!(Status::from(*name), *status);
            assert_eq!(status.as_str(), *name);
        }
        let later = Status::from("reserved");
        assert_eq!(later, Status::Other("reserved".into()));
        assert_eq!(later.to_string(), "reserved");
        let json = serde_json::to_string(&Status::InUse).unwrap();
        assert_eq!(json, "\"in-use\"");
        assert_eq!(
            serde_json::from_str::<Status>("\"maintenance\"").unwrap(),
            "maintenance"
        );
    }

    #[test]
    fn only_statuses_cinder_leaves_by_itself_are_transient() {
        for word in [
            "creating",
            "deleting",
            "managing",
            "unmanaging",
            "extending",
        ] {
            assert!(Status::from(word).is_transient(), "{word}");
        }
        for word in ["available", "in-use", "error", "error_managing", "reserved"] {
            assert!(!Status::from(word).is_transient(), "{word}");
        }
    }
}
