//! One key table for the console: which key does what on which screen. Help, footer
//! hints and config overrides all come from it, so they cannot disagree.
//!
//! Its length is the table itself (every action, its default keys and its bindings per
//! context) and its tests; splitting the table would let its parts disagree.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

/// A key, independent of the terminal library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

/// The key itself; shifted letters are their capitals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
}

impl Key {
    /// A key without modifiers.
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
        }
    }

    /// A character key without modifiers.
    pub const fn char(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    /// A character with Ctrl held.
    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
        }
    }

    /// Parses `ctrl-r`, `alt-x`, `G`, `enter`, `space`, `pgdn`, `shift-tab`, ….
    pub fn parse(text: &str) -> Option<Self> {
        let mut key = Key::plain(KeyCode::Enter);
        let mut rest = text.trim();
        loop {
            let lower = rest.to_ascii_lowercase();
            if lower.starts_with("ctrl-") && rest.len() > 5 {
                key.ctrl = true;
                rest = &rest[5..];
            } else if lower.starts_with("alt-") && rest.len() > 4 {
                key.alt = true;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(if key.ctrl { c.to_ascii_lowercase() } else { c }),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "shift-tab" | "backtab" => KeyCode::BackTab,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "pgup" | "pageup" => KeyCode::PageUp,
                "pgdn" | "pagedown" => KeyCode::PageDown,
                "space" => KeyCode::Char(' '),
                _ => return None,
            },
        };
        Some(key)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
        }
    }
}

/// Where a binding applies. `Global` bindings work on every list screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Context {
    Global,
    Hosts,
    Volumes,
    Snapshots,
    Manageable,
    ManageableVolumes,
    /// The import form: its own keys only (typing takes the rest).
    ImportForm,
    /// Confirmations, notices, progress and help: buttons and scrolling (typing takes
    /// the rest where a word must be typed).
    Dialog,
    /// Choosing from a list in a dialog: the back-end switcher, the wizard's steps.
    Choice,
    /// The filter and command line at the bottom (typing takes the rest).
    Prompt,
}

impl Context {
    /// The heading in the help overlay.
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Hosts => "Hosts",
            Context::Volumes => "Volumes",
            Context::Snapshots => "Snapshots",
            Context::Manageable => "Manageable snapshots",
            Context::ManageableVolumes => "Manageable volumes",
            Context::ImportForm => "Import form",
            Context::Dialog => "Dialogs",
            Context::Choice => "Choosing from a list",
            Context::Prompt => "Filter and command line",
        }
    }

    /// True for the list screens, where the global bindings apply too.
    pub fn is_list(self) -> bool {
        !matches!(
            self,
            Context::Global
                | Context::ImportForm
                | Context::Dialog
                | Context::Choice
                | Context::Prompt
        )
    }
}

/// Something the operator can ask for from a list screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    Refresh,
    Filter,
    Command,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Mark,
    MarkAll,
    Sort,
    SortReverse,
    Details,
    Focus,
    Manageable,
    ManageableVolumes,
    Import,
    ImportByReference,
    Export,
    Backends,
    Migrate,
    Delete,
    CreateVolume,
    Retire,
    Copy,
    AcceptDefaults,
    Confirm,
    Cancel,
    SwitchButton,
    ScrollUp,
    ScrollDown,
    ScrollPageUp,
    ScrollPageDown,
    ScrollTop,
    NextField,
    PreviousField,
    NextItem,
    PreviousItem,
    NextChoice,
    PreviousChoice,
    Complete,
}

/// Every action with its config name and default keys.
const ACTIONS: &[(Action, &str, &[&str])] = &[
    (Action::Quit, "quit", &["q", "ctrl-c"]),
    (Action::Help, "help", &["?"]),
    (Action::Refresh, "refresh", &["r", "ctrl-r"]),
    (Action::Filter, "filter", &["/"]),
    (Action::Command, "command", &[":"]),
    (Action::Up, "up", &["k", "up"]),
    (Action::Down, "down", &["j", "down"]),
    (Action::PageUp, "page_up", &["pgup", "ctrl-b"]),
    (Action::PageDown, "page_down", &["pgdn", "ctrl-f"]),
    (Action::Top, "top", &["g", "home"]),
    (Action::Bottom, "bottom", &["G", "end"]),
    (Action::Open, "open", &["enter"]),
    (Action::Back, "back", &["esc"]),
    (Action::Mark, "mark", &["space"]),
    (Action::MarkAll, "mark_all", &["ctrl-a"]),
    (Action::Sort, "sort", &["s"]),
    (Action::SortReverse, "sort_reverse", &["S"]),
    (Action::Details, "details", &["d"]),
    (Action::Focus, "focus", &["tab"]),
    (Action::Manageable, "manageable", &["m"]),
    (Action::ManageableVolumes, "manageable_volumes", &["v"]),
    (Action::Import, "import", &["i"]),
    (Action::ImportByReference, "import_by_reference", &["I"]),
    (Action::Export, "export", &["x", "ctrl-d"]),
    (Action::Backends, "backends", &["b"]),
    (Action::Migrate, "migrate", &["M"]),
    (Action::Delete, "delete", &["X", "delete"]),
    (Action::CreateVolume, "create_volume", &["c"]),
    (Action::Retire, "retire", &["R"]),
    (Action::Copy, "copy", &["y"]),
    (Action::AcceptDefaults, "accept_defaults", &["ctrl-y"]),
    (Action::Confirm, "confirm", &["enter"]),
    (Action::Cancel, "cancel", &["esc"]),
    (
        Action::SwitchButton,
        "switch_button",
        &["tab", "shift-tab", "left", "right"],
    ),
    (Action::ScrollUp, "scroll_up", &["k", "up"]),
    (Action::ScrollDown, "scroll_down", &["j", "down"]),
    (Action::ScrollPageUp, "scroll_page_up", &["pgup"]),
    (Action::ScrollPageDown, "scroll_page_down", &["pgdn"]),
    (Action::ScrollTop, "scroll_top", &["home"]),
    (Action::NextField, "next_field", &["tab", "down"]),
    (
        Action::PreviousField,
        "previous_field",
        &["shift-tab", "up"],
    ),
    (Action::NextItem, "next_item", &["ctrl-n", "pgdn"]),
    (Action::PreviousItem, "previous_item", &["ctrl-p", "pgup"]),
    (Action::NextChoice, "next_choice", &["right"]),
    (Action::PreviousChoice, "previous_choice", &["left"]),
    (Action::Complete, "complete", &["tab"]),
];

impl Action {
    /// The name used in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        ACTIONS
            .iter()
            .find(|(action, _, _)| *action == self)
            .map(|(_, name, _)| *name)
            .unwrap_or_default()
    }

    /// True for actions that change the back end (unavailable read-only).
    pub fn mutating(self) -> bool {
        matches!(
            self,
            Action::Import
                | Action::ImportByReference
                | Action::Export
                | Action::Migrate
                | Action::Delete
                | Action::CreateVolume
                | Action::Retire
        )
    }
}

/// One line of the key table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Binding {
    pub context: Context,
    pub action: Action,
    pub description: &'static str,
    /// The short label in the footer of its screen, if it has one there.
    pub hint: Option<&'static str>,
}

const fn bind(
    context: Context,
    action: Action,
    description: &'static str,
    hint: Option<&'static str>,
) -> Binding {
    Binding {
        context,
        action,
        description,
        hint,
    }
}

use Action as A;
use Context as C;

/// The key table, in help order.
const BINDINGS: &[Binding] = &[
    bind(C::Hosts, A::Open, "volumes of the host", Some("volumes")),
    bind(
        C::Hosts,
        A::Manageable,
        "back-end snapshots of the host",
        Some("backend snaps"),
    ),
    bind(
        C::Hosts,
        A::ManageableVolumes,
        "back-end volumes of the host",
        None,
    ),
    bind(
        C::Volumes,
        A::Open,
        "snapshots of the volume",
        Some("snapshots"),
    ),
    bind(
        C::Volumes,
        A::Manageable,
        "back-end snapshots of the volume's host",
        Some("backend snaps"),
    ),
    bind(
        C::Volumes,
        A::ManageableVolumes,
        "back-end volumes of the volume's host",
        None,
    ),
    bind(
        C::Volumes,
        A::Export,
        "export (unmanage) volumes…",
        Some("export"),
    ),
    bind(
        C::Volumes,
        A::Migrate,
        "migrate volumes with their snapshots to another back end…",
        Some("migrate"),
    ),
    bind(
        C::Volumes,
        A::Delete,
        "delete volumes: destroys their data…",
        None,
    ),
    bind(
        C::Volumes,
        A::Retire,
        "retire the volume: import its back-end snapshots, delete them all, delete it…",
        Some("retire"),
    ),
    bind(C::Snapshots, A::Open, "details", None),
    bind(
        C::Snapshots,
        A::Export,
        "export (unmanage) snapshots…",
        Some("export"),
    ),
    bind(
        C::Snapshots,
        A::Delete,
        "delete snapshots: destroys their data…",
        None,
    ),
    bind(
        C::Snapshots,
        A::CreateVolume,
        "create volumes from the snapshot…",
        Some("new volume"),
    ),
    bind(C::Manageable, A::Open, "details", None),
    bind(
        C::Manageable,
        A::Import,
        "import (manage) snapshots…",
        Some("import"),
    ),
    bind(
        C::Manageable,
        A::ImportByReference,
        "import a snapshot by reference (type the LV name)…",
        Some("by reference"),
    ),
    bind(
        C::Manageable,
        A::ManageableVolumes,
        "back-end volumes of this host",
        Some("backend vols"),
    ),
    bind(C::ManageableVolumes, A::Open, "details", None),
    bind(
        C::ManageableVolumes,
        A::Import,
        "import (manage) volumes…",
        Some("import"),
    ),
    bind(
        C::ManageableVolumes,
        A::ImportByReference,
        "import a volume by reference (type the LV name)…",
        Some("by reference"),
    ),
    bind(
        C::ManageableVolumes,
        A::Manageable,
        "back-end snapshots of this host",
        Some("backend snaps"),
    ),
    bind(C::Global, A::Help, "help", Some("help")),
    bind(C::Global, A::Mark, "mark / unmark", Some("mark")),
    bind(C::Global, A::MarkAll, "mark all shown / clear marks", None),
    bind(C::Global, A::Filter, "fuzzy filter", Some("filter")),
    bind(
        C::Global,
        A::Command,
        "command (:hosts :volumes :snapshots :backend :migrate …)",
        None,
    ),
    bind(
        C::Global,
        A::Copy,
        "copy ids (references) of the marked or selected rows",
        None,
    ),
    bind(C::Global, A::Backends, "switch back end…", None),
    bind(C::Global, A::Sort, "sort by next column", None),
    bind(C::Global, A::SortReverse, "reverse sort", None),
    bind(C::Global, A::Details, "details pane", Some("details")),
    bind(C::Global, A::Focus, "switch pane", None),
    bind(C::Global, A::Refresh, "refresh", None),
    bind(C::Global, A::Up, "up", None),
    bind(C::Global, A::Down, "down", None),
    bind(C::Global, A::PageUp, "page up", None),
    bind(C::Global, A::PageDown, "page down", None),
    bind(C::Global, A::Top, "first row", None),
    bind(C::Global, A::Bottom, "last row", None),
    bind(C::Global, A::Back, "back / clear filter", None),
    bind(C::Global, A::Quit, "quit", Some("quit")),
    bind(
        C::ImportForm,
        A::AcceptDefaults,
        "accept the defaults for this and every remaining item",
        Some("defaults for this and the rest, then review"),
    ),
    bind(C::ImportForm, A::NextField, "next field", None),
    bind(C::ImportForm, A::PreviousField, "previous field", None),
    bind(C::ImportForm, A::NextItem, "next item", None),
    bind(C::ImportForm, A::PreviousItem, "previous item", None),
    bind(C::ImportForm, A::NextChoice, "next parent volume", None),
    bind(
        C::ImportForm,
        A::PreviousChoice,
        "previous parent volume",
        None,
    ),
    bind(
        C::ImportForm,
        A::Confirm,
        "next item; on the last, review",
        None,
    ),
    bind(C::ImportForm, A::Cancel, "cancel the import", None),
    bind(
        C::Dialog,
        A::Confirm,
        "press the focused button (focus starts on Cancel); close",
        None,
    ),
    bind(C::Dialog, A::Cancel, "cancel; close", None),
    bind(
        C::Dialog,
        A::SwitchButton,
        "switch between Cancel and the action",
        None,
    ),
    bind(C::Dialog, A::ScrollDown, "scroll down", None),
    bind(C::Dialog, A::ScrollUp, "scroll up", None),
    bind(C::Dialog, A::ScrollPageDown, "scroll a page down", None),
    bind(C::Dialog, A::ScrollPageUp, "scroll a page up", None),
    bind(C::Dialog, A::ScrollTop, "scroll to the top", None),
    bind(C::Choice, A::Down, "next", None),
    bind(C::Choice, A::Up, "previous", None),
    bind(C::Choice, A::Top, "first", None),
    bind(C::Choice, A::Bottom, "last", None),
    bind(C::Choice, A::Confirm, "choose", None),
    bind(C::Choice, A::Cancel, "back; close", None),
    bind(
        C::Prompt,
        A::Confirm,
        "keep the filter; run the command",
        None,
    ),
    bind(
        C::Prompt,
        A::Cancel,
        "clear the filter; leave the command line",
        None,
    ),
    bind(C::Prompt, A::Complete, "complete the command's name", None),
];

/// Why a key override in the config file was refused.
#[derive(Debug, Error, PartialEq)]
pub enum KeymapError {
    #[error("config [keys]: unknown action '{0}' (known: {1})")]
    UnknownAction(String, String),
    #[error(
        "config [keys]: {action} = \"{text}\": '{key}' is not a key (examples: x, G, ctrl-r, alt-x, enter, space, pgdn)"
    )]
    BadKey {
        action: String,
        text: String,
        key: String,
    },
    #[error(
        "config [keys]: '{key}' would do both '{first}' and '{second}' on the {context} screen"
    )]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
        context: &'static str,
    },
    #[error("config [keys]: '{key}' cannot do '{action}': the {context} uses it for typing")]
    Reserved {
        key: String,
        action: &'static str,
        context: &'static str,
    },
}

/// The key table with the operator's overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    keys: BTreeMap<Action, Vec<Key>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let keys = ACTIONS
            .iter()
            .map(|(action, _, keys)| {
                let keys = keys
                    .iter()
                    .map(|k| Key::parse(k).expect("default keys parse"))
                    .collect();
                (*action, keys)
            })
            .collect();
        Self { keys }
    }
}

impl Keymap {
    /// The defaults with `overrides` (action name → space-separated keys) applied.
    pub fn with_overrides(overrides: &BTreeMap<String, String>) -> Result<Self, KeymapError> {
        let mut keymap = Self::default();
        for (name, text) in overrides {
            let action = ACTIONS
                .iter()
                .find(|(_, known, _)| known == name)
                .map(|(action, _, _)| *action)
                .ok_or_else(|| {
                    let known: Vec<&str> = ACTIONS.iter().map(|(_, n, _)| *n).collect();
                    KeymapError::UnknownAction(name.clone(), known.join(", "))
                })?;
            let keys = text
                .split_whitespace()
                .map(|key| {
                    Key::parse(key).ok_or_else(|| KeymapError::BadKey {
                        action: name.clone(),
                        text: text.clone(),
                        key: key.to_string(),
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(KeymapError::BadKey {
                    action: name.clone(),
                    text: text.clone(),
                    key: String::new(),
                });
            }
            keymap.keys.insert(action, keys);
        }
        keymap.check_conflicts()?;
        Ok(keymap)
    }

    fn check_conflicts(&self) -> Result<(), KeymapError> {
        for context in [
            C::Hosts,
            C::Volumes,
            C::Snapshots,
            C::Manageable,
            C::ManageableVolumes,
            C::ImportForm,
            C::Dialog,
            C::Choice,
            C::Prompt,
        ] {
            let mut seen: BTreeMap<Key, Action> = BTreeMap::new();
            for binding in self.bindings(context) {
                for key in self.keys_of(binding.action) {
                    let typed_in = match context {
                        C::ImportForm => super::form::typed(*key).then_some("import form"),
                        C::Prompt => super::form::typed(*key).then_some("command line"),
                        C::Dialog => super::gate::typed(*key).then_some("confirmation dialog"),
                        _ => None,
                    };
                    if let Some(place) = typed_in {
                        return Err(KeymapError::Reserved {
                            key: key.to_string(),
                            action: binding.action.name(),
                            context: place,
                        });
                    }
                    if let Some(first) = seen.insert(*key, binding.action)
                        && first != binding.action
                    {
                        return Err(KeymapError::Conflict {
                            key: key.to_string(),
                            first: first.name(),
                            second: binding.action.name(),
                            context: context.title(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The keys bound to an action.
    pub fn keys_of(&self, action: Action) -> &[Key] {
        self.keys
            .get(&action)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The bindings that apply on a screen: its own first, then on list screens the
    /// global ones.
    pub fn bindings(&self, context: Context) -> impl Iterator<Item = &'static Binding> {
        BINDINGS.iter().filter(move |b| b.context == context).chain(
            BINDINGS
                .iter()
                .filter(move |b| b.context == C::Global && context.is_list()),
        )
    }

    /// All bindings, grouped by context, for the help overlay.
    pub fn all(&self) -> impl Iterator<Item = &'static Binding> {
        BINDINGS.iter()
    }

    /// What `key` does on a screen.
    pub fn action(&self, context: Context, key: Key) -> Option<Action> {
        self.bindings(context)
            .find(|binding| self.keys_of(binding.action).contains(&key))
            .map(|binding| binding.action)
    }

    /// The first keys of `actions`, joined as hints show them: `j/k`.
    pub fn labels(&self, actions: &[Action]) -> String {
        actions
            .iter()
            .map(|action| self.label(*action))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A hint line: each entry's keys and what they do, two spaces apart
    /// (`enter: open  esc: close`).
    pub fn hints(&self, entries: &[(&[Action], &str)]) -> String {
        entries
            .iter()
            .map(|(actions, text)| format!("{}: {text}", self.labels(actions)))
            .collect::<Vec<_>>()
            .join("  ")
    }

    /// The first key of an action, as shown in hints.
    pub fn label(&self, action: Action) -> String {
        self.keys_of(action)
            .first()
            .map(Key::to_string)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, k)| (a.to_string(), k.to_string()))
            .collect()
    }

    #[test]
    fn keys_parse_and_print_back() {
        for text in [
            "ctrl-r",
            "G",
            "enter",
            "space",
            "pgdn",
            "shift-tab",
            "alt-x",
            "/",
        ] {
            assert_eq!(Key::parse(text).unwrap().to_string(), text);
        }
        assert_eq!(Key::parse("Ctrl-R"), Some(Key::ctrl('r')));
        assert_eq!(Key::parse("hyper-x"), None);
        assert_eq!(Key::parse(""), None);
    }

    #[test]
    fn screens_resolve_their_own_actions_first() {
        let keymap = Keymap::default();
        assert_eq!(
            keymap.action(C::Hosts, Key::plain(KeyCode::Enter)),
            Some(A::Open)
        );
        assert_eq!(keymap.action(C::Snapshots, Key::char('x')), Some(A::Export));
        assert_eq!(keymap.action(C::Snapshots, Key::ctrl('d')), Some(A::Export));
        assert_eq!(
            keymap.action(C::Hosts, Key::char('x')),
            None,
            "nothing to export on hosts"
        );
        assert_eq!(
            keymap.action(C::Manageable, Key::char('i')),
            Some(A::Import)
        );
        assert_eq!(keymap.action(C::Volumes, Key::char('j')), Some(A::Down));
        for context in [C::Hosts, C::Volumes, C::Manageable] {
            assert_eq!(
                keymap.action(context, Key::char('v')),
                Some(A::ManageableVolumes)
            );
        }
        assert_eq!(
            keymap.action(C::ManageableVolumes, Key::char('i')),
            Some(A::Import)
        );
        assert_eq!(
            keymap.action(C::ManageableVolumes, Key::char('m')),
            Some(A::Manageable),
            "m goes back to the host's back-end snapshots"
        );
    }

    #[test]
    fn overrides_replace_keys() {
        let keymap = Keymap::with_overrides(&overrides(&[("refresh", "F5 ctrl-l")]));
        assert!(matches!(keymap, Err(KeymapError::BadKey { ref key, .. }) if key == "F5"));
        let keymap = Keymap::with_overrides(&overrides(&[("refresh", "ctrl-l")])).unwrap();
        assert_eq!(keymap.action(C::Hosts, Key::ctrl('l')), Some(A::Refresh));
        assert_eq!(keymap.action(C::Hosts, Key::char('r')), None);
        let keymap = Keymap::with_overrides(&overrides(&[("copy", "alt-c")])).unwrap();
        for context in [C::Hosts, C::Volumes, C::Snapshots, C::Manageable] {
            assert_eq!(
                keymap.action(context, Key::parse("alt-c").unwrap()),
                Some(A::Copy)
            );
            assert_eq!(keymap.action(context, Key::char('y')), None);
        }
    }

    #[test]
    fn unknown_actions_and_conflicts_are_refused_with_names() {
        let err = Keymap::with_overrides(&overrides(&[("refrsh", "r")])).unwrap_err();
        assert!(err.to_string().contains("unknown action 'refrsh'"), "{err}");
        assert!(
            err.to_string().contains("refresh"),
            "lists the known names: {err}"
        );
        let err = Keymap::with_overrides(&overrides(&[("import", "j")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config [keys]: 'j' would do both 'import' and 'down' on the Manageable snapshots screen"
        );
        let err = Keymap::with_overrides(&overrides(&[("accept_defaults", "A")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config [keys]: 'A' cannot do 'accept_defaults': the import form uses it for typing"
        );
        let keymap = Keymap::with_overrides(&overrides(&[("accept_defaults", "alt-a")])).unwrap();
        assert_eq!(
            keymap.action(C::ImportForm, Key::parse("alt-a").unwrap()),
            Some(A::AcceptDefaults)
        );
        assert_eq!(
            keymap.action(C::ImportForm, Key::char('q')),
            None,
            "list keys do not reach the form"
        );
        let err = Keymap::with_overrides(&overrides(&[("manageable_volumes", "i")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "config [keys]: 'i' would do both 'import' and 'manageable_volumes' on the Manageable snapshots screen"
        );
    }

    #[test]
    fn only_changes_to_the_back_end_mutate() {
        let mutating: Vec<_> = ACTIONS
            .iter()
            .filter(|(a, _, _)| a.mutating())
            .map(|(_, n, _)| *n)
            .collect();
        assert_eq!(
            mutating,
            [
                "import",
                "import_by_reference",
                "export",
                "migrate",
                "delete",
                "create_volume",
                "retire"
            ]
        );
    }
}
