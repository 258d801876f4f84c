//! The terminal's clipboard through the OSC 52 escape: the terminal the operator sits
//! at does the copying, so it works over SSH; tmux stores it in a paste buffer and
//! passes it on when `set -g set-clipboard on`.

use std::io::{self, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The escape that asks the terminal to put `text` on its clipboard (`c`), ended with
/// BEL, which more terminals accept than ST.
pub fn escape(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", STANDARD.encode(text))
}

/// Writes the escape and flushes it, so that it leaves now rather than with the next
/// frame.
pub fn copy(out: &mut impl Write, text: &str) -> io::Result<()> {
    out.write_all(escape(text).as_bytes())?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_escape_carries_the_text_in_base64() {
        assert_eq!(escape("abc\ndef"), "\x1b]52;c;YWJjCmRlZg==\x07");
        let mut out = Vec::new();
        copy(&mut out, "id-1").unwrap();
        assert_eq!(out, b"\x1b]52;c;aWQtMQ==\x07");
    }
}
