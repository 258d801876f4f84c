//! The LVM sandbox itself: what it lays out is what lvm2 reports, also after lvm2 has
//! rewritten the metadata.

mod common;
mod isolated;

use common::LvmEnv;
use snapport::sandbox::LvSpec;

#[test]
fn snapshots_can_be_added_after_lvm_rewrote_the_metadata() {
    let env = LvmEnv::new(
        "sandbox-add",
        &[
            LvSpec::volume("vol", 64),
            LvSpec::snapshot("snap", 8, "vol"),
        ],
    );
    let status = env
        .sandbox
        .lvm("lvrename")
        .args([env.sandbox.vg(), "vol", "volume-renamed"])
        .status()
        .unwrap();
    assert!(status.success());
    env.sandbox
        .add_lvs(&[
            LvSpec::snapshot("later", 8, "volume-renamed"),
            LvSpec::volume("extra", 8),
        ])
        .unwrap_or_else(|err| panic!("{err}"));
    let lvs = env.sandbox.lv_names().unwrap();
    assert!(
        lvs.contains(&("later".into(), "volume-renamed".into())),
        "{lvs:?}"
    );
    assert!(
        lvs.contains(&("snap".into(), "volume-renamed".into())),
        "{lvs:?}"
    );
    assert!(lvs.contains(&("extra".into(), String::new())), "{lvs:?}");
}
