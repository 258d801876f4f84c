//! The buttons of a dialog that changes a back end: focus starts on Cancel, Tab moves
//! it, and a bulk change needs a word typed before Enter on the action proceeds.

use tui_input::Input;

use super::Button;
use super::form::edit;
use super::keymap::{Key, KeyCode};

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

impl Gate {
    /// Handles a key; `typing` when the action needs a typed confirmation.
    pub fn key(&mut self, key: Key, typing: Option<Typing>) -> Verdict {
        self.hint = None;
        match key.code {
            KeyCode::Esc => Verdict::Cancel,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
                self.focus = match self.focus {
                    Button::Cancel => Button::Proceed,
                    Button::Proceed => Button::Cancel,
                };
                Verdict::Stay
            }
            KeyCode::Enter if self.focus == Button::Cancel => Verdict::Cancel,
            KeyCode::Enter => match typing {
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
