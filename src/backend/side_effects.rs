//! What an export leaves behind, in the words an operator reads before one. The CLI,
//! the console's dialogs and the migration review all take them from here.

/// The side effect of exporting a snapshot of `volume` (e.g. `volume 3f2…`, or `the
/// volume` after a list of them).
pub fn export_warning(volume: &str) -> String {
    format!(
        "after export the snapshot's data stays on the back end; with drivers such as LVM and \
         RBD, {volume} can then not be deleted (the delete fails with VolumeIsBusy and the \
         volume returns to 'available') until that snapshot is removed from the back end"
    )
}
