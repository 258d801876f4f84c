//! The details pane's content: every field of the selected item, as label/value pairs.

use crate::backend::side_effects::delete_consequence;
use crate::backend::{Driver, Metadata, driver_on};

use super::keymap::Action;
use super::rows::{Importable, extra_info};
use super::{App, Rows};

/// A label and its value; values may be long and are wrapped by the renderer.
pub type Field = (String, String);

fn field(label: &str, value: impl Into<String>) -> Field {
    (label.to_string(), value.into())
}

fn optional(value: Option<&str>) -> String {
    value.unwrap_or("-").to_string()
}

fn or_dash(text: std::borrow::Cow<'_, str>) -> String {
    if text.is_empty() {
        "-".to_string()
    } else {
        text.into_owned()
    }
}

/// What both back-end listings say of an entry, in the same order.
fn verdict(fields: &mut Vec<Field>, row: &impl Importable) {
    let v = row.verdict();
    fields.extend([
        field("reference", v.reference),
        field("size", format!("{} GiB", v.size)),
        field("safe", if v.safe { "yes" } else { "no" }),
        field("reason", optional(v.reason)),
        field("cinder id", optional(v.cinder_id)),
    ]);
}

fn metadata(fields: &mut Vec<Field>, metadata: &Metadata) {
    if metadata.is_empty() {
        fields.push(field("metadata", "-"));
    }
    for (key, value) in metadata {
        fields.push(field("metadata", format!("{key}={value}")));
    }
}

impl App {
    /// The fields of the selected row of the current screen.
    pub fn details_lines(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        match &self.view().rows {
            Rows::Hosts(t) => {
                let Some(row) = t.selected() else {
                    return fields;
                };
                let h = &row.host;
                let gib = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.1} GiB"));
                let count = |v: Option<usize>| v.map_or("-".to_string(), |v| v.to_string());
                fields.extend([
                    field("host", &h.host),
                    field("cluster", optional(h.cluster.as_deref())),
                    field("driver", h.driver.to_string()),
                    field("zone", optional(h.zone.as_deref())),
                    field("status", &h.status),
                    field("state", &h.state),
                    field("updated", optional(h.updated_at.as_deref())),
                    field("total", gib(h.total_capacity_gb)),
                    field("free", gib(h.free_capacity_gb)),
                    field("volumes", count(row.volumes)),
                    field("managed snaps", count(row.managed)),
                    field("unmanaged", count(row.unmanaged)),
                ]);
            }
            Rows::Volumes(t) => {
                let Some(row) = t.selected() else {
                    return fields;
                };
                let v = &row.volume;
                fields.extend([
                    field("id", &v.id),
                    field("name", optional(v.name.as_deref())),
                    field("status", v.status.as_str()),
                    field("size", format!("{} GiB", v.size)),
                    field("host", optional(v.host.as_deref())),
                    field("created", optional(v.created_at.as_deref())),
                    field("attached", if v.attached { "yes" } else { "no" }),
                    field("description", optional(v.description.as_deref())),
                ]);
                metadata(&mut fields, &v.metadata);
                match &row.unmanaged {
                    None => {
                        fields.push(field("unmanaged", "unknown (back-end listing not loaded)"))
                    }
                    Some(refs) if refs.is_empty() => fields.push(field("unmanaged", "none")),
                    Some(refs) => {
                        for reference in refs {
                            fields.push(field("unmanaged", reference));
                        }
                        let driver = driver_on(&self.hosts, v.host.as_deref());
                        let why = if driver == Driver::LvmThick {
                            " (a delete that went back to 'available' failed for this reason)"
                        } else {
                            ""
                        };
                        fields.push(field(
                            "warning",
                            format!(
                                "the back end holds {} snapshot(s) of this volume that Cinder does \
                                 not manage: {}{why}; retire it ({}) to import them, delete every \
                                 snapshot, then the volume",
                                refs.len(),
                                delete_consequence(&driver, "this volume"),
                                self.keymap.label(Action::Retire)
                            ),
                        ));
                    }
                }
            }
            Rows::Snapshots(t) => {
                let Some(row) = t.selected() else {
                    return fields;
                };
                let s = &row.snapshot;
                fields.extend([
                    field("id", &s.id),
                    field("name", optional(s.name.as_deref())),
                    field("status", s.status.as_str()),
                    field("size", format!("{} GiB", s.size)),
                    field("volume", self.volume_label(&s.volume_id)),
                    field("created", optional(s.created_at.as_deref())),
                    field("description", optional(s.description.as_deref())),
                ]);
                metadata(&mut fields, &s.metadata);
            }
            Rows::Manageable(t) => {
                let Some(row) = t.selected() else {
                    return fields;
                };
                let e = &row.entry;
                verdict(&mut fields, row);
                fields.extend([
                    field(
                        "origin",
                        optional(e.source_reference.as_ref().map(|r| r.label())),
                    ),
                    field(
                        "parent",
                        e.parent_volume_id()
                            .map_or("-".to_string(), |id| self.volume_label(id)),
                    ),
                    field("extra info", or_dash(extra_info(e.extra_info.as_ref()))),
                ]);
                let host = self.view().scope.host.as_deref().unwrap_or_default();
                if e.cinder_id.is_none() && self.origin_unmanaged(e, host) {
                    fields.push(field(
                        "next step",
                        format!(
                            "the origin {} is not a managed volume: import it first ({}), \
                             then this snapshot",
                            e.source_reference.as_ref().map_or("", |r| r.label()),
                            self.volume_import_hint()
                        ),
                    ));
                }
            }
            Rows::ManageableVolumes(t) => {
                let Some(row) = t.selected() else {
                    return fields;
                };
                verdict(&mut fields, row);
                fields.push(field(
                    "extra info",
                    or_dash(extra_info(row.entry.extra_info.as_ref())),
                ));
                match &row.snapshots {
                    None => fields.push(field(
                        "snapshots",
                        "unknown (back-end snapshot listing not loaded)",
                    )),
                    Some(refs) if refs.is_empty() => fields.push(field("snapshots", "none")),
                    Some(refs) => {
                        for reference in refs {
                            fields.push(field("snapshots", reference));
                        }
                        if row.entry.cinder_id.is_none() {
                            fields.push(field(
                                "next step",
                                "once this volume is imported, its snapshots can be imported \
                                 from the back-end snapshots screen",
                            ));
                        }
                    }
                }
            }
        }
        fields
    }
}
