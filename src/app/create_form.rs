//! The form that makes volumes from a managed snapshot: the name (numbered when there
//! are several), the size (never less than the snapshot's) and how many.

use tui_input::Input;

use crate::backend::{CreateVolumeRequest, Driver, Snapshot};
use crate::batch::create::MOST_VOLUMES;

use super::form::edit;
use super::keymap::{Action, Key};
use super::plan::CreatePlan;

/// Which field has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateField {
    Name,
    Size,
    Count,
}

const FIELDS: [CreateField; 3] = [CreateField::Name, CreateField::Size, CreateField::Count];

/// The form's fields and the snapshot they start from.
#[derive(Debug, Clone)]
pub struct CreateForm {
    pub snapshot_id: String,
    /// The snapshot as the operator knows it.
    pub snapshot_label: String,
    /// GiB: the least the new volumes may have.
    pub snapshot_size: u64,
    pub name: Input,
    pub size: Input,
    pub count: Input,
    pub field: CreateField,
    pub error: Option<String>,
    /// The driver of the snapshot's host: how it makes the volumes.
    pub driver: Driver,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum CreateOutcome {
    Editing,
    Cancelled,
    Submitted(CreatePlan),
}

impl CreateForm {
    /// A form for `snapshot`: named after it, its size, one volume.
    pub fn new(snapshot: &Snapshot, label: String, driver: Driver) -> Self {
        let name = match snapshot.name.as_deref() {
            Some(name) if !name.is_empty() => format!("{name}-volume"),
            _ => format!("from-{}", snapshot.id),
        };
        let name: String = name.chars().filter(|c| !c.is_control()).collect();
        Self {
            snapshot_id: snapshot.id.clone(),
            snapshot_label: label,
            snapshot_size: snapshot.size,
            name: name.into(),
            size: snapshot.size.to_string().into(),
            count: "1".into(),
            field: CreateField::Name,
            error: None,
            driver,
        }
    }

    fn input_mut(&mut self) -> &mut Input {
        match self.field {
            CreateField::Name => &mut self.name,
            CreateField::Size => &mut self.size,
            CreateField::Count => &mut self.count,
        }
    }

    fn step_field(&mut self, forward: bool) {
        let at = FIELDS.iter().position(|f| *f == self.field).unwrap_or(0);
        let next = if forward {
            (at + 1) % FIELDS.len()
        } else {
            (at + FIELDS.len() - 1) % FIELDS.len()
        };
        self.field = FIELDS[next];
    }

    /// Handles a key and what the key table makes of it in a form.
    pub fn key(&mut self, action: Option<Action>, key: Key) -> CreateOutcome {
        self.error = None;
        match action {
            Some(Action::Cancel) => return CreateOutcome::Cancelled,
            Some(Action::NextField) => self.step_field(true),
            Some(Action::PreviousField) => self.step_field(false),
            Some(Action::Confirm) => match self.plan() {
                Ok(plan) => return CreateOutcome::Submitted(plan),
                Err(error) => self.error = Some(error),
            },
            _ => {
                edit(self.input_mut(), key);
            }
        }
        CreateOutcome::Editing
    }

    /// The plan the fields describe, or what is wrong with them.
    pub fn plan(&self) -> Result<CreatePlan, String> {
        let name = self.name.value().trim();
        if name.is_empty() {
            return Err("the name is empty".to_string());
        }
        let size: u64 = self
            .size
            .value()
            .trim()
            .parse()
            .map_err(|_| "the size is a whole number of GiB".to_string())?;
        if size < self.snapshot_size {
            return Err(format!(
                "the size must be at least the snapshot's, {} GiB",
                self.snapshot_size
            ));
        }
        let count: u64 = self
            .count
            .value()
            .trim()
            .parse()
            .ok()
            .filter(|count| (1..=MOST_VOLUMES).contains(count))
            .ok_or_else(|| format!("the count is a number from 1 to {MOST_VOLUMES}"))?;
        Ok(CreatePlan {
            snapshot_label: self.snapshot_label.clone(),
            request: CreateVolumeRequest {
                snapshot_id: self.snapshot_id.clone(),
                name: Some(name.to_string()),
                description: None,
                size: Some(size),
                metadata: Default::default(),
            },
            count,
            driver: self.driver.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::KeyCode;
    use crate::backend::Status;

    fn snapshot() -> Snapshot {
        Snapshot {
            id: "s1".into(),
            name: Some("golden".into()),
            description: None,
            status: Status::Available,
            size: 2,
            volume_id: "v1".into(),
            created_at: None,
            metadata: Default::default(),
        }
    }

    fn press(form: &mut CreateForm, action: Option<Action>, code: KeyCode) -> CreateOutcome {
        form.key(action, Key::plain(code))
    }

    #[test]
    fn the_defaults_are_the_snapshots_name_and_size_and_one_volume() {
        let form = CreateForm::new(&snapshot(), "golden (s1)".into(), Driver::Rbd);
        let plan = form.plan().unwrap();
        assert_eq!(plan.request.name.as_deref(), Some("golden-volume"));
        assert_eq!(plan.request.size, Some(2));
        assert_eq!(plan.count, 1);
        assert_eq!(plan.items()[0].label, "golden-volume");
    }

    #[test]
    fn a_size_below_the_snapshots_and_a_bad_count_are_refused() {
        let mut form = CreateForm::new(&snapshot(), "golden (s1)".into(), Driver::Rbd);
        press(&mut form, Some(Action::NextField), KeyCode::Tab);
        press(&mut form, None, KeyCode::Backspace);
        press(&mut form, None, KeyCode::Char('1'));
        assert_eq!(
            press(&mut form, Some(Action::Confirm), KeyCode::Enter),
            CreateOutcome::Editing
        );
        assert!(
            form.error
                .as_deref()
                .unwrap()
                .contains("at least the snapshot's, 2 GiB")
        );
        press(&mut form, None, KeyCode::Char('0'));
        press(&mut form, Some(Action::NextField), KeyCode::Tab);
        press(&mut form, None, KeyCode::Char('3'));
        let CreateOutcome::Submitted(plan) =
            press(&mut form, Some(Action::Confirm), KeyCode::Enter)
        else {
            panic!("submitted: {:?}", form.error)
        };
        assert_eq!((plan.request.size, plan.count), (Some(10), 13));
        assert_eq!(
            press(&mut form, Some(Action::Cancel), KeyCode::Esc),
            CreateOutcome::Cancelled
        );
    }
}
