//! Turns Cinder and Keystone error responses, and calls that got no answer, into [`Error`]
//! values that keep the server's own message, so the operator reads the same words the
//! server logged.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::backend::Error;

/// How much of a non-JSON body (an HTML error page, a proxy's text) goes into a message.
const TEXT_EXCERPT: usize = 200;

/// Maps an unsuccessful response to an error. `what` names the request (`GET /volumes/x`)
/// and is used only when the body carries no message of its own.
pub fn from_response(status: StatusCode, body: &[u8], what: &str) -> Error {
    let message =
        fault_message(body).unwrap_or_else(|| status_line(status, what, &plain_text(body)));
    classify(status, message)
}

/// A 401 for a token Keystone issued just before: the token is good, so the credential
/// itself does not cover the call (an application credential's access rules).
pub fn refused_fresh_token(method: &reqwest::Method, path: &str, message: &str) -> Error {
    Error::Unauthorized(format!(
        "Cinder refused {method} {path} with a token issued just now ({message}): the \
         credential may not allow that call; an application credential's access rules must \
         cover {method} {path}"
    ))
}

/// The snapport features that need Cinder's admin-only calls, by the call's path.
const ADMIN_FEATURES: &[(&str, &str)] = &[
    (
        "scheduler-stats/get_pools",
        "host list (the pools of each volume host)",
    ),
    ("os-services", "host list (the volume services)"),
    (
        "manageable_snapshots",
        "the import listing of unmanaged snapshots",
    ),
    (
        "manageable_volumes",
        "the import listing of unmanaged volumes",
    ),
    ("os-snapshot-manage", "snapshot import"),
    ("os-volume-manage", "volume import"),
    ("/action", "export (os-unmanage)"),
];

/// A 403: Cinder's policy words, and which snapport feature needs which admin call.
/// `call_path` is relative to the endpoint, `path` the whole URL path.
pub fn forbidden_call(
    method: &reqwest::Method,
    call_path: &str,
    path: &str,
    message: &str,
) -> Error {
    let call = call_path.trim_start_matches('/');
    let feature = ADMIN_FEATURES
        .iter()
        .find(|(key, _)| call.starts_with(key) || (key.starts_with('/') && call.ends_with(key)))
        .map(|(_, feature)| *feature);
    match feature {
        Some(feature) => Error::Forbidden(format!(
            "{message} snapport's {feature} needs {method} {path}, which Cinder allows \
             to admins only: use a cloud whose user has the admin role"
        )),
        None => Error::Forbidden(format!("{method} {path}: {message}")),
    }
}

/// One line naming the request, the status and the server's words (its fault message, else
/// an excerpt of the body), for reports that list several requests and so cannot rely on the
/// error variant to tell the status.
pub fn describe(status: StatusCode, body: &[u8], what: &str) -> String {
    let detail = fault_message(body).unwrap_or_else(|| plain_text(body));
    status_line(status, what, &detail)
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

/// `what returned HTTP N Reason: detail`, or `… with an empty body` when there is no detail.
fn status_line(status: StatusCode, what: &str, detail: &str) -> String {
    let reason = status.canonical_reason().unwrap_or("");
    if detail.is_empty() {
        format!(
            "{what} returned HTTP {} {reason} with an empty body",
            status.as_u16()
        )
    } else {
        format!(
            "{what} returned HTTP {} {reason}: {detail}",
            status.as_u16()
        )
    }
}

/// The body as short plain text: an HTML page or a proxy's text without the markup.
fn plain_text(body: &[u8]) -> String {
    strip_markup(&String::from_utf8_lossy(body))
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

/// `what` and how it failed (after how long, for a timeout), with the whole chain of
/// causes (the TLS or DNS detail is usually at the end).
pub fn transport_message(what: &str, timeout: Duration, err: &reqwest::Error) -> String {
    let kind = if err.is_timeout() {
        format!("timed out after {} s", timeout.as_secs_f64())
    } else if err.is_connect() {
        "could not connect".into()
    } else if connection_closed(err) {
        "connection closed before the answer".into()
    } else {
        "failed".into()
    };
    let mut message = format!("{what} {kind}: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// True when the server (or something between) closed the connection mid-exchange.
fn connection_closed(err: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text.contains("connection closed")
            || cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
                matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::BrokenPipe
                )
            })
        {
            return true;
        }
        source = cause.source();
    }
    false
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
    fn descriptions_name_the_request_and_the_status() {
        let describe = |status: u16, body: &str| {
            describe(
                StatusCode::from_u16(status).unwrap(),
                body.as_bytes(),
                "GET http://h/volume/",
            )
        };
        assert_eq!(
            describe(
                401,
                r#"{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}"#
            ),
            "GET http://h/volume/ returned HTTP 401 Unauthorized: The request you have made requires authentication."
        );
        assert_eq!(
            describe(404, "<html><h1>404 Not Found</h1><hr>nginx</html>"),
            "GET http://h/volume/ returned HTTP 404 Not Found: 404 Not Found nginx"
        );
        assert_eq!(
            describe(204, ""),
            "GET http://h/volume/ returned HTTP 204 No Content with an empty body"
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

    #[test]
    fn a_policy_refusal_names_the_feature_that_needs_the_admin_call() {
        let policy = "Policy doesn't allow volume:get_all_manageable to be performed.";
        let err = forbidden_call(
            &reqwest::Method::GET,
            "/manageable_snapshots/detail?host=h",
            "/v3/p/manageable_snapshots/detail",
            policy,
        );
        let Error::Forbidden(message) = err else {
            panic!("a 403 stays Forbidden: {err:?}")
        };
        assert!(message.starts_with(policy), "{message}");
        assert!(
            message.contains("the import listing of unmanaged snapshots needs GET /v3/p/"),
            "{message}"
        );
        let export = forbidden_call(
            &reqwest::Method::POST,
            "/snapshots/s/action",
            "/v3/p/snapshots/s/action",
            policy,
        );
        assert!(
            export.to_string().contains("export (os-unmanage)"),
            "{export}"
        );
        let other = forbidden_call(
            &reqwest::Method::GET,
            "/volumes/detail",
            "/v3/p/volumes/detail",
            policy,
        );
        assert_eq!(
            other,
            Error::Forbidden(format!("GET /v3/p/volumes/detail: {policy}"))
        );
    }

    #[test]
    fn a_fresh_tokens_refusal_points_at_access_rules() {
        let err = refused_fresh_token(
            &reqwest::Method::GET,
            "/v3/p/os-services",
            "The request you have made requires authentication.",
        );
        let Error::Unauthorized(message) = err else {
            panic!("stays Unauthorized: {err:?}")
        };
        assert!(message.contains("token issued just now"), "{message}");
        assert!(
            message.contains("access rules must cover GET /v3/p/os-services"),
            "{message}"
        );
    }
}
