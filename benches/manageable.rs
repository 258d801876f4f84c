//! `snapshot manageable -f json` against one raw `lvs --reportformat json` call, side by
//! side, on a real volume group of 5,000 LVs (2,500 volumes, 2,500 snapshots; every
//! volume and half the snapshots in the catalog). Target: at most 1.2× the raw call.
//! Needs root and lvm2: `cargo bench --bench manageable`.

use std::process::Command;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use snapport::backend::Metadata;
use snapport::backend::local::catalog::{Catalog, Kind, NewRecord};
use snapport::backend::local::lvm::{LV_FIELDS, report_args};
use snapport::sandbox::{LvSpec, Sandbox};

const VOLUMES: usize = 2500;

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let vg = format!("spt-bench-{}", std::process::id());
    let volumes: Vec<String> = (0..VOLUMES).map(|_| uuid()).collect();
    let snapshots: Vec<String> = (0..VOLUMES).map(|_| uuid()).collect();
    let mut lvs = Vec::new();
    for (volume, snapshot) in volumes.iter().zip(&snapshots) {
        lvs.push(LvSpec::volume(format!("volume-{volume}"), 4));
        lvs.push(LvSpec::snapshot(
            format!("_snapshot-{snapshot}"),
            4,
            format!("volume-{volume}"),
        ));
    }
    let sandbox = Sandbox::create(&vg, &dir.path().join("vg"), 64 * 1024, &lvs)
        .expect("the benchmark needs root and lvm2");

    let catalog_path = dir.path().join("catalog.sqlite");
    let catalog = Catalog::open(&catalog_path, &vg).unwrap();
    let metadata = Metadata::new();
    for (index, (volume, snapshot)) in volumes.iter().zip(&snapshots).enumerate() {
        let lv = format!("volume-{volume}");
        let record = NewRecord {
            id: volume,
            name: None,
            description: None,
            size: 1,
            lv_name: &lv,
            source_lv: &lv,
            metadata: &metadata,
        };
        catalog
            .insert_volume_intent(&record, "bench@lvm#vg")
            .unwrap();
        catalog
            .set_status(Kind::Volume, volume, "available")
            .unwrap();
        if index % 2 == 0 {
            let lv = format!("_snapshot-{snapshot}");
            let record = NewRecord {
                id: snapshot,
                lv_name: &lv,
                source_lv: &lv,
                ..record
            };
            catalog.insert_snapshot_intent(&record, volume).unwrap();
            catalog
                .set_status(Kind::Snapshot, snapshot, "available")
                .unwrap();
        }
    }
    drop(catalog);

    let binary = env!("CARGO_BIN_EXE_snapport");
    let mut group = c.benchmark_group("manageable_5000_lvs");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("raw lvs --reportformat json", |b| {
        b.iter(|| {
            let out = sandbox
                .lvm("lvs")
                .args(report_args(LV_FIELDS, &vg))
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    group.bench_function("snapport snapshot manageable -f json", |b| {
        b.iter(|| {
            let out = Command::new(binary)
                .env("LVM_SYSTEM_DIR", sandbox.lvm_system_dir())
                .env("XDG_STATE_HOME", dir.path().join("state"))
                .args(["--local", "--vg", &vg, "--catalog"])
                .arg(&catalog_path)
                .args([
                    "--backend-host",
                    "bench@lvm",
                    "snapshot",
                    "manageable",
                    "--host",
                    "bench@lvm",
                    "-f",
                    "json",
                ])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
