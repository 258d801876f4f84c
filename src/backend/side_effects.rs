//! What an export leaves behind, in the words an operator reads before one. The CLI,
//! the console's dialogs and the migration review all take them from here.
//!
//! An exported snapshot stays on the back end under its parent. What a later delete of
//! that parent does then depends on the driver: LVM (thick) refuses it, LVM (thin)
//! deletes the volume and keeps the snapshot LV, RBD (Cinder 29, seen on a real Ceph)
//! moves the image with all its snapshots to the RBD trash.

use super::Driver;

/// What a later delete of `volume` (e.g. `volume 3f2…`, `such a volume`) does while the
/// back end, run by `driver`, still holds a snapshot of it that Cinder does not manage.
pub fn delete_consequence(driver: &Driver, volume: &str) -> String {
    match driver {
        Driver::LvmThick => format!(
            "on LVM (thick), {volume} can then not be deleted (the delete fails with \
             VolumeIsBusy and the volume returns to 'available') until that snapshot LV is \
             removed from the back end"
        ),
        Driver::LvmThin => format!(
            "on LVM (thin), a later delete of {volume} is not blocked: the volume is deleted \
             and the thin snapshot LV stays on the back end with its data until it is \
             removed there"
        ),
        Driver::Rbd => format!(
            "on RBD (Ceph), a later delete of {volume} is not refused: after about 15 s of \
             retries ('deleting') Cinder flattens any clone of a protected snapshot it does \
             not manage, moves the image with all its snapshots, exported ones included, to the \
             RBD trash and reports the delete successful; `rbd trash restore` recovers it, \
             nothing purges it"
        ),
        Driver::Unknown(said) => {
            let driver = if said.is_empty() {
                "the host's driver is unknown".to_string()
            } else {
                format!("the host's driver ({said}) is not one snapport knows")
            };
            format!(
                "{driver}: a later delete of {volume} may fail, or may take the snapshot's \
                 data with it"
            )
        }
    }
}

/// What an import does on a back end run by `driver`: the renames Cinder makes there,
/// for volumes or for snapshots.
pub fn import_effect(driver: &Driver, volumes: bool) -> String {
    let new_name = if volumes {
        "volume-<new id>".to_string()
    } else {
        driver.snapshot_name("<new id>")
    };
    let rename = match (driver, volumes) {
        (Driver::LvmThick | Driver::LvmThin, _) => format!("Cinder renames each LV to {new_name}"),
        (Driver::Rbd, true) => {
            format!("Cinder renames each image to {new_name}; its snapshots go with it")
        }
        (Driver::Rbd, false) => {
            format!("Cinder renames each RBD snapshot to {new_name} and protects it")
        }
        (Driver::Unknown(_), _) => {
            format!("Cinder's driver may rename each one on the back end (often to {new_name})")
        }
    };
    let things = match driver {
        Driver::LvmThick | Driver::LvmThin => "LVs",
        Driver::Rbd => "images",
        Driver::Unknown(_) => "volumes",
    };
    let afterwards = if volumes {
        format!(" Back-end snapshots of these {things} can be imported afterwards.")
    } else {
        String::new()
    };
    format!("{rename}; the data is not copied.{afterwards}")
}

/// The side effect of exporting a snapshot of `volume` from a back end run by `driver`.
pub fn export_warning(driver: &Driver, volume: &str) -> String {
    format!(
        "after export the snapshot's data stays on the back end; {}",
        delete_consequence(driver, volume)
    )
}

/// What a delete of `items` (e.g. `these 2 snapshots`) does, against an export.
pub fn delete_effect(items: &str) -> String {
    format!(
        "a delete DESTROYS the data of {items} on the back end and cannot be undone; an \
         export (unmanage) would only make Cinder forget them and keep the data"
    )
}

/// How Cinder's driver makes a volume from a snapshot on a back end run by `driver`.
pub fn create_effect(driver: &Driver) -> String {
    match driver {
        Driver::LvmThick | Driver::LvmThin => "Cinder's LVM driver copies the snapshot's data \
             into each new LV (dd): it takes as long as the data is large"
            .to_string(),
        Driver::Rbd => "Cinder's RBD driver clones the protected snapshot into each new image \
             (copy-on-write): the snapshot stays protected, and cannot be deleted, while a \
             clone of it exists"
            .to_string(),
        Driver::Unknown(_) => "Cinder's driver makes each volume from the snapshot's data, \
             by copy or by clone"
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_driver_says_what_a_later_delete_does() {
        let lvm = export_warning(&Driver::LvmThick, "volume v1");
        assert!(lvm.contains("v1 can then not be deleted") && lvm.contains("VolumeIsBusy"));
        let thin = export_warning(&Driver::LvmThin, "volume v1");
        assert!(thin.contains("is not blocked") && !thin.contains("VolumeIsBusy"));
        let rbd = export_warning(&Driver::Rbd, "volume v1");
        assert!(rbd.contains("RBD trash") && rbd.contains("flattens"));
        assert!(!rbd.contains("VolumeIsBusy"));
        let other = export_warning(&Driver::Unknown("Pure Storage iSCSI".into()), "volume v1");
        assert!(other.contains("(Pure Storage iSCSI)") && other.contains("may fail"));
    }

    #[test]
    fn imports_name_the_drivers_renames() {
        assert!(import_effect(&Driver::LvmThick, false).contains("LV to _snapshot-<new id>"));
        assert!(import_effect(&Driver::LvmThin, true).contains("LV to volume-<new id>"));
        let rbd = import_effect(&Driver::Rbd, false);
        assert!(
            rbd.contains("snapshot to snapshot-<new id> and protects it"),
            "{rbd}"
        );
        assert!(import_effect(&Driver::Rbd, true).contains("image to volume-<new id>"));
        assert!(import_effect(&Driver::default(), false).contains("may rename"));
    }

    #[test]
    fn deletes_and_creates_say_what_happens_to_the_data() {
        assert!(delete_effect("2 volumes").contains("DESTROYS the data of 2 volumes"));
        assert!(create_effect(&Driver::LvmThick).contains("dd"));
        assert!(create_effect(&Driver::Rbd).contains("clones the protected snapshot"));
    }
}
