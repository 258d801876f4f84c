//! Hosts as the remote back end sees them: the cluster of an active/active service,
//! which manageable listings and volume imports go to, and the driver behind a pool.

mod support;

use serde_json::Value;
use snapport::backend::remote::RemoteBackend;
use snapport::backend::{Backend, Driver, ManageVolumeRequest};
use support::fake_cinder::{FakeCloud, FakeConfig, Storage};
use support::{connect_with, volume_import};
use tempfile::TempDir;

const CLUSTER: &str = "mycluster@lvm";

fn clustered(max_version: u16) -> FakeCloud {
    let config = FakeConfig {
        cluster: Some(CLUSTER.into()),
        max_version,
        polls_to_settle: 1,
        ..FakeConfig::default()
    };
    FakeCloud::start(Storage::new("node@lvm", "lvm"), config)
}

fn import(lv: &str) -> ManageVolumeRequest {
    volume_import("node@lvm#lvm", lv)
}

/// The `host` and `cluster` parameters of the last GET to `part`.
fn addressed(cloud: &FakeCloud, part: &str) -> (Option<String>, Option<String>) {
    let params = cloud.requests_to("GET", part).pop().unwrap().params();
    (params.get("host").cloned(), params.get("cluster").cloned())
}

#[tokio::test]
async fn a_clustered_host_is_listed_and_imported_by_its_cluster() {
    let cloud = clustered(71);
    cloud.storage().add_volume_lv("lv-new", 3);
    cloud.storage().add_snapshot_lv("snap-new", "lv-new", 1);
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |_| {}).await;

    // Before any host listing: the services are read once to find the cluster.
    let volumes = backend.manageable_volumes("node@lvm#lvm").await.unwrap();
    assert!(volumes.iter().any(|v| v.reference.label() == "lv-new"));
    assert_eq!(
        addressed(&cloud, "manageable_volumes"),
        (None, Some(CLUSTER.to_string()))
    );
    let snapshots = backend.manageable_snapshots("node@lvm#lvm").await.unwrap();
    assert!(snapshots.iter().any(|s| s.reference.label() == "snap-new"));
    assert_eq!(
        addressed(&cloud, "manageable_snapshots"),
        (None, Some(CLUSTER.to_string()))
    );
    assert_eq!(cloud.requests_to("GET", "os-services").len(), 1);

    let hosts = backend.hosts().await.unwrap();
    let [host] = hosts.as_slice() else {
        panic!("one host: {hosts:?}")
    };
    assert_eq!(host.host, "node@lvm#lvm");
    assert_eq!(host.cluster.as_deref(), Some(CLUSTER));
    assert_eq!(host.driver, Driver::LvmThick);
    assert_eq!(host.total_capacity_gb, Some(100.0), "the cluster's pool");

    let volume = backend.manage_volume(&import("lv-new")).await.unwrap();
    assert_eq!(volume.host.as_deref(), Some("node@lvm#lvm"));
    let post = cloud
        .requests_to("POST", "manageable_volumes")
        .pop()
        .unwrap();
    assert_eq!(post.json()["volume"]["cluster"], "mycluster@lvm#lvm");
    assert_eq!(post.json()["volume"].get("host"), None);
}

#[tokio::test]
async fn a_cluster_is_only_addressed_from_the_microversions_that_take_it() {
    // Listings take a cluster from 3.17, volume imports from 3.16.
    for (version, listing, import_field) in [(15, "host", "host"), (16, "host", "cluster")] {
        let cloud = clustered(version);
        cloud.storage().add_volume_lv("lv-new", 3);
        let dir = TempDir::new().unwrap();
        let backend = connect_with(&cloud, dir.path(), |_| {}).await;
        backend.manageable_volumes("node@lvm#lvm").await.unwrap();
        let (host, cluster) = addressed(&cloud, "manageable_volumes");
        assert_eq!(
            (host.is_some(), cluster.is_some()),
            (listing == "host", listing == "cluster"),
            "3.{version}"
        );
        backend.manage_volume(&import("lv-new")).await.unwrap();
        let post = cloud
            .requests_to("POST", "manageable_volumes")
            .pop()
            .unwrap();
        let body = post.json()["volume"].clone();
        let fields: Vec<&str> = ["host", "cluster"]
            .into_iter()
            .filter(|field| body.get(field).is_some())
            .collect();
        assert_eq!(fields, [import_field], "3.{version}: {body}");
    }
}

#[tokio::test]
async fn hosts_outside_a_cluster_stay_addressed_by_host() {
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), FakeConfig::default());
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |_| {}).await;
    let hosts = backend.hosts().await.unwrap();
    assert_eq!(hosts[0].cluster, None);
    backend.manageable_snapshots("node@lvm#lvm").await.unwrap();
    assert_eq!(
        addressed(&cloud, "manageable_snapshots"),
        (Some("node@lvm".to_string()), None)
    );
}

#[tokio::test]
async fn a_real_rbd_capability_report_makes_an_rbd_host() {
    let report: Value = serde_json::from_str(include_str!("corpus/cinder/pools_rbd.json")).unwrap();
    let config = FakeConfig {
        capabilities: Some(report["pools"][0]["capabilities"].clone()),
        ..FakeConfig::default()
    };
    let cloud = FakeCloud::start(Storage::new("realceph@ceph", "ceph"), config);
    let dir = TempDir::new().unwrap();
    let backend: RemoteBackend = connect_with(&cloud, dir.path(), |_| {}).await;
    let hosts = backend.hosts().await.unwrap();
    assert_eq!(hosts[0].host, "realceph@ceph#ceph");
    assert_eq!(hosts[0].driver, Driver::Rbd);
    assert_eq!(
        (hosts[0].total_capacity_gb, hosts[0].free_capacity_gb),
        (Some(10.0), Some(9.99))
    );
}
