//! One error type for every back end, mirroring Cinder's exception names so an operator
//! sees the same words from snapport as from Cinder's logs and API.

use thiserror::Error;

/// What a back-end call can fail with. The message is Cinder's own where there is one.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum Error {
    /// The volume, snapshot or host does not exist (Cinder's 404 `itemNotFound`).
    #[error("NotFound: {0}")]
    NotFound(String),
    /// The back-end reference does not name a usable object.
    #[error("ManageExistingInvalidReference: {0}")]
    InvalidReference(String),
    /// The back-end object is already managed; importing it again would orphan a record.
    #[error("ManageExistingAlreadyManaged: {0}")]
    AlreadyManaged(String),
    /// The resource's state forbids the operation (Cinder's "Invalid volume/snapshot").
    #[error("InvalidState: {0}")]
    InvalidState(String),
    /// Cinder's 409 `conflictingRequest`.
    #[error("Conflict: {0}")]
    Conflict(String),
    /// A mutation was refused because the session is read-only; nothing was sent.
    #[error("ReadOnly: {0}")]
    ReadOnly(String),
    /// Cinder's 400 `badRequest` that is not about a state.
    #[error("BadRequest: {0}")]
    BadRequest(String),
    /// Authentication failed or the token was rejected.
    #[error("Unauthorized: {0}")]
    Unauthorized(String),
    /// The policy denies the call (Cinder's 403 `forbidden`).
    #[error("Forbidden: {0}")]
    Forbidden(String),
    /// Quota exceeded (Cinder's 413 `overLimit`).
    #[error("OverLimit: {0}")]
    OverLimit(String),
    /// The host's manageable listing could not be had (it failed, timed out, or the
    /// driver has none), so the checks that need it were not made. The message names
    /// them, the back end's reason, and how to import without them.
    #[error("ListingUnavailable: {0}")]
    ListingUnavailable(String),
    /// A mutation's request went out but its answer never came (timed out, connection
    /// closed): whether the back end acted on it is unknown until someone looks.
    #[error("NoAnswer: {0}")]
    NoAnswer(String),
    /// Anything else from the back end, with the underlying message (lvm's stderr,
    /// an HTTP status, a database error).
    #[error("BackendError: {0}")]
    Backend(String),
}

impl Error {
    /// True for refusals that changed nothing because the session is read-only.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Error::ReadOnly(_))
    }

    /// True when the call may have happened although it reported no success.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Error::NoAnswer(_))
    }
}

/// Result of a back-end call.
pub type Result<T, E = Error> = std::result::Result<T, E>;
