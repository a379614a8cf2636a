//! Colour, only where it helps and only where it is wanted: on a terminal, and never when
//! `NO_COLOR` is set (<https://no-color.org>).

use std::io::IsTerminal;

/// What a piece of text means, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// Success: green.
    Good,
    /// Failure: red.
    Bad,
    /// Needs attention: yellow.
    Warn,
    /// Headings: bold.
    Bold,
    /// Secondary detail: dim.
    Dim,
}

/// Whether to colour one output stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colour for `stream` when it is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect(stream: &impl IsTerminal) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            colour: stream.is_terminal() && !no_color,
        }
    }

    /// No colour at all.
    pub fn plain() -> Self {
        Self { colour: false }
    }

    /// Always colour (for tests of the colouring itself).
    #[cfg(test)]
    pub fn coloured() -> Self {
        Self { colour: true }
    }

    /// `text` in the colour of `paint`.
    pub fn paint(&self, paint: Paint, text: &str) -> String {
        if !self.colour || text.is_empty() {
            return text.to_owned();
        }
        let code = match paint {
            Paint::Good => "32",
            Paint::Bad => "31",
            Paint::Warn => "33",
            Paint::Bold => "1",
            Paint::Dim => "2",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_style_never_adds_escape_codes() {
        assert_eq!(Style::plain().paint(Paint::Bad, "denied"), "denied");
    }

    #[test]
    fn coloured_style_wraps_and_resets() {
        assert_eq!(
            Style::coloured().paint(Paint::Good, "ok"),
            "\x1b[32mok\x1b[0m"
        );
    }
}
