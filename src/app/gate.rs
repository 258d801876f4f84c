//! The buttons of a dialog that changes a back end: focus starts on Cancel, the key
//! table's switch key moves it, and a bulk change needs a word typed before confirming
//! on the action proceeds.

use tui_input::Input;

use super::Button;
use super::form::edit;
use super::keymap::{Action, Key, KeyCode};
use super::migrate::MIGRATE_WORD;
use super::plan::{BULK_WORD, DELETE_WORD};

/// Focus, typed text and the reason the last Enter did not proceed.
#[derive(Debug, Clone, Default)]
pub struct Gate {
    pub focus: Button,
    pub typed: Input,
    pub hint: Option<String>,
}

/// What a key did to the dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Stay,
    Cancel,
    Proceed,
}

/// What must be typed before the action proceeds, and what to say when it was not.
pub struct Typing<'a> {
    pub accepts: &'a dyn Fn(&str) -> bool,
    pub hint: String,
}

/// True for keys a typed confirmation needs (the count, or the word): the key table
/// may not take them for a dialog. (A retirement's volume name takes every character:
/// its dialog lets them all type.)
pub fn typed(key: Key) -> bool {
    match key.code {
        KeyCode::Char(c) if !key.ctrl && !key.alt => {
            c.is_ascii_digit()
                || BULK_WORD.contains(c)
                || DELETE_WORD.contains(c)
                || MIGRATE_WORD.contains(c)
        }
        KeyCode::Backspace | KeyCode::Delete => true,
        _ => false,
    }
}

impl Gate {
    /// Handles a key and what the key table makes of it in a dialog; `typing` when the
    /// action needs a typed confirmation.
    pub fn key(&mut self, action: Option<Action>, key: Key, typing: Option<Typing>) -> Verdict {
        self.hint = None;
        match action {
            Some(Action::Cancel) => Verdict::Cancel,
            Some(Action::SwitchButton) => {
                self.focus = match self.focus {
                    Button::Cancel => Button::Proceed,
                    Button::Proceed => Button::Cancel,
                };
                Verdict::Stay
            }
            Some(Action::Confirm) if self.focus == Button::Cancel => Verdict::Cancel,
            Some(Action::Confirm) => match typing {
                Some(typing) if !(typing.accepts)(self.typed.value()) => {
                    self.hint = Some(typing.hint);
                    Verdict::Stay
                }
                _ => Verdict::Proceed,
            },
            _ => {
                if typing.is_some() {
                    edit(&mut self.typed, key);
                }
                Verdict::Stay
            }
        }
    }
}
