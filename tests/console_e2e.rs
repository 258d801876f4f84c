//! The real binary in tmux against a real LVM sandbox: browse to the back-end
//! snapshots, import one, find it under Snapshots, export it past the warning, quit,
//! and check that the terminal came back and that LVM kept the renamed LV.

mod tmux;

use std::path::Path;

use snapport::backend::local::{LocalBackend, LocalConfig};
use snapport::backend::{Backend, ManageVolumeRequest, Metadata, Reference};
use snapport::sandbox::{LvSpec, Sandbox};

use tmux::{Tmux, require_prerequisites};

fn managed_volume(sandbox: &Sandbox, catalog: &Path) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let backend = LocalBackend::open(
            LocalConfig {
                vg: sandbox.vg().to_string(),
                catalog: catalog.to_path_buf(),
                backend_name: Some("e2e@lvm".into()),
                lvm_system_dir: Some(sandbox.lvm_system_dir()),
            },
            true,
        )
        .await
        .unwrap();
        let volume = backend
            .manage_volume(&ManageVolumeRequest {
                host: backend.host_name().to_string(),
                reference: Reference::name("volume-src"),
                name: Some("e2e-volume".into()),
                description: None,
                metadata: Metadata::new(),
                without_listing: false,
            })
            .await
            .unwrap();
        volume.id
    })
}

#[test]
fn import_and_export_through_the_console() {
    require_prerequisites();
    let dir = tempfile::tempdir().unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let vg = format!("snapport-e2e-{}", &unique[..8]);
    let sandbox = Sandbox::create(
        &vg,
        &dir.path().join("vg"),
        1024,
        &[
            LvSpec::volume("volume-src", 256),
            LvSpec::snapshot("nightly-e2e", 64, "volume-src"),
        ],
    )
    .unwrap();
    let catalog = dir.path().join("catalog.sqlite");
    let volume_id = managed_volume(&sandbox, &catalog);

    let tmux = Tmux::start(&unique[..8]);
    let home = dir.path().join("home");
    let command = format!(
        "HOME={home} XDG_CONFIG_HOME={home}/config XDG_DATA_HOME={home}/data XDG_STATE_HOME={home}/state \
         LVM_SYSTEM_DIR={lvm} {bin} --local --vg {vg} --catalog {catalog} --backend-host e2e@lvm; echo EXIT=$?",
        home = home.display(),
        lvm = sandbox.lvm_system_dir().display(),
        bin = env!("CARGO_BIN_EXE_snapport"),
        catalog = catalog.display(),
    );
    tmux.type_text(&command);
    tmux.keys(&["Enter"]);
    tmux.wait_text("Hosts [1/1]");
    assert_eq!(
        tmux.run(&["display", "-p", "-t", "e2e", "#{alternate_on}"])
            .stdout,
        b"1\n"
    );

    tmux.keys(&["m"]);
    tmux.wait_text("nightly-e2e");
    let new_id = tmux.import_filtered("nightly", "nightly-e2e");
    assert_eq!(new_id.len(), 36, "a uuid: {new_id}");
    let lvs = sandbox.lv_names().unwrap();
    assert!(
        lvs.contains(&(format!("_snapshot-{new_id}"), format!("volume-{volume_id}"))),
        "{lvs:?}"
    );
    assert!(
        !lvs.iter().any(|(name, _)| name == "nightly-e2e"),
        "renamed: {lvs:?}"
    );

    tmux.keys(&["Enter", ":"]);
    tmux.type_text("snapshots");
    tmux.keys(&["Enter"]);
    tmux.wait_text("Snapshots (all volumes) [1/1]");
    tmux.wait_text(&new_id);
    tmux.keys(&["x"]);
    let dialog = tmux.wait_text("Confirm export");
    // The dialog's borders are not words: a sentence wrapped across lines reads on.
    let flat = dialog
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for words in [
        "after export the snapshot's data stays on the back end",
        "can then not be deleted",
        "> [ Cancel ] <",
    ] {
        assert!(
            flat.contains(words),
            "'{words}' not in the dialog:\n{dialog}"
        );
    }
    tmux.keys(&["Tab", "Enter"]);
    tmux.wait_text("finished: 1 done, 0 failed");
    tmux.keys(&["Enter"]);
    tmux.wait_text("Snapshots (all volumes) [0/0]");
    tmux.keys(&["q"]);
    tmux.wait_text("EXIT=0");

    tmux.assert_restored();

    let lvs = sandbox.lv_names().unwrap();
    assert!(
        lvs.contains(&(format!("_snapshot-{new_id}"), format!("volume-{volume_id}"))),
        "exported snapshot keeps its data on the back end: {lvs:?}"
    );
}
