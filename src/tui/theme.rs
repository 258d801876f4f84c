//! Themes: TOML files with semantic slots, three of them built in. With `NO_COLOR`
//! every slot becomes a modifier, so selection, marks and warnings stay visible.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use thiserror::Error;

/// The built-in themes, by name.
const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Why a theme could not be used.
#[derive(Debug, Error)]
pub enum ThemeError {
    #[error(
        "theme '{name}' is neither built in (default, light, high-contrast) nor a readable file"
    )]
    Read {
        name: String,
        source: std::io::Error,
    },
    #[error("theme {name}: {message}")]
    Parse { name: String, message: String },
}

/// How each kind of thing on screen looks.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub header: Style,
    pub selected: Style,
    pub marked: Style,
    pub danger: Style,
    pub warning: Style,
    pub ok: Style,
    pub muted: Style,
    pub readonly: Style,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotFile {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    modifiers: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    header: SlotFile,
    selected: SlotFile,
    marked: SlotFile,
    danger: SlotFile,
    warning: SlotFile,
    ok: SlotFile,
    muted: SlotFile,
    readonly: SlotFile,
}

fn modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

impl SlotFile {
    fn style(&self, slot: &str) -> Result<Style, String> {
        let color = |text: &Option<String>| -> Result<Option<Color>, String> {
            text.as_deref()
                .map(|t| Color::from_str(t).map_err(|_| format!("[{slot}]: unknown colour '{t}'")))
                .transpose()
        };
        let mut style = Style::new();
        if let Some(fg) = color(&self.fg)? {
            style = style.fg(fg);
        }
        if let Some(bg) = color(&self.bg)? {
            style = style.bg(bg);
        }
        for name in &self.modifiers {
            let m = modifier(name).ok_or_else(|| format!("[{slot}]: unknown modifier '{name}'"))?;
            style = style.add_modifier(m);
        }
        Ok(style)
    }
}

impl Theme {
    /// Parses a theme file's text.
    pub fn parse(name: &str, text: &str) -> Result<Self, ThemeError> {
        let parse = |message: String| ThemeError::Parse {
            name: name.to_string(),
            message,
        };
        let file: ThemeFile =
            toml::from_str(text).map_err(|err| parse(err.message().to_string()))?;
        Ok(Self {
            header: file.header.style("header").map_err(parse)?,
            selected: file.selected.style("selected").map_err(parse)?,
            marked: file.marked.style("marked").map_err(parse)?,
            danger: file.danger.style("danger").map_err(parse)?,
            warning: file.warning.style("warning").map_err(parse)?,
            ok: file.ok.style("ok").map_err(parse)?,
            muted: file.muted.style("muted").map_err(parse)?,
            readonly: file.readonly.style("readonly").map_err(parse)?,
        })
    }

    /// A built-in theme by name, or a theme file by path; `None` is `default`.
    /// With `no_color` the theme is still checked, then replaced by modifiers only.
    pub fn load(name: Option<&str>, no_color: bool) -> Result<Self, ThemeError> {
        let name = name.unwrap_or("default");
        let theme = match BUILT_IN.iter().find(|(known, _)| *known == name) {
            Some((_, text)) => Self::parse(name, text)?,
            None => {
                let text = std::fs::read_to_string(Path::new(name)).map_err(|source| {
                    ThemeError::Read {
                        name: name.to_string(),
                        source,
                    }
                })?;
                Self::parse(name, &text)?
            }
        };
        Ok(if no_color { Self::no_color() } else { theme })
    }

    /// No colours at all (`NO_COLOR`): meaning is carried by modifiers and symbols.
    pub fn no_color() -> Self {
        let m = |modifier| Style::new().add_modifier(modifier);
        Self {
            header: m(Modifier::REVERSED),
            selected: m(Modifier::REVERSED | Modifier::BOLD),
            marked: m(Modifier::BOLD),
            danger: m(Modifier::BOLD | Modifier::UNDERLINED),
            warning: m(Modifier::BOLD),
            ok: Style::new(),
            muted: m(Modifier::DIM),
            readonly: m(Modifier::BOLD | Modifier::REVERSED),
        }
    }
}

/// True when the environment asks for no colours (`NO_COLOR` set and not empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_themes_parse() {
        for (name, _) in BUILT_IN {
            let theme = Theme::load(Some(name), false).unwrap();
            assert_ne!(
                theme.selected,
                Style::new(),
                "{name}: selection must be visible"
            );
        }
        assert_eq!(
            Theme::load(None, false).unwrap().header,
            Style::new().fg(Color::Black).bg(Color::Cyan)
        );
    }

    #[test]
    fn no_color_has_no_colours() {
        let theme = Theme::load(Some("light"), true).unwrap();
        for style in [
            theme.header,
            theme.selected,
            theme.marked,
            theme.danger,
            theme.warning,
            theme.muted,
            theme.readonly,
        ] {
            assert_eq!((style.fg, style.bg), (None, None));
            assert!(!style.add_modifier.is_empty());
        }
    }

    #[test]
    fn files_load_and_errors_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        let good = BUILT_IN[0]
            .1
            .replace("fg = \"black\"\nbg = \"cyan\"", "fg = \"#102030\"");
        std::fs::write(&path, good).unwrap();
        let theme = Theme::load(Some(path.to_str().unwrap()), false).unwrap();
        assert_eq!(theme.header.fg, Some(Color::Rgb(0x10, 0x20, 0x30)));
        std::fs::write(&path, BUILT_IN[0].1.replace("\"cyan\"", "\"cyann\"")).unwrap();
        let err = Theme::load(Some(path.to_str().unwrap()), false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("[header]: unknown colour 'cyann'"), "{err}");
        let err = Theme::load(Some("solarized"), false)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("theme 'solarized' is neither built in"),
            "{err}"
        );
    }
}
