//! clouds.yaml, secure.yaml and OS_* handling, with real files in temporary directories
//! and an injected environment (the process environment is never changed).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::ExposeSecret;
use snapport::backend::remote::clouds::{self, AuthConfig, ConfigSources, Domain, Named, Scope};
use tempfile::TempDir;

const TWO_CLOUDS: &str = "clouds:
  prod:
    auth:
      auth_url: https://keystone.prod/v3
      username: ops
      user_domain_name: Default
      project_name: admin
      project_domain_id: default
    region_name: RegionOne
  lab:
    auth_type: noauth
    block_storage_endpoint_override: http://lab:8776/v3/abc
";

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn sources(dirs: &[&Path], vars: &[(&str, &str)]) -> ConfigSources {
    ConfigSources {
        env: env(vars),
        dirs: dirs.iter().map(|d| d.to_path_buf()).collect(),
    }
}

fn password(config: &clouds::CloudConfig) -> String {
    match &config.auth {
        AuthConfig::Password { password, .. } => password.expose_secret().to_string(),
        other => panic!("not a password cloud: {other:?}"),
    }
}

#[test]
fn the_first_file_on_the_path_wins_and_secure_yaml_is_merged_over_it() {
    let (first, second) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    write(first.path(), "clouds.yaml", TWO_CLOUDS);
    write(
        second.path(),
        "clouds.yaml",
        "clouds: {other: {auth_type: noauth, block_storage_endpoint_override: http://x/v3}}",
    );
    write(
        second.path(),
        "secure.yml",
        "clouds: {prod: {auth: {password: from-secure}}}",
    );
    let sources = sources(&[first.path(), second.path()], &[]);

    let prod = clouds::load(Some("prod"), &sources).unwrap();
    assert_eq!(password(&prod), "from-secure");
    assert_eq!(prod.region_name.as_deref(), Some("RegionOne"));
    assert_eq!(prod.interface, "public");
    assert_eq!(
        prod.files,
        [
            first.path().join("clouds.yaml"),
            second.path().join("secure.yml")
        ]
    );
    let AuthConfig::Password {
        user,
        scope,
        auth_url,
        ..
    } = &prod.auth
    else {
        unreachable!()
    };
    assert_eq!(auth_url, "https://keystone.prod/v3");
    assert_eq!(
        *user,
        Named::Name {
            name: "ops".into(),
            domain: Some(Domain::Name("Default".into()))
        }
    );
    assert_eq!(
        *scope,
        Scope::Project(Named::Name {
            name: "admin".into(),
            domain: Some(Domain::Id("default".into()))
        })
    );
    let err = clouds::load(Some("other"), &sources)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("cloud 'other' is not defined") && err.contains("clouds: prod, lab"),
        "{err}"
    );
}

#[test]
fn os_client_config_file_comes_before_the_search_path() {
    let (searched, elsewhere) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    write(searched.path(), "clouds.yaml", TWO_CLOUDS);
    let explicit = write(
        elsewhere.path(),
        "mine.json",
        r#"{"clouds": {"solo": {"auth_type": "admin_token", "auth": {"token": "t0k", "endpoint": "http://solo/v3/p"}}}}"#,
    );
    let secure = write(
        elsewhere.path(),
        "my-secure.yaml",
        "clouds: {solo: {auth: {token: secret-token}}}",
    );
    let sources = sources(
        &[searched.path()],
        &[
            ("OS_CLIENT_CONFIG_FILE", explicit.to_str().unwrap()),
            ("OS_CLIENT_SECURE_FILE", secure.to_str().unwrap()),
        ],
    );
    let solo = clouds::load(None, &sources).unwrap();
    assert_eq!(
        solo.name, "solo",
        "the only cloud of the first file is the default"
    );
    assert_eq!(solo.endpoint_override.as_deref(), Some("http://solo/v3/p"));
    let AuthConfig::AdminToken { token } = &solo.auth else {
        panic!("{:?}", solo.auth)
    };
    assert_eq!(token.expose_secret(), "secret-token");
}

#[test]
fn the_cloud_is_chosen_by_name_then_os_cloud_then_os_variables_then_a_lone_cloud() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "clouds.yaml", TWO_CLOUDS);
    write(
        dir.path(),
        "secure.yaml",
        "clouds: {prod: {auth: {password: prod-pw}}}",
    );
    let env_auth = [
        ("OS_AUTH_URL", "https://keystone.env"),
        ("OS_USERNAME", "envuser"),
        ("OS_PASSWORD", "envpass"),
        ("OS_USER_DOMAIN_NAME", "Default"),
        ("OS_PROJECT_ID", "p-123"),
        ("OS_INTERFACE", "internal"),
    ];

    let named = |name: Option<&str>, vars: &[(&str, &str)]| {
        clouds::load(name, &sources(&[dir.path()], vars))
    };
    assert_eq!(
        named(Some("lab"), &[("OS_CLOUD", "prod")]).unwrap().name,
        "lab"
    );
    assert_eq!(named(None, &[("OS_CLOUD", "prod")]).unwrap().name, "prod");

    let from_env = named(None, &env_auth).unwrap();
    assert_eq!(from_env.name, "envvars");
    assert_eq!(from_env.interface, "internal");
    assert_eq!(password(&from_env), "envpass");
    let AuthConfig::Password { scope, .. } = &from_env.auth else {
        unreachable!()
    };
    assert_eq!(*scope, Scope::Project(Named::Id("p-123".into())));

    // A named cloud ignores the OS_* description of another one.
    let prod = named(Some("prod"), &env_auth).unwrap();
    assert_eq!(password(&prod), "prod-pw");
    assert_eq!(prod.interface, "public");

    let mut renamed = env_auth.to_vec();
    renamed.push(("OS_CLOUD_NAME", "shell"));
    assert_eq!(named(Some("shell"), &renamed).unwrap().name, "shell");

    let err = named(None, &[]).unwrap_err().to_string();
    assert!(
        err.starts_with("no cloud selected") && err.contains("prod, lab"),
        "{err}"
    );
}

#[test]
fn region_tls_and_service_keys() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "clouds.yaml",
        "clouds:
  edge:
    auth_type: noauth
    auth: {user_id: op}
    regions: [North, South]
    volume_endpoint_override: http://edge/volume/v3/p
    block_storage_interface: admin
    volume_api_version: '3.50'
    verify: false
    cacert: /etc/ssl/edge.pem
    api_timeout: 2.5
  strict:
    auth_type: token
    auth: {auth_url: 'https://k', token: abc, tenant-name: demo, domain_name: Corp}
    cacert: /etc/ssl/corp.pem
    insecure: 'no'
  slow:
    auth_type: noauth
    auth: {user_id: op}
    volume_endpoint_override: http://slow/volume/v3/p
    api_timeout: soon
",
    );
    let edge = clouds::load(Some("edge"), &sources(&[dir.path()], &[])).unwrap();
    assert_eq!(edge.region_name.as_deref(), Some("North"));
    assert_eq!(
        edge.endpoint_override.as_deref(),
        Some("http://edge/volume/v3/p")
    );
    assert_eq!(edge.interface, "admin");
    assert_eq!(edge.api_version.as_deref(), Some("3.50"));
    assert!(edge.tls.insecure);
    assert_eq!(
        edge.api_timeout,
        Some(std::time::Duration::from_millis(2500))
    );
    let err = clouds::load(Some("slow"), &sources(&[dir.path()], &[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("api_timeout must be a positive number"),
        "{err}"
    );
    let AuthConfig::NoAuth { user, project } = &edge.auth else {
        unreachable!()
    };
    assert_eq!(
        (user.as_str(), project.as_str()),
        ("op", "op"),
        "the project defaults to the user"
    );

    let env_region = clouds::load(
        Some("edge"),
        &sources(&[dir.path()], &[("OS_REGION_NAME", "South")]),
    )
    .unwrap();
    assert_eq!(env_region.region_name.as_deref(), Some("South"));

    let strict = clouds::load(Some("strict"), &sources(&[dir.path()], &[])).unwrap();
    assert!(!strict.tls.insecure);
    assert_eq!(strict.api_timeout, None, "snapport's default applies");
    assert_eq!(
        strict.tls.cacert.as_deref(),
        Some(Path::new("/etc/ssl/corp.pem"))
    );
    let AuthConfig::Token { scope, .. } = &strict.auth else {
        unreachable!()
    };
    assert_eq!(
        *scope,
        Scope::Project(Named::Name {
            name: "demo".into(),
            domain: Some(Domain::Name("Corp".into()))
        }),
        "tenant-name is project_name and a bare domain applies to the project"
    );
}

#[test]
fn incomplete_clouds_get_clear_errors() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "clouds.yaml",
        "clouds:
  nouser: {auth: {auth_url: 'https://k', password: x}}
  nodomain: {auth: {auth_url: 'https://k', username: u, password: x}}
  noendpoint: {auth_type: admin_token, auth: {token: t}}
  odd: {auth_type: v3oidcpassword, auth: {auth_url: 'https://k'}}
  badbool: {auth_type: noauth, block_storage_endpoint_override: 'http://x/v3', verify: maybe}
",
    );
    let message = |name: &str| {
        clouds::load(Some(name), &sources(&[dir.path()], &[]))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        message("nouser"),
        "cloud 'nouser': auth_type password needs auth.username or auth.user_id"
    );
    assert!(message("nodomain").contains("user_domain_name"));
    assert!(message("noendpoint").contains("needs an endpoint"));
    assert_eq!(
        message("odd"),
        "cloud 'odd': auth_type v3oidcpassword is not supported"
    );
    assert_eq!(
        message("badbool"),
        "cloud 'badbool': verify must be true or false, not 'maybe'"
    );

    write(dir.path(), "clouds.yaml", "clouds: [unclosed");
    assert!(message("x").contains("is not valid YAML"));
}

#[test]
fn the_user_config_dir_follows_xdg_config_home() {
    let home = TempDir::new().unwrap();
    let xdg = home.path().join("xdg");
    std::fs::create_dir_all(xdg.join("openstack")).unwrap();
    std::fs::create_dir_all(home.path().join(".config/openstack")).unwrap();
    write(
        &xdg.join("openstack"),
        "clouds.yaml",
        "clouds: {xdg: {auth_type: none, block_storage_endpoint_override: 'http://x/v3'}}",
    );
    write(
        &home.path().join(".config/openstack"),
        "clouds.yaml",
        "clouds: {plain: {auth_type: none, block_storage_endpoint_override: 'http://x/v3'}}",
    );
    let vars = env(&[
        ("HOME", home.path().to_str().unwrap()),
        ("XDG_CONFIG_HOME", xdg.to_str().unwrap()),
    ]);
    let dirs = clouds::default_dirs(&vars, home.path());
    let found = clouds::load(
        None,
        &ConfigSources {
            env: vars.clone(),
            dirs,
        },
    )
    .unwrap();
    assert_eq!(found.name, "xdg");
    let mut without_xdg = vars;
    without_xdg.remove("XDG_CONFIG_HOME");
    let dirs = clouds::default_dirs(&without_xdg, home.path());
    assert_eq!(
        clouds::load(
            None,
            &ConfigSources {
                env: without_xdg,
                dirs
            }
        )
        .unwrap()
        .name,
        "plain"
    );
}

#[test]
fn debug_output_hides_secrets() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "clouds.yaml",
        "clouds:
  a: {auth: {auth_url: 'https://k', user_id: u, password: hunter2-pw, project_id: p}}
  b: {auth_type: v3applicationcredential, auth: {auth_url: 'https://k', application_credential_id: i, application_credential_secret: hunter2-app}}
",
    );
    for name in ["a", "b"] {
        let config = clouds::load(Some(name), &sources(&[dir.path()], &[])).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("REDACTED"), "{shown}");
    }
}
