//! Turns Cinder and Keystone error responses into [`Error`] values that keep the
//! server's own message, so the operator reads the same words the server logged.

use reqwest::StatusCode;
use serde_json::Value;

use crate::backend::Error;

/// How much of a non-JSON body (an HTML error page, a proxy's text) goes into a message.
const TEXT_EXCERPT: usize = 200;

/// Maps an unsuccessful response to an error. `what` names the request (`GET /volumes/x`)
/// and is used only when the body carries no message of its own.
pub fn from_response(status: StatusCode, body: &[u8], what: &str) -> Error {
    let message = fault_message(body).unwrap_or_else(|| fallback_message(status, body, what));
    classify(status, message)
}

/// Picks the variant for a status code. A 400 about a resource's state ("Invalid volume:",
/// "Invalid snapshot:") is a state problem, not a malformed request; Cinder's refusal to
/// import a volume twice ("… The volume is already managed") is its own kind.
fn classify(status: StatusCode, message: String) -> Error {
    match status.as_u16() {
        400 if message.contains("already managed") => Error::AlreadyManaged(message),
        400 if message.starts_with("Invalid volume") || message.starts_with("Invalid snapshot") => {
            Error::InvalidState(message)
        }
        400 => Error::BadRequest(message),
        401 => Error::Unauthorized(message),
        403 => Error::Forbidden(message),
        404 => Error::NotFound(message),
        409 => Error::Conflict(message),
        413 => Error::OverLimit(message),
        code => Error::Backend(format!("HTTP {code}: {message}")),
    }
}

/// The message of a fault body: Cinder's `{"<faultName>": {"code", "message"}}` or
/// Keystone's `{"error": {"code", "title", "message"}}`. Both have one top-level key
/// whose value holds a `message`.
fn fault_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    object
        .values()
        .filter_map(|inner| inner.get("message")?.as_str())
        .map(str::to_string)
        .next()
}

/// A readable message for bodies that are not a fault document.
fn fallback_message(status: StatusCode, body: &[u8], what: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("");
    let text = strip_markup(&String::from_utf8_lossy(body));
    if text.is_empty() {
        format!(
            "{what} returned HTTP {} {reason} with an empty body",
            status.as_u16()
        )
    } else {
        format!("{what} returned HTTP {} {reason}: {text}", status.as_u16())
    }
}

/// Drops HTML tags and collapses whitespace, then shortens the result.
fn strip_markup(text: &str) -> String {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if !in_tag => plain.push(ch),
            _ => {}
        }
    }
    let collapsed = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    match collapsed.char_indices().nth(TEXT_EXCERPT) {
        Some((cut, _)) => format!("{}…", &collapsed[..cut]),
        None => collapsed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(status: u16, body: &str) -> Error {
        from_response(
            StatusCode::from_u16(status).unwrap(),
            body.as_bytes(),
            "GET /x",
        )
    }

    #[test]
    fn cinder_faults_keep_their_message() {
        let err = map(
            404,
            r#"{"itemNotFound":{"code":404,"message":"Volume 00 could not be found."}}"#,
        );
        assert_eq!(err, Error::NotFound("Volume 00 could not be found.".into()));
        let err = map(
            413,
            r#"{"overLimit":{"code":413,"message":"q","retryAfter":"0"}}"#,
        );
        assert_eq!(err, Error::OverLimit("q".into()));
    }

    #[test]
    fn invalid_state_is_told_apart_from_bad_input() {
        let state = map(
            400,
            r#"{"badRequest":{"code":400,"message":"Invalid snapshot: Snapshot status must be available or error and must not be part of a group."}}"#,
        );
        assert!(
            matches!(state, Error::InvalidState(m) if m.starts_with("Invalid snapshot: Snapshot status"))
        );
        let bad = map(
            400,
            r#"{"badRequest":{"code":400,"message":"Invalid input received: Host field is missing."}}"#,
        );
        assert_eq!(
            bad,
            Error::BadRequest("Invalid input received: Host field is missing.".into())
        );
    }

    #[test]
    fn a_second_volume_import_is_already_managed() {
        let err = map(
            400,
            r#"{"badRequest":{"code":400,"message":"Invalid volume: Unable to manage existing volume. The volume is already managed"}}"#,
        );
        assert!(
            matches!(err, Error::AlreadyManaged(m) if m.ends_with("The volume is already managed"))
        );
    }

    #[test]
    fn keystone_errors_are_understood() {
        let err = map(
            401,
            r#"{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}"#,
        );
        assert_eq!(
            err,
            Error::Unauthorized("The request you have made requires authentication.".into())
        );
    }

    #[test]
    fn html_and_empty_bodies_still_read_well() {
        let err = map(
            502,
            "<html><body><h1>502 Bad Gateway</h1>\n<p>nginx</p></body></html>",
        );
        assert_eq!(
            err,
            Error::Backend(
                "HTTP 502: GET /x returned HTTP 502 Bad Gateway: 502 Bad Gateway nginx".into()
            )
        );
        let err = map(404, "");
        assert_eq!(
            err,
            Error::NotFound("GET /x returned HTTP 404 Not Found with an empty body".into())
        );
    }
}
