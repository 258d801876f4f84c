//! How a back-end snapshot is told apart from another: by its parent and its name
//! together. RBD names snapshots per image, so two images may each hold a `daily`,
//! listed as two entries that differ only in their parent; a manage resolves the name
//! on the image of the volume it goes under. LVM names are unique per volume group,
//! where the parent only confirms what the name already says.

use super::{ManageableSnapshot, Reference};

impl ManageableSnapshot {
    /// True when the back end lists this snapshot under the Cinder volume `volume_id`:
    /// its parent is that volume's back-end object, named `volume-<id>` (LVM, RBD) or
    /// given by id.
    pub fn is_snapshot_of(&self, volume_id: &str) -> bool {
        let by_id = self
            .source_reference
            .as_ref()
            .and_then(|parent| parent.source_id.as_deref());
        self.parent_volume_id() == Some(volume_id) || by_id == Some(volume_id)
    }

    /// What tells this entry from every other of its host: parent and reference, so
    /// that two `daily` snapshots of two images are two rows, two marks, two imports.
    pub fn key(&self) -> String {
        let parent = self.source_reference.as_ref().map_or("", Reference::label);
        // A unit separator: no back-end name holds one, so no two pairs give one key.
        format!("{parent}\u{1f}{}", self.reference.label())
    }
}

/// The entries of a host's listing that carry one snapshot name, seen from the volume
/// an import puts it under.
#[derive(Debug, PartialEq)]
pub struct Located<'a> {
    /// The entry of that name under that volume.
    pub own: Option<&'a ManageableSnapshot>,
    /// Entries of that name under other parents, or under none the listing names.
    pub elsewhere: Vec<&'a ManageableSnapshot>,
}

impl<'a> Located<'a> {
    /// The entry under the volume, else the first of that name anywhere: for checks
    /// that take the name alone when the parent does not decide (a forced import, or
    /// a listing that names no parents).
    pub fn own_or_any(&self) -> Option<&'a ManageableSnapshot> {
        self.own.or(self.elsewhere.first().copied())
    }

    /// The parents the name is listed under, other than the volume, for messages.
    pub fn other_parents(&self) -> Vec<&'a str> {
        self.elsewhere
            .iter()
            .map(|entry| {
                entry
                    .source_reference
                    .as_ref()
                    .map_or("an unknown origin", Reference::label)
            })
            .collect()
    }
}

/// Finds `reference` in `entries`, telling the entry under the parent `is_parent`
/// accepts from those of the same name elsewhere.
pub fn locate<'a>(
    entries: &'a [ManageableSnapshot],
    reference: &Reference,
    is_parent: impl Fn(&ManageableSnapshot) -> bool,
) -> Located<'a> {
    let mut located = Located {
        own: None,
        elsewhere: Vec::new(),
    };
    for entry in entries
        .iter()
        .filter(|entry| entry.reference.same_object(reference))
    {
        if located.own.is_none() && is_parent(entry) {
            located.own = Some(entry);
        } else {
            located.elsewhere.push(entry);
        }
    }
    located
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, parent: &str) -> ManageableSnapshot {
        ManageableSnapshot::unmanaged(name, Some(parent))
    }

    #[test]
    fn the_parent_is_named_by_the_volume_template_or_by_id() {
        let by_name = entry("daily", "volume-v1");
        assert!(by_name.is_snapshot_of("v1"));
        assert!(!by_name.is_snapshot_of("v2"));
        let by_id = ManageableSnapshot {
            source_reference: Some(Reference {
                source_name: None,
                source_id: Some("v1".into()),
            }),
            ..by_name.clone()
        };
        assert!(by_id.is_snapshot_of("v1"));
        let orphan = ManageableSnapshot::unmanaged("daily", None);
        assert!(!orphan.is_snapshot_of("v1"));
    }

    #[test]
    fn one_name_under_two_images_gives_two_keys() {
        let a = entry("daily", "volume-a");
        let b = entry("daily", "volume-b");
        assert_ne!(a.key(), b.key());
        assert_eq!(a.key(), a.clone().key());
        let joined = entry("b", "volume-a");
        let split = entry("", "volume-ab");
        assert_ne!(joined.key(), split.key());
    }

    #[test]
    fn the_volumes_own_entry_is_found_whatever_comes_first() {
        let entries = [
            entry("daily", "volume-b"),
            entry("weekly", "volume-a"),
            entry("daily", "volume-a"),
        ];
        let found = locate(&entries, &Reference::name("daily"), |e| {
            e.is_snapshot_of("a")
        });
        assert_eq!(found.own, Some(&entries[2]));
        assert_eq!(found.other_parents(), ["volume-b"]);
        let elsewhere = locate(&entries, &Reference::name("weekly"), |e| {
            e.is_snapshot_of("b")
        });
        assert_eq!(elsewhere.own, None);
        assert_eq!(elsewhere.own_or_any(), Some(&entries[1]));
        let missing = locate(&entries, &Reference::name("hourly"), |_| true);
        assert_eq!(missing.own_or_any(), None);
    }
}
