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

/// A real VG with a managed volume and an unmanaged snapshot LV of it, and the console
/// on it in tmux (with `flags`), on the Hosts screen.
/// Its temp dir holds the VG's LVM configuration: it lives as long as the console.
struct Console {
    sandbox: Sandbox,
    volume_id: String,
    home: std::path::PathBuf,
    tmux: Tmux,
    _dir: tempfile::TempDir,
}

impl Console {
    fn open(flags: &str) -> Self {
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
             LVM_SYSTEM_DIR={lvm} {bin} --local --vg {vg} --catalog {catalog} --backend-host e2e@lvm {flags}; echo EXIT=$?",
            home = home.display(),
            lvm = sandbox.lvm_system_dir().display(),
            bin = env!("CARGO_BIN_EXE_snapport"),
            catalog = catalog.display(),
        );
        tmux.type_text(&command);
        tmux.keys(&["Enter"]);
        tmux.wait_text("Hosts [1/1]");
        Console {
            sandbox,
            volume_id,
            home,
            tmux,
            _dir: dir,
        }
    }
}

#[test]
fn import_and_export_through_the_console() {
    let console = Console::open("");
    let (sandbox, volume_id, tmux) = (&console.sandbox, &console.volume_id, &console.tmux);
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

#[test]
fn a_read_only_console_refuses_an_import_and_the_refusal_is_audited() {
    let console = Console::open("--read-only");
    let tmux = &console.tmux;
    tmux.keys(&["m"]);
    tmux.wait_text("nightly-e2e");
    tmux.keys(&["/"]);
    tmux.type_text("nightly");
    tmux.keys(&["Enter", "i"]);
    tmux.wait_text("Read-only session");
    // the worker sends the refused import to the back end's read-only layer, which
    // writes the audit record before it answers
    let audit = console.home.join("state/snapport/audit.jsonl");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let records = loop {
        let text = std::fs::read_to_string(&audit).unwrap_or_default();
        if !text.is_empty() || std::time::Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let records: Vec<serde_json::Value> = records
        .lines()
        .map(|line| serde_json::from_str(line).expect("an audit record"))
        .collect();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["action"], "manage_snapshot", "{records:?}");
    assert_eq!(records[0]["target"], "nightly-e2e", "{records:?}");
    assert_eq!(records[0]["outcome"], "refused_read_only", "{records:?}");
    tmux.keys(&["Enter", "q"]);
    tmux.wait_text("EXIT=0");
    tmux.assert_restored();
    assert!(
        console
            .sandbox
            .lv_names()
            .unwrap()
            .iter()
            .any(|(name, _)| name == "nightly-e2e"),
        "nothing renamed"
    );
}
