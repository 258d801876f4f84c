//! The remote back end at scale, against the fake Cinder: one manageable listing per
//! host for a batch, imports when the listing fails or is empty, and inventories
//! fetched several pages at a time.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::AtomicBool;

use axum::http::Method;
use snapport::backend::remote::RemoteBackend;
use snapport::backend::{Backend, Error, ListFilter, ManageSnapshotRequest, Reference};
use snapport::batch::{self, Batch, Control, Item};
use snapport::config::BackendSpec;
use snapport::migrate::Action;
use support::fake_cinder::{FakeCloud, FakeConfig, Storage};
use support::{connect_with, volume_import};
use tempfile::TempDir;

/// What Cinder answers when the driver's listing fails (RPC timeout, NotImplemented).
const COMPUTE_FAULT: &str = r#"{"computeFault": {"code": 500, "message": "The server has either erred or is incapable of performing the requested operation."}}"#;

fn request(volume_id: &str, lv: &str, without_listing: bool) -> ManageSnapshotRequest {
    ManageSnapshotRequest {
        volume_id: volume_id.into(),
        reference: Reference::name(lv),
        name: Some(lv.into()),
        description: None,
        metadata: BTreeMap::new(),
        force: false,
        without_listing,
    }
}

async fn connect(cloud: &FakeCloud, dir: &TempDir) -> RemoteBackend {
    connect_with(cloud, dir.path(), |_| {}).await
}

fn listings(cloud: &FakeCloud) -> usize {
    cloud.requests_to("GET", "manageable_snapshots").len()
}

fn posts(cloud: &FakeCloud) -> usize {
    cloud.requests_to("POST", "manageable_snapshots").len()
}

#[tokio::test]
async fn a_failed_listing_stops_an_import_with_the_reason_until_it_is_skipped() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let origin = format!("volume-{volume}");
    cloud.storage().add_snapshot_lv("snap-1", &origin, 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    cloud.inject(
        Method::GET,
        "manageable_snapshots",
        500,
        "application/json",
        COMPUTE_FAULT,
    );

    let err = backend
        .manage_snapshot(&request(&volume, "snap-1", false))
        .await
        .unwrap_err();
    let Error::ListingUnavailable(message) = &err else {
        panic!("not a listing refusal: {err}");
    };
    for part in [
        "the manageable snapshot listing of host node@lvm#lvm failed",
        "The server has either erred",
        &format!("Checked: volume {volume} exists and is available"),
        "Not checked: that snap-1 exists on the back end, is a snapshot of volume",
        "--no-listing",
    ] {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
    assert_eq!(posts(&cloud), 0, "nothing was sent");

    let imported = backend
        .manage_snapshot(&request(&volume, "snap-1", true))
        .await
        .unwrap();
    assert_eq!(imported.status, "available");
    assert!(
        cloud
            .storage()
            .lv(&format!("_snapshot-{}", imported.id))
            .is_some()
    );
    assert_eq!(
        listings(&cloud),
        1,
        "the import by reference listed nothing"
    );

    // A fresh session knows nothing of that import: the name template still tells.
    let other = connect(&cloud, &dir).await;
    let again = format!("_snapshot-{}", imported.id);
    let err = other
        .manage_snapshot(&request(&volume, &again, true))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::AlreadyManaged(m) if m.contains(&imported.id)),
        "{err}"
    );
    assert_eq!(posts(&cloud), 1, "the double import was never sent");
    assert_eq!(listings(&cloud), 1);
}

#[tokio::test]
async fn an_empty_listing_is_not_taken_as_proof_that_the_reference_is_missing() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    cloud.inject(
        Method::GET,
        "manageable_snapshots",
        200,
        "application/json",
        r#"{"manageable-snapshots": []}"#,
    );
    let err = backend
        .manage_snapshot(&request(&volume, "snap-1", false))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ListingUnavailable(m) if m.contains("lists no back-end snapshots at all")),
        "{err}"
    );
    // The driver simply does not list: the import by reference reaches Cinder.
    cloud
        .storage()
        .add_snapshot_lv("snap-1", &format!("volume-{volume}"), 1);
    let imported = backend
        .manage_snapshot(&request(&volume, "snap-1", true))
        .await
        .unwrap();
    assert_eq!(imported.name.as_deref(), Some("snap-1"));
}

fn manage_items(volume: &str, lvs: &[String]) -> Vec<Item> {
    lvs.iter()
        .map(|lv| Item {
            label: lv.clone(),
            action: Action::from(request(volume, lv, false)),
        })
        .collect()
}

/// Runs `items` as one batch of 8 at a time on `backend`.
async fn run_batch(backend: &RemoteBackend, dir: &TempDir, items: Vec<Item>) -> batch::State {
    let batch = Batch {
        backend: BackendSpec::Cloud {
            cloud: Some("fake".into()),
        },
        label: "cloud fake".into(),
        items,
        in_order: false,
    };
    let stop = AtomicBool::new(false);
    let control = Control {
        pause: None,
        stop: &stop,
        report: &|_, _| {},
        at_once: 8,
    };
    let journal = dir.path().join("batch.journal.jsonl");
    batch::start(&journal, batch, backend, control)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_lists_the_host_once_and_refuses_a_reference_it_already_imported() {
    let cloud = FakeCloud::keystone();
    let volume = cloud.seed_volume("v", 1);
    let origin = format!("volume-{volume}");
    let lvs: Vec<String> = (0..12).map(|i| format!("snap-{i:02}")).collect();
    for lv in &lvs {
        cloud.storage().add_snapshot_lv(lv, &origin, 1);
    }
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let mut items = manage_items(&volume, &lvs);
    items.extend(manage_items(&volume, &lvs[..1]));
    let state = run_batch(&backend, &dir, items).await;

    assert!(state.complete);
    for number in 1..=12 {
        assert!(state.item(number).is_done(), "item {number}");
    }
    let twice = state.item(13).error.as_deref().unwrap_or_default();
    assert!(
        twice.starts_with("ManageExistingAlreadyManaged: snap-00"),
        "the second import of snap-00 is refused: {twice}"
    );
    assert_eq!(listings(&cloud), 1, "one listing for the whole batch");
    assert_eq!(posts(&cloud), 12);
    let managed = backend
        .snapshots(&ListFilter::default())
        .await
        .unwrap()
        .len();
    assert_eq!(managed, 12);
}

/// Each volume import renames its LV, yet the LVs of the others keep their names: the
/// batch's one listing, with the imports it made remembered, serves every item, where a
/// listing per import would cost Cinder a scan of the whole back end each time.
#[tokio::test]
async fn a_batch_of_volume_imports_lists_the_host_once() {
    let cloud = FakeCloud::keystone();
    let lvs: Vec<String> = (0..20).map(|i| format!("legacy-{i:02}")).collect();
    for lv in &lvs {
        cloud.storage().add_volume_lv(lv, 1);
    }
    let dir = TempDir::new().unwrap();
    let backend = connect(&cloud, &dir).await;
    let mut items: Vec<Item> = lvs
        .iter()
        .map(|lv| Item {
            label: lv.clone(),
            action: Action::from(volume_import("node@lvm#lvm", lv)),
        })
        .collect();
    items.push(Item {
        label: "again".into(),
        action: Action::from(volume_import("node@lvm#lvm", &lvs[0])),
    });
    let state = run_batch(&backend, &dir, items).await;

    for number in 1..=20 {
        assert!(state.item(number).is_done(), "item {number}");
    }
    let twice = state.item(21).error.as_deref().unwrap_or_default();
    assert!(
        twice.starts_with("ManageExistingAlreadyManaged: legacy-00"),
        "the second import of legacy-00 is refused: {twice}"
    );
    assert_eq!(
        cloud.requests_to("GET", "manageable_volumes").len(),
        1,
        "one listing for the whole batch"
    );
    assert_eq!(cloud.requests_to("POST", "manageable_volumes").len(), 20);
}

#[tokio::test]
async fn an_inventory_is_fetched_by_offset_once_the_total_is_known() {
    let cloud = FakeCloud::start(Storage::new("node@lvm", "lvm"), FakeConfig::default());
    let volume = cloud.seed_volume("v", 1);
    let ids: Vec<String> = (0..23)
        .map(|i| cloud.seed_snapshot(&volume, &format!("s{i}")))
        .collect();
    let dir = TempDir::new().unwrap();
    let backend = connect_with(&cloud, dir.path(), |o| o.page_size = 5).await;
    cloud.clear_requests();

    let mut pages = Vec::new();
    backend
        .snapshots_paged(&ListFilter::default(), &mut |page| pages.push(page))
        .await
        .unwrap();
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, [5, 5, 5, 5, 3], "pages arrive in order");
    let got: Vec<String> = pages.into_iter().flatten().map(|s| s.id).collect();
    let mut expected = ids.clone();
    expected.sort();
    assert_eq!(got, expected);

    let requests = cloud.list_requests("snapshots");
    let asked: Vec<(Option<String>, Option<String>)> = requests
        .iter()
        .map(|r| {
            let params = r.params();
            (
                params.get("with_count").cloned(),
                params.get("offset").cloned(),
            )
        })
        .collect();
    assert_eq!(
        asked[0],
        (Some("true".into()), None),
        "the first page counts"
    );
    let offsets: HashSet<Option<String>> = asked[1..].iter().map(|(_, o)| o.clone()).collect();
    let wanted: HashSet<Option<String>> = ["5", "10", "15", "20"]
        .into_iter()
        .map(|o| Some(o.to_string()))
        .collect();
    assert_eq!(offsets, wanted);
    assert_eq!(requests.len(), 5, "no page fetched twice, no marker walk");
}
