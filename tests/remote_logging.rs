//! Secrets never reach the logs: everything the remote back end (and the HTTP stack
//! under it) logs at TRACE level is captured and searched for passwords and tokens.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use snapport::backend::remote::RemoteBackend;
use snapport::backend::{Backend, ListFilter, ManageSnapshotRequest, Reference};
use support::fake_cinder::{APP_CRED_ID, APP_CRED_SECRET, FakeCloud, PASSWORD};
use support::{connect_with, options, password_yaml, sources_with};
use tempfile::TempDir;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    cloud
        .storage()
        .add_snapshot_lv("snap", &format!("volume-{volume}"), 1);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |_| {}).await;
    cloud.expire_tokens();
    backend.volumes(&ListFilter::default()).await.unwrap();
    let snapshot = backend
        .manage_snapshot(&ManageSnapshotRequest {
            volume_id: volume.clone(),
            reference: Reference::name("snap"),
            name: None,
            description: None,
            metadata: Default::default(),
            force: false,
            without_listing: false,
        })
        .await
        .unwrap();
    backend.unmanage_snapshot(&snapshot.id).await.unwrap();
    tracing::info!(options = ?options(sources_with(dir.path(), &password_yaml(&cloud))), "options in use");

    let yaml = format!(
        "clouds:\n  fake:\n    auth_type: v3applicationcredential\n    auth:\n      auth_url: {}\n      \
         application_credential_id: {APP_CRED_ID}\n      application_credential_secret: {APP_CRED_SECRET}\n",
        cloud.auth_url()
    );
    let app_dir = TempDir::new().unwrap();
    RemoteBackend::connect(options(sources_with(app_dir.path(), &yaml)))
        .await
        .unwrap();
    let wrong = password_yaml(&cloud).replace(PASSWORD, &format!("{PASSWORD}-typo"));
    let wrong_dir = TempDir::new().unwrap();
    let err = RemoteBackend::connect(options(sources_with(wrong_dir.path(), &wrong)))
        .await
        .err()
        .unwrap();
    tracing::error!(error = ?err, "login failed");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("connected to Cinder"), "logging is captured");
    assert!(
        log.contains("authenticating again"),
        "the re-authentication was logged"
    );
    assert!(log.contains("progress"), "polling was logged");
    let tokens = cloud.issued_tokens();
    assert_eq!(tokens.len(), 3, "login, re-login, application credential");
    for secret in tokens
        .iter()
        .map(String::as_str)
        .chain([PASSWORD, APP_CRED_SECRET])
    {
        assert!(!log.contains(secret), "secret {secret} found in the log");
    }
}
