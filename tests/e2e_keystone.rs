//! End-to-end tests against the harness's real Keystone (`tests/e2e/keystone.sh`) and
//! Cinder deployment k behind it (`auth_strategy = keystone`): every auth type of the
//! clouds `ks-*`, region and interface selection, the messages for a credential whose
//! access rules do not cover a call, for a member without admin rights and for a dead
//! region, and no secret in what snapport wrote. See `cinder_harness` for when they run.

use std::time::{Duration, Instant};

use serde_json::Value;

mod cinder_harness;
mod isolated;
mod tmux;

use cinder_harness::{Harness, harness};
use tmux::Tmux;

/// The hosts `host list` shows on `cloud`.
fn hosts(h: &Harness, cloud: &str) -> Vec<String> {
    hosts_of(&h.snapport_json_on(cloud, &["host", "list"]))
}

fn hosts_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|host| host["host"].as_str().expect("host").to_string())
        .collect()
}

/// One test, one HOME: every auth path against the real Keystone, then a grep of all
/// snapport wrote there for every password, secret and token used.
#[test]
fn every_auth_path_works_against_the_real_keystone_and_leaves_no_secret() {
    let Some(h) = harness() else { return };
    let pool = h.var("SNAPPORT_E2E_K_POOL").to_string();

    // password by names and by ids, application credential by id and by name,
    // restricted, and the internal interface: all list deployment k's pool
    for cloud in [
        "ks-admin",
        "ks-admin-by-id",
        "ks-appcred",
        "ks-appcred-by-name",
        "ks-appcred-restricted",
        "ks-admin-internal",
    ] {
        assert_eq!(hosts(&h, cloud), vec![pool.clone()], "cloud {cloud}");
    }

    // TLS: Keystone over https, trusted through the harness's CA as `cacert`; without
    // it the certificate is refused and the message says where
    assert_eq!(hosts(&h, "ks-admin-tls"), vec![pool.clone()]);
    let line = h.snapport_fails_on("ks-admin-tls-no-cacert", &["host", "list"], 1);
    assert!(
        line.contains(h.var("SNAPPORT_E2E_KEYSTONE_TLS_URL")),
        "{line}"
    );
    assert!(line.contains("certificate"), "{line}");

    // token auth: a token Keystone issued, exchanged for a scoped one
    let token = h.keystone_token();
    // (outside HOME: the grep at the end looks at what snapport wrote)
    let clouds_dir = tempfile::tempdir().expect("temp dir");
    let clouds = clouds_dir.path().join("clouds.yaml");
    std::fs::write(
        &clouds,
        format!(
            "clouds:\n  ks-token:\n    auth_type: token\n    auth:\n      auth_url: {}\n      \
             token: {token}\n      project_id: {}\n    region_name: RegionOne\n",
            h.var("SNAPPORT_E2E_KEYSTONE_URL"),
            h.var("SNAPPORT_E2E_KS_ADMIN_PROJECT_ID"),
        ),
    )
    .expect("token clouds.yaml");
    let mut command = h.snapport_bare();
    command.env("OS_CLIENT_CONFIG_FILE", &clouds).args([
        "--os-cloud",
        "ks-token",
        "host",
        "list",
        "-f",
        "json",
    ]);
    assert_eq!(
        hosts_of(&cinder_harness::json_output(command)),
        vec![pool.clone()]
    );

    // an import/export round trip with an application credential
    let created = h.script_json("seed.py", &["add", "--volumes", "1"]);
    let lv = created[0]["lv"].as_str().expect("lv").to_string();
    let volume = h.snapport_json_on(
        "ks-appcred",
        &[
            "volume", "manage", "--host", &pool, "--ref", &lv, "--name", "ks-e2e",
        ],
    );
    assert_eq!(volume["status"], "available", "{volume}");
    let id = volume["id"].as_str().expect("id").to_string();
    h.snapport_on("ks-appcred")
        .args(["volume", "unmanage", &id, "--yes"])
        .assert()
        .success();
    let unmanaged = format!("volume-{id}");
    let listing = h.snapport_json_on("ks-appcred", &["volume", "manageable", "--host", &pool]);
    assert!(
        listing.to_string().contains(&unmanaged),
        "the exported volume is manageable again: {listing}"
    );
    let removed = h.script("seed.py").args(["remove", &unmanaged]).status();
    assert!(
        removed.expect("seed.py runs").success(),
        "LV {unmanaged} removed"
    );

    // access rules that do not cover get_pools: a fresh token's 401 names the call
    let line = h.snapport_fails_on("ks-appcred-rules", &["host", "list"], 1);
    assert!(line.contains("token issued just now"), "{line}");
    assert!(line.contains("access rules"), "{line}");
    assert!(
        line.contains("GET /v3/") && line.contains("/scheduler-stats/get_pools"),
        "{line}"
    );

    // a member without admin rights: which feature needs which admin call
    let line = h.snapport_fails_on("ks-member", &["host", "list"], 1);
    assert!(line.contains("Forbidden"), "{line}");
    assert!(line.contains("Policy doesn't allow"), "{line}");
    assert!(line.contains("host list"), "{line}");
    assert!(line.contains("admin"), "{line}");

    // the dead region: the connection error names region and interface
    let line = h.snapport_fails_on("ks-admin-regiontwo", &["host", "list"], 1);
    assert!(
        line.contains("region RegionTwo, interface public"),
        "{line}"
    );
    assert!(
        line.contains(&format!(":{}", h.var("SNAPPORT_E2E_KEYSTONE_DEAD_PORT"))),
        "{line}"
    );

    // nothing snapport wrote (log, audit trail, journals) holds a secret or the token
    let mut secrets = h.keystone_secrets();
    assert!(
        secrets.len() >= 5,
        "the harness names its secrets: {secrets:?}"
    );
    secrets.push(token);
    let leaks = h.files_holding(&secrets);
    assert!(leaks.is_empty(), "secrets written: {leaks:?}");
    assert!(
        !isolated::audit(h.home.path()).is_empty(),
        "the grep saw the audit trail of the import and the export"
    );
}

/// A console left open past its token's expiry keeps working: snapport renews the token
/// before Cinder would refuse it, and a refresh shows what another client did meanwhile.
#[test]
fn a_console_left_open_past_its_tokens_expiry_renews_it_and_refreshes() {
    let Some(h) = harness() else { return };
    let pool = h.var("SNAPPORT_E2E_K_POOL").to_string();
    let lifetime = Duration::from_secs(
        h.var("SNAPPORT_E2E_TOKEN_EXPIRATION")
            .parse()
            .expect("seconds"),
    );
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmux = Tmux::start(&unique[..8]);
    tmux.type_text(&h.console_line("ks-admin"));
    tmux.keys(&["Enter"]);
    tmux.wait_text(&pool);
    let opened = Instant::now();
    tmux.keys(&["Enter"]);
    tmux.wait_text(&format!("Volumes on {pool}"));

    // meanwhile another client imports a volume
    let name = format!("ks-expiry-{}", &unique[..8]);
    let created = h.script_json("seed.py", &["add", "--volumes", "1"]);
    let lv = created[0]["lv"].as_str().expect("lv").to_string();
    let volume = h.snapport_json_on(
        "ks-admin",
        &[
            "volume", "manage", "--host", &pool, "--ref", &lv, "--name", &name,
        ],
    );
    let id = volume["id"].as_str().expect("id").to_string();
    assert!(!tmux.screen().contains(&name), "not shown before a refresh");

    // the token the console got when it opened has expired: the refresh still works
    let expired = opened + lifetime + Duration::from_secs(5);
    std::thread::sleep(expired.saturating_duration_since(Instant::now()));
    tmux.keys(&["r"]);
    let screen = tmux.wait_for_within(Duration::from_secs(60), "the new volume", |screen| {
        screen.contains(&id)
    });
    assert!(!screen.contains("Unauthorized"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();

    // renewed ahead of the expiry, never after a refusal
    let log = std::fs::read_to_string(h.home.path().join("state/snapport/snapport.log"))
        .expect("snapport's log");
    assert!(
        log.contains("token about to expire: authenticating again"),
        "{log}"
    );
    assert!(!log.contains("token rejected"), "{log}");

    h.snapport_on("ks-admin")
        .args(["volume", "unmanage", &id, "--yes"])
        .assert()
        .success();
    let removed = h
        .script("seed.py")
        .args(["remove", &format!("volume-{id}")])
        .status();
    assert!(removed.expect("seed.py runs").success(), "LV removed");
}

/// A member without the admin role opens the read-only console: the refused host
/// listing names the admin call and where the console still works, and the project's
/// own volumes list there.
#[test]
fn a_member_without_the_admin_role_browses_the_projects_volumes_read_only() {
    let Some(h) = harness() else { return };
    let project = h.var("SNAPPORT_E2E_KS_MEMBER_PROJECT_ID");
    let token = h.keystone_token_as(
        ("e2e-member", "e2e"),
        h.var("SNAPPORT_E2E_KS_MEMBER_PASSWORD"),
        project,
    );
    let volumes = format!("{}/v3/{project}/volumes", h.var("SNAPPORT_E2E_K_API_ROOT"));
    let created = h.request_as(
        "POST",
        &volumes,
        Some(&token),
        Some(serde_json::json!({"volume": {"size": 1, "name": "member-volume"}})),
    );
    assert_eq!(created.status, 202, "{}", created.body);
    let id = created.body["volume"]["id"]
        .as_str()
        .expect("id")
        .to_string();

    let unique = uuid::Uuid::new_v4().simple().to_string();
    let tmux = Tmux::start(&unique[..8]);
    tmux.type_text(&h.console_line("ks-member --read-only"));
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_text("Without the admin role");
    // the message as read, whatever the lines it wraps over
    let hosts = screen.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    assert!(
        hosts.contains("Forbidden: Policy doesn't allow"),
        "{screen}"
    );
    assert!(
        hosts.contains("which Cinder allows to admins only"),
        "{screen}"
    );
    assert!(
        hosts.contains("your project's volumes and snapshots: :volumes, :snapshots."),
        "{screen}"
    );
    tmux.type_text(":volumes");
    tmux.keys(&["Enter"]);
    let listed = tmux.wait_text(&id);
    assert!(listed.contains("READ-ONLY"), "{listed}");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();

    // the member's volume goes once Cinder has made it
    let volume = format!("{volumes}/{id}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while h.request_as("GET", &volume, Some(&token), None).body["volume"]["status"] != "available" {
        assert!(
            Instant::now() < deadline,
            "volume {id} never became available"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let deleted = h.request_as("DELETE", &volume, Some(&token), None);
    assert_eq!(deleted.status, 202, "{}", deleted.body);
}
