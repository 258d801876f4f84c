//! The import form: name, description and metadata for each back-end snapshot or
//! volume to import, with defaults derived from the LV name; snapshots also need their
//! parent volume, volumes go to the host they were listed on.
//!
//! A quarter of it is its tests; the rest is one form's fields, defaults and checks.

use tui_input::{Input, InputRequest};

use crate::backend::{
    Driver, ManageableSnapshot, ManageableVolume, Metadata, Reference, Volume, parse_property,
};

use super::keymap::{Action, Key, KeyCode};
use super::plan::{ImportItem, ImportPlan, ImportTarget};

/// Cinder's limit for names and descriptions.
const MAX_TEXT: usize = 255;

/// Which field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Reference,
    Name,
    Description,
    Metadata,
    Parent,
}

const SNAPSHOT_FIELDS: &[Field] = &[
    Field::Name,
    Field::Description,
    Field::Metadata,
    Field::Parent,
];

/// A volume's host is the screen's: nothing to choose.
const VOLUME_FIELDS: &[Field] = &[Field::Name, Field::Description, Field::Metadata];

const TYPED_SNAPSHOT_FIELDS: &[Field] = &[
    Field::Reference,
    Field::Name,
    Field::Description,
    Field::Metadata,
    Field::Parent,
];

const TYPED_VOLUME_FIELDS: &[Field] = &[
    Field::Reference,
    Field::Name,
    Field::Description,
    Field::Metadata,
];

/// The parent volume of a snapshot import.
#[derive(Debug, Clone, PartialEq)]
pub enum Parent {
    /// The origin is a volume Cinder manages.
    Known { id: String, label: String },
    /// The origin is unknown or not managed: the operator picks among the host's volumes.
    Choose {
        options: Vec<(String, String)>,
        selected: Option<usize>,
    },
}

/// What one item of the form imports and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub enum FormTarget {
    /// A back-end snapshot, under a parent volume.
    Snapshot {
        /// What the back end says the origin is, if anything.
        origin: Option<String>,
        parent: Parent,
    },
    /// A back-end volume, on the host whose listing it came from.
    Volume { host: String },
}

/// Where an item's back-end reference comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A row of the host's listing.
    Listed { reference: Reference, size: u64 },
    /// Typed by the operator (import by reference): the listing failed or does not
    /// show it. Text fields left empty take their defaults from it.
    Typed(Input),
}

/// One back-end snapshot's or volume's fields.
#[derive(Debug, Clone)]
pub struct FormItem {
    pub source: Source,
    pub name: Input,
    pub description: Input,
    pub metadata: Input,
    pub target: FormTarget,
}

/// The form as a whole: one page per item.
#[derive(Debug, Clone)]
pub struct ImportForm {
    pub items: Vec<FormItem>,
    pub current: usize,
    pub field: Field,
    pub error: Option<String>,
    /// How the operator imports a volume (key and command), for snapshots whose origin
    /// is not managed yet.
    pub volume_import: String,
    /// Why the host's listing failed, for an import by reference made without it.
    pub listing_failed: Option<String>,
    /// The driver of the host the items are imported on, which names them there.
    pub driver: Driver,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    Editing,
    Cancelled,
    Submitted(ImportPlan),
}

/// The default name: the LV name without Cinder's `_snapshot-` or `volume-` prefix,
/// which another cloud's ids would otherwise carry over as names, and without control
/// characters, which a back end's names may hold but Cinder's names should not.
pub fn default_name(reference: &str) -> String {
    let name = reference
        .strip_prefix("_snapshot-")
        .or_else(|| reference.strip_prefix("volume-"))
        .map(|id| format!("imported-{id}"))
        .unwrap_or_else(|| reference.to_string());
    name.chars().filter(|c| !c.is_control()).collect()
}

fn label(volume: &Volume) -> String {
    match volume.name.as_deref() {
        Some(name) if !name.is_empty() => format!("{name} ({})", volume.id),
        _ => volume.id.clone(),
    }
}

/// Parses `key=value, key=value`.
pub fn parse_metadata(text: &str) -> Result<Metadata, String> {
    text.split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(parse_property)
        .collect()
}

impl FormItem {
    /// An item with the defaults every import gets from the LV name.
    fn new(source: Source, target: FormTarget) -> Self {
        let mut item = Self {
            source,
            name: Input::default(),
            description: Input::default(),
            metadata: Input::default(),
            target,
        };
        item.reset();
        item
    }

    /// The back-end reference, as listed or as typed.
    pub fn reference(&self) -> Reference {
        match &self.source {
            Source::Listed { reference, .. } => reference.clone(),
            Source::Typed(input) => Reference::name(input.value().trim()),
        }
    }

    /// The size in GiB, when the listing told it.
    pub fn size(&self) -> Option<u64> {
        match self.source {
            Source::Listed { size, .. } => Some(size),
            Source::Typed(_) => None,
        }
    }

    /// True when the operator types the reference.
    pub fn typed(&self) -> bool {
        matches!(self.source, Source::Typed(_))
    }

    /// Name, description and metadata derived from the LV name.
    fn defaults(&self) -> [String; 3] {
        let reference = self.reference();
        let lv = reference.label();
        let kind = match self.target {
            FormTarget::Snapshot { .. } => "snapshot",
            FormTarget::Volume { .. } => "volume",
        };
        let printable: String = lv.chars().filter(|c| !c.is_control()).collect();
        [
            default_name(lv),
            format!("imported from back-end {kind} {printable}"),
            // The exact reference, as a record of where the import came from.
            format!("source-name={lv}"),
        ]
    }

    /// Puts the defaults back into the text fields; a typed item's fields are emptied,
    /// since its defaults follow the reference still being typed.
    fn reset(&mut self) {
        let [name, description, metadata] = if self.typed() {
            Default::default()
        } else {
            self.defaults()
        };
        self.name = Input::new(name);
        self.description = Input::new(description);
        self.metadata = Input::new(metadata);
    }

    /// True when the parent volume has no default: the operator must pick one.
    fn needs_parent(&self) -> bool {
        matches!(
            &self.target,
            FormTarget::Snapshot {
                parent: Parent::Choose { options, selected: None },
                ..
            } if !options.is_empty()
        )
    }

    fn snapshot(entry: &ManageableSnapshot, volumes: &[Volume]) -> Self {
        let parent = match entry
            .parent_volume_id()
            .and_then(|id| volumes.iter().find(|v| v.id == id))
        {
            Some(volume) => Parent::Known {
                id: volume.id.clone(),
                label: label(volume),
            },
            None => Parent::choose(volumes),
        };
        let origin = entry
            .source_reference
            .as_ref()
            .map(|r| r.label().to_string());
        Self::new(
            Source::Listed {
                reference: entry.reference.clone(),
                size: entry.size,
            },
            FormTarget::Snapshot { origin, parent },
        )
    }

    fn volume(entry: &ManageableVolume, host: &str) -> Self {
        Self::new(
            Source::Listed {
                reference: entry.reference.clone(),
                size: entry.size,
            },
            FormTarget::Volume {
                host: host.to_string(),
            },
        )
    }

    fn fields(&self) -> &'static [Field] {
        match (&self.target, self.typed()) {
            (FormTarget::Snapshot { .. }, false) => SNAPSHOT_FIELDS,
            (FormTarget::Volume { .. }, false) => VOLUME_FIELDS,
            (FormTarget::Snapshot { .. }, true) => TYPED_SNAPSHOT_FIELDS,
            (FormTarget::Volume { .. }, true) => TYPED_VOLUME_FIELDS,
        }
    }

    fn input_mut(&mut self, field: Field) -> Option<&mut Input> {
        match field {
            Field::Name => Some(&mut self.name),
            Field::Description => Some(&mut self.description),
            Field::Metadata => Some(&mut self.metadata),
            Field::Reference => match &mut self.source {
                Source::Typed(input) => Some(input),
                Source::Listed { .. } => None,
            },
            Field::Parent => None,
        }
    }

    fn to_item(&self, volume_import: &str) -> Result<ImportItem, String> {
        let source = self.reference();
        let reference = source.label();
        if reference.is_empty() {
            return Err("type the back-end reference (the LV name)".to_string());
        }
        let [name, description, metadata] = self.defaults();
        let value = |input: &Input, default: String| match input.value().trim() {
            "" if self.typed() => default,
            value => value.to_string(),
        };
        let (name, description, metadata) = (
            value(&self.name, name),
            value(&self.description, description),
            value(&self.metadata, metadata),
        );
        if name.len() > MAX_TEXT || description.len() > MAX_TEXT {
            return Err(format!(
                "{reference}: name and description take at most {MAX_TEXT} characters"
            ));
        }
        let metadata = parse_metadata(&metadata).map_err(|err| format!("{reference}: {err}"))?;
        let target = match &self.target {
            FormTarget::Volume { host } => ImportTarget::Volume { host: host.clone() },
            FormTarget::Snapshot { parent, .. } => {
                let (volume_id, volume_label) = match parent {
                    Parent::Known { id, label } => (id.clone(), label.clone()),
                    Parent::Choose {
                        options,
                        selected: Some(n),
                    } => options[*n].clone(),
                    Parent::Choose { options, .. } if options.is_empty() => {
                        return Err(format!(
                            "{reference}: no managed volume on this host to import it under; \
                             import its volume first ({volume_import})"
                        ));
                    }
                    Parent::Choose { .. } => {
                        return Err(format!(
                            "{reference}: choose the parent volume (left/right)"
                        ));
                    }
                };
                ImportTarget::Snapshot {
                    volume_id,
                    volume_label,
                }
            }
        };
        Ok(ImportItem {
            size: self.size(),
            target,
            name: (!name.is_empty()).then_some(name),
            description: (!description.is_empty()).then_some(description),
            metadata,
            reference: source,
        })
    }
}

fn input_request(key: Key) -> Option<InputRequest> {
    use InputRequest as R;
    Some(match (key.code, key.ctrl, key.alt) {
        (KeyCode::Char('a'), true, _) | (KeyCode::Home, _, _) => R::GoToStart,
        (KeyCode::Char('e'), true, _) | (KeyCode::End, _, _) => R::GoToEnd,
        (KeyCode::Char('u'), true, _) => R::DeleteLine,
        (KeyCode::Char('w'), true, _) => R::DeletePrevWord,
        (KeyCode::Char('k'), true, _) => R::DeleteTillEnd,
        (KeyCode::Char(c), false, false) => R::InsertChar(c),
        (KeyCode::Backspace, _, _) => R::DeletePrevChar,
        (KeyCode::Delete, _, _) => R::DeleteNextChar,
        (KeyCode::Left, _, _) => R::GoToPrevChar,
        (KeyCode::Right, _, _) => R::GoToNextChar,
        _ => return None,
    })
}

/// True for keys that type or delete text in a field: the key table may not take them
/// for the form. (Cursor moves are shared: on the parent field left and right choose.)
pub fn typed(key: Key) -> bool {
    !matches!(
        key.code,
        KeyCode::Left | KeyCode::Right | KeyCode::Home | KeyCode::End
    ) && input_request(key).is_some()
}

/// Applies an editing key to a one-line input; false when the key is not for editing.
pub fn edit(input: &mut Input, key: Key) -> bool {
    input_request(key)
        .map(|request| input.handle(request))
        .is_some()
}

impl Parent {
    /// The host's volumes to choose from, by label; chosen already when there is one.
    fn choose(volumes: &[Volume]) -> Self {
        let mut options: Vec<(String, String)> =
            volumes.iter().map(|v| (v.id.clone(), label(v))).collect();
        options.sort_by(|a, b| a.1.cmp(&b.1));
        Parent::Choose {
            selected: (options.len() == 1).then_some(0),
            options,
        }
    }
}

impl ImportForm {
    /// A form for back-end snapshots; `volumes` are the managed volumes of their host,
    /// `volume_import` says how to import a volume (for origins not managed yet).
    pub fn snapshots(
        entries: &[ManageableSnapshot],
        volumes: &[Volume],
        volume_import: String,
    ) -> Self {
        let items = entries
            .iter()
            .map(|e| FormItem::snapshot(e, volumes))
            .collect();
        Self::with(items, volume_import)
    }

    /// A form for back-end volumes, all imported on `host`.
    pub fn volumes(entries: &[ManageableVolume], host: &str) -> Self {
        let items = entries.iter().map(|e| FormItem::volume(e, host)).collect();
        Self::with(items, String::new())
    }

    /// A form for one back-end snapshot whose reference the operator types, under one
    /// of `volumes` (the host's managed volumes).
    pub fn snapshot_by_reference(
        volumes: &[Volume],
        volume_import: String,
        listing_failed: Option<String>,
    ) -> Self {
        let target = FormTarget::Snapshot {
            origin: None,
            parent: Parent::choose(volumes),
        };
        Self::by_reference(target, volume_import, listing_failed)
    }

    /// A form for one back-end volume whose reference the operator types, on `host`.
    pub fn volume_by_reference(host: &str, listing_failed: Option<String>) -> Self {
        let target = FormTarget::Volume {
            host: host.to_string(),
        };
        Self::by_reference(target, String::new(), listing_failed)
    }

    fn by_reference(
        target: FormTarget,
        volume_import: String,
        listing_failed: Option<String>,
    ) -> Self {
        let item = FormItem::new(Source::Typed(Input::default()), target);
        Self {
            listing_failed,
            ..Self::with(vec![item], volume_import)
        }
    }

    fn with(items: Vec<FormItem>, volume_import: String) -> Self {
        let field = items[0].fields()[0];
        Self {
            items,
            current: 0,
            field,
            error: None,
            volume_import,
            listing_failed: None,
            driver: Driver::default(),
        }
    }

    /// The form for items imported on a host run by `driver`.
    pub fn on(self, driver: Driver) -> Self {
        Self { driver, ..self }
    }

    /// The item on screen.
    pub fn item(&self) -> &FormItem {
        &self.items[self.current]
    }

    /// What is imported, singular, for the form's hints.
    pub fn noun(&self) -> &'static str {
        match self.item().target {
            FormTarget::Snapshot { .. } => "snapshot",
            FormTarget::Volume { .. } => "volume",
        }
    }

    fn step_field(&mut self, forward: bool) {
        let fields = self.item().fields();
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.field = fields[next];
    }

    fn step_parent(&mut self, forward: bool) {
        if let FormTarget::Snapshot {
            parent: Parent::Choose { options, selected },
            ..
        } = &mut self.items[self.current].target
        {
            if options.is_empty() {
                return;
            }
            let last = options.len() - 1;
            *selected = Some(match (*selected, forward) {
                (None, true) => 0,
                (None, false) => last,
                (Some(n), true) => {
                    if n == last {
                        0
                    } else {
                        n + 1
                    }
                }
                (Some(n), false) => {
                    if n == 0 {
                        last
                    } else {
                        n - 1
                    }
                }
            });
        }
    }

    /// The plan, or the first thing to fix (and the form shows that item).
    pub fn plan(&mut self) -> Result<ImportPlan, String> {
        let mut items = Vec::new();
        for (index, item) in self.items.iter().enumerate() {
            match item.to_item(&self.volume_import) {
                Ok(item) => items.push(item),
                Err(err) => {
                    self.current = index;
                    return Err(err);
                }
            }
        }
        Ok(ImportPlan {
            items,
            listing_failed: self.listing_failed.clone(),
            driver: self.driver.clone(),
        })
    }

    /// Gives this and every remaining item its defaults and submits, so that many items
    /// need one key; stops at the first item whose parent volume must be chosen, since
    /// that has no default. `key` names the key, for the message.
    pub fn accept_defaults(&mut self, key: &str) -> FormOutcome {
        for item in &mut self.items[self.current..] {
            item.reset();
        }
        if let Some(index) = self.items.iter().position(FormItem::needs_parent) {
            self.current = index;
            self.field = Field::Parent;
            self.error = Some(format!(
                "{}: the back end names no managed volume as its origin, so it has no default \
                 parent: choose one (left/right), then {key} again",
                self.items[index].reference().label()
            ));
            return FormOutcome::Editing;
        }
        self.submit()
    }

    fn submit(&mut self) -> FormOutcome {
        match self.plan() {
            Ok(plan) => FormOutcome::Submitted(plan),
            Err(err) => {
                self.error = Some(err);
                FormOutcome::Editing
            }
        }
    }

    /// Handles one key and what the key table makes of it in the form.
    pub fn key(&mut self, action: Option<Action>, key: Key) -> FormOutcome {
        self.error = None;
        let last = self.items.len() - 1;
        let on_parent = self.field == Field::Parent;
        match action {
            Some(Action::Cancel) => return FormOutcome::Cancelled,
            Some(Action::NextField) => self.step_field(true),
            Some(Action::PreviousField) => self.step_field(false),
            Some(Action::NextItem) => self.current = (self.current + 1).min(last),
            Some(Action::PreviousItem) => self.current = self.current.saturating_sub(1),
            Some(Action::Confirm) if self.current < last => {
                self.current += 1;
                self.field = self.item().fields()[0];
            }
            Some(Action::Confirm) => return self.submit(),
            Some(Action::NextChoice) if on_parent => self.step_parent(true),
            Some(Action::PreviousChoice) if on_parent => self.step_parent(false),
            _ => {
                let field = self.field;
                if let Some(input) = self.items[self.current].input_mut(field) {
                    edit(input, key);
                }
            }
        }
        FormOutcome::Editing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::{Context, Keymap};

    /// A key as the console hands it to the form, with the default key table.
    fn press(form: &mut ImportForm, key: Key) -> FormOutcome {
        form.key(Keymap::default().action(Context::ImportForm, key), key)
    }

    fn volume(id: &str, name: &str) -> Volume {
        Volume {
            id: id.into(),
            name: Some(name.into()),
            description: None,
            status: "available".into(),
            size: 1,
            host: Some("h@lvm#vg".into()),
            created_at: None,
            metadata: Metadata::new(),
            attached: false,
        }
    }

    fn typed(form: &mut ImportForm, text: &str) {
        for c in text.chars() {
            press(form, Key::char(c));
        }
    }

    #[test]
    fn defaults_come_from_the_lv_name() {
        assert_eq!(default_name("_snapshot-1234"), "imported-1234");
        assert_eq!(default_name("backup-2024"), "backup-2024");
        assert_eq!(
            default_name("x\u{1b}[2Jred\u{7}"),
            "x[2Jred",
            "no control characters"
        );
        assert_eq!(
            default_name("volume-99999999-9999-4999-8999-999999999999"),
            "imported-99999999-9999-4999-8999-999999999999"
        );
        let form = ImportForm::snapshots(
            &[ManageableSnapshot::unmanaged("backup-1", Some("volume-v1"))],
            &[volume("v1", "db")],
            "v".into(),
        );
        let item = form.item();
        assert_eq!(item.name.value(), "backup-1");
        assert_eq!(item.metadata.value(), "source-name=backup-1");
        assert_eq!(
            item.target,
            FormTarget::Snapshot {
                origin: Some("volume-v1".into()),
                parent: Parent::Known {
                    id: "v1".into(),
                    label: "db (v1)".into()
                }
            }
        );
    }

    #[test]
    fn volume_forms_go_to_the_host_and_have_no_parent_field() {
        let legacy = ManageableVolume {
            reference: Reference::name("legacy-db"),
            size: 8,
            safe_to_manage: true,
            reason_not_safe: None,
            cinder_id: None,
            extra_info: None,
        };
        let mut form = ImportForm::volumes(&[legacy], "h@lvm#vg");
        let item = form.item();
        assert_eq!(item.name.value(), "legacy-db");
        assert_eq!(
            item.description.value(),
            "imported from back-end volume legacy-db"
        );
        assert_eq!(item.metadata.value(), "source-name=legacy-db");
        for expected in [Field::Description, Field::Metadata, Field::Name] {
            press(&mut form, Key::plain(KeyCode::Tab));
            assert_eq!(form.field, expected, "tab skips the parent");
        }
        let FormOutcome::Submitted(plan) = press(&mut form, Key::plain(KeyCode::Enter)) else {
            panic!("submits: {:?}", form.error)
        };
        assert_eq!(
            plan.items[0].target,
            ImportTarget::Volume {
                host: "h@lvm#vg".into()
            }
        );
    }

    #[test]
    fn a_host_without_volumes_points_to_the_volume_import() {
        let mut form = ImportForm::snapshots(
            &[ManageableSnapshot::unmanaged("orphan", Some("legacy-db"))],
            &[],
            "v or :manageable-volumes".into(),
        );
        assert_eq!(
            press(&mut form, Key::plain(KeyCode::Enter)),
            FormOutcome::Editing
        );
        assert_eq!(
            form.error.as_deref(),
            Some(
                "orphan: no managed volume on this host to import it under; import its volume \
                 first (v or :manageable-volumes)"
            )
        );
    }

    #[test]
    fn an_unknown_origin_makes_the_operator_choose() {
        let volumes = [volume("v1", "db"), volume("v2", "app")];
        let mut form = ImportForm::snapshots(
            &[
                ManageableSnapshot::unmanaged("x", Some("volume-gone")),
                ManageableSnapshot::unmanaged("y", None),
            ],
            &volumes,
            "v".into(),
        );
        assert!(matches!(
            &form.items[0].target,
            FormTarget::Snapshot { origin: Some(o), parent: Parent::Choose { selected: None, .. } }
                if o == "volume-gone"
        ));
        let err = match press(&mut form, Key::plain(KeyCode::Enter)) {
            FormOutcome::Editing => press(&mut form, Key::plain(KeyCode::Enter)),
            other => other,
        };
        assert_eq!(err, FormOutcome::Editing);
        assert_eq!(
            form.error.as_deref(),
            Some("x: choose the parent volume (left/right)")
        );
        assert_eq!(form.current, 0, "the form shows the item to fix");
        form.field = Field::Parent;
        press(&mut form, Key::plain(KeyCode::Right));
        form.current = 1;
        form.field = Field::Parent;
        press(&mut form, Key::plain(KeyCode::Left));
        let FormOutcome::Submitted(plan) = press(&mut form, Key::plain(KeyCode::Enter)) else {
            panic!("submits: {:?}", form.error)
        };
        let parents: Vec<_> = plan
            .items
            .iter()
            .map(|item| match &item.target {
                ImportTarget::Snapshot { volume_id, .. } => volume_id.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            parents,
            ["v2", "v1"],
            "options are sorted by label (app, db); left from nothing picks the last"
        );
    }

    #[test]
    fn fields_are_edited_and_validated() {
        let mut form = ImportForm::snapshots(
            &[ManageableSnapshot::unmanaged("backup-1", Some("volume-v1"))],
            &[volume("v1", "db")],
            "v".into(),
        );
        press(&mut form, Key::ctrl('u'));
        typed(&mut form, "nightly");
        press(&mut form, Key::plain(KeyCode::Tab));
        press(&mut form, Key::plain(KeyCode::Tab));
        press(&mut form, Key::ctrl('u'));
        typed(&mut form, "owner=ops, =bad");
        assert_eq!(
            press(&mut form, Key::plain(KeyCode::Enter)),
            FormOutcome::Editing
        );
        assert_eq!(
            form.error.as_deref(),
            Some("backup-1: invalid property '=bad': expected key=value")
        );
        for _ in 0..5 {
            press(&mut form, Key::plain(KeyCode::Backspace));
        }
        let FormOutcome::Submitted(plan) = press(&mut form, Key::plain(KeyCode::Enter)) else {
            panic!("submits: {:?}", form.error)
        };
        assert_eq!(plan.items[0].name.as_deref(), Some("nightly"));
        assert_eq!(
            plan.items[0].metadata,
            Metadata::from([("owner".to_string(), "ops".to_string())])
        );
        assert_eq!(
            press(&mut form, Key::plain(KeyCode::Esc)),
            FormOutcome::Cancelled
        );
    }
}
