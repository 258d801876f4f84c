//! Microversion discovery behind proxies: when the unversioned root of the block-storage
//! endpoint is not Cinder, the version document is read at `/v3/`; when neither place has
//! it, the error names both requests.

mod support;

use axum::http::Method;
use snapport::backend::remote::RemoteBackend;
use snapport::backend::{Backend, Error, ListFilter};
use support::fake_cinder::{AuthMode, FakeCloud, FakeConfig, RootAnswer, Storage};
use support::{connect_with, noauth_yaml, options, password_yaml, sources_with};
use tempfile::TempDir;

const UNAUTHORIZED: &str = r#"{"error":{"code":401,"title":"Unauthorized","message":"The request you have made requires authentication."}}"#;

fn behind_proxy(root: RootAnswer, max_version: u16) -> FakeCloud {
    let config = FakeConfig {
        root,
        max_version,
        ..FakeConfig::default()
    };
    FakeCloud::start(Storage::new("node@lvm", "lvm"), config)
}

/// Connects with a password and expects a failure.
async fn connect_error(cloud: &FakeCloud) -> Error {
    let dir = TempDir::new().unwrap();
    let options = options(sources_with(dir.path(), &password_yaml(cloud)));
    RemoteBackend::connect(options)
        .await
        .err()
        .expect("the connection must fail")
}

/// The microversion sent with a listing, as Cinder saw it.
async fn microversion_of_a_listing(cloud: &FakeCloud, backend: &RemoteBackend) -> String {
    backend.volumes(&ListFilter::default()).await.unwrap();
    let listing = cloud.requests_to("GET", "volumes/detail").pop().unwrap();
    listing.header("OpenStack-API-Version").unwrap().to_string()
}

#[tokio::test]
async fn a_404_at_the_root_falls_back_to_the_versioned_document_with_the_token() {
    let cloud = behind_proxy(RootAnswer::NotFound, 60);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |_| {}).await;
    assert_eq!(backend.microversion().to_string(), "3.60");
    assert_eq!(
        microversion_of_a_listing(&cloud, &backend).await,
        "volume 3.60"
    );

    let discovery: Vec<_> = cloud
        .requests_to("GET", "/volume/")
        .into_iter()
        .filter(|r| r.path == "/volume/" || r.path == "/volume/v3/")
        .collect();
    let paths: Vec<&str> = discovery.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(paths, ["/volume/", "/volume/v3/"], "root first, once each");
    assert_eq!(discovery[0].header("X-Auth-Token"), None);
    let token = discovery[1].header("X-Auth-Token").expect("token at /v3/");
    assert!(cloud.issued_tokens().iter().any(|t| t == token));
}

#[tokio::test]
async fn a_welcome_page_at_the_root_falls_back_too_with_noauth() {
    let config = FakeConfig {
        auth: AuthMode::NoAuth,
        root: RootAnswer::WelcomePage,
        max_version: 55,
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), config);
    let dir = TempDir::new().unwrap();
    let options = options(sources_with(dir.path(), &noauth_yaml(&cloud)));
    let backend = RemoteBackend::connect(options).await.unwrap();
    assert_eq!(backend.microversion().to_string(), "3.55");
    assert_eq!(
        microversion_of_a_listing(&cloud, &backend).await,
        "volume 3.55"
    );
}

/// Where the fake cloud's endpoint came from, as discovery errors name it.
const ORIGIN: &str = "(catalog endpoint of region RegionOne, interface public)";

#[tokio::test]
async fn when_neither_place_has_the_document_the_error_names_both() {
    let cloud = behind_proxy(RootAnswer::NotFound, 71);
    cloud.inject(
        Method::GET,
        "/volume/v3/",
        401,
        "application/json",
        UNAUTHORIZED,
    );
    let base = &cloud.base;
    assert_eq!(
        connect_error(&cloud).await,
        Error::Backend(format!(
            "no Cinder version document: \
             GET {base}/volume/ {ORIGIN} returned HTTP 404 Not Found: 404 Not Found 404 Not Found nginx; \
             GET {base}/volume/v3/ {ORIGIN} returned HTTP 401 Unauthorized: The request you have made requires authentication."
        ))
    );

    let cloud = behind_proxy(RootAnswer::WelcomePage, 71);
    cloud.inject(Method::GET, "/volume/v3/", 404, "text/html", "");
    let base = &cloud.base;
    assert_eq!(
        connect_error(&cloud).await,
        Error::Backend(format!(
            "no Cinder version document: \
             GET {base}/volume/ {ORIGIN} returned HTTP 200 OK: Welcome to nginx! Welcome to nginx! If you see this page, \
             the nginx web server is successfully installed and working. (not a Cinder version document); \
             GET {base}/volume/v3/ {ORIGIN} returned HTTP 404 Not Found with an empty body"
        ))
    );
}

#[tokio::test]
async fn an_old_server_behind_the_proxy_is_still_refused() {
    let cloud = behind_proxy(RootAnswer::NotFound, 7);
    let message = connect_error(&cloud).await.to_string();
    let expected = format!(
        "Cinder at {}/volume/v3/ supports block-storage API microversions 3.0 to 3.7; \
         snapport needs at least 3.8",
        cloud.base
    );
    assert!(message.contains(&expected), "{message}");
}

#[tokio::test]
async fn a_failing_root_is_retried_and_not_taken_for_a_proxy() {
    let cloud = behind_proxy(RootAnswer::Versions, 71);
    let html = "<html><body><h1>503 Service Unavailable</h1></body></html>";
    cloud.inject(Method::GET, "/volume/", 503, "text/html", html);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |_| {}).await;
    assert_eq!(backend.microversion().to_string(), "3.71");
    assert_eq!(
        cloud
            .requests_to("GET", "/volume/")
            .iter()
            .filter(|r| r.path == "/volume/")
            .count(),
        2
    );

    // Out of retries, the server error is reported as it is; /v3/ on a failing server is
    // not tried.
    for _ in 0..3 {
        cloud.inject(Method::GET, "/volume/", 503, "text/html", html);
    }
    cloud.clear_requests();
    assert_eq!(
        connect_error(&cloud).await,
        Error::Backend(format!(
            "GET {}/volume/ {ORIGIN} returned HTTP 503 Service Unavailable: 503 Service Unavailable",
            cloud.base
        ))
    );
    assert!(cloud.requests_to("GET", "/volume/v3/").is_empty());
}
