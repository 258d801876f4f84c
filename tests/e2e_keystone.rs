//! End-to-end tests against the harness's real Keystone (`tests/e2e/keystone.sh`) and
//! Cinder deployment k behind it (`auth_strategy = keystone`): every auth type of the
//! clouds `ks-*`, region and interface selection, the messages for a credential whose
//! access rules do not cover a call, for a member without admin rights and for a dead
//! region, and no secret in what snapport wrote. See `cinder_harness` for when they run.

use serde_json::Value;

mod cinder_harness;
mod isolated;

use cinder_harness::{Harness, harness};

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
