//! Shared test helpers.

#![allow(dead_code)]

pub mod fake_cinder;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use snapport::backend::remote::clouds::ConfigSources;
use snapport::backend::remote::{RemoteBackend, RemoteOptions};
use snapport::backend::{ManageVolumeRequest, Reference};

use fake_cinder::{APP_CRED_ID, APP_CRED_SECRET, FakeCloud, PASSWORD, PROJECT, USER};

/// clouds.yaml for a password login to `cloud`, named `fake`.
pub fn password_yaml(cloud: &FakeCloud) -> String {
    format!("clouds:\n{}", cloud_entry("fake", cloud, Login::Password))
}

/// How a clouds.yaml entry logs in to a fake Keystone, each with its own secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Login {
    Password,
    /// An application credential's id and secret (the credential carries its scope).
    ApplicationCredential,
    /// A token the cloud's Keystone issued before, exchanged for a scoped one.
    Token,
}

/// The clouds.yaml entry `name` for `cloud`, logging in with `login`; a token is
/// issued by that cloud's Keystone first.
pub fn cloud_entry(name: &str, cloud: &FakeCloud, login: Login) -> String {
    let auth_url = cloud.auth_url();
    let project = "      project_name: admin\n      project_domain_name: Default\n";
    let (auth_type, auth) = match login {
        Login::Password => (
            "password",
            format!(
                "      username: {USER}\n      password: {PASSWORD}\n      \
                 user_domain_name: Default\n{project}"
            ),
        ),
        Login::ApplicationCredential => (
            "v3applicationcredential",
            format!(
                "      application_credential_id: {APP_CRED_ID}\n      \
                 application_credential_secret: {APP_CRED_SECRET}\n"
            ),
        ),
        Login::Token => (
            "token",
            format!("      token: {}\n{project}", cloud.issue_token()),
        ),
    };
    format!(
        "  {name}:\n    auth_type: {auth_type}\n    auth:\n      auth_url: {auth_url}\n{auth}    \
         region_name: RegionOne\n"
    )
}

/// clouds.yaml for Cinder's noauth at the fake's endpoint, named `fake`.
pub fn noauth_yaml(cloud: &FakeCloud) -> String {
    format!(
        "clouds:
  fake:
    auth_type: noauth
    auth:
      user_id: admin
      project_id: {PROJECT}
    block_storage_endpoint_override: {endpoint}
",
        endpoint = cloud.endpoint()
    )
}

/// Writes `clouds.yaml` into `dir` and searches only there, with an empty environment.
pub fn sources_with(dir: &Path, yaml: &str) -> ConfigSources {
    std::fs::write(dir.join("clouds.yaml"), yaml).unwrap();
    ConfigSources {
        env: BTreeMap::new(),
        dirs: vec![dir.to_path_buf()],
    }
}

/// Options for tests: fast polls, small pages, no waiting between retries.
pub fn options(sources: ConfigSources) -> RemoteOptions {
    RemoteOptions {
        cloud: Some("fake".into()),
        sources: Some(sources),
        read_timeout: Duration::from_secs(10),
        retry_backoff: Duration::from_millis(1),
        poll_interval: Duration::from_millis(5),
        poll_timeout: Duration::from_secs(10),
        ..RemoteOptions::default()
    }
}

/// Connects to `cloud` with a password, tuned by `tune`.
pub async fn connect_with(
    cloud: &FakeCloud,
    dir: &Path,
    tune: impl FnOnce(&mut RemoteOptions),
) -> RemoteBackend {
    let mut options = options(sources_with(dir, &password_yaml(cloud)));
    tune(&mut options);
    RemoteBackend::connect(options)
        .await
        .expect("connect to the fake cloud")
}

/// An import of the back-end volume `lv` on `host`, named `adopted`.
pub fn volume_import(host: &str, lv: &str) -> ManageVolumeRequest {
    ManageVolumeRequest {
        host: host.into(),
        reference: Reference::name(lv),
        name: Some("adopted".into()),
        description: None,
        metadata: BTreeMap::new(),
        without_listing: false,
    }
}
