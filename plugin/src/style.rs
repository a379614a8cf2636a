//! Colour, only where it helps and only where it is wanted. The decision is anstream's, the one
//! clap makes for its own help: `--color always|never` first; otherwise never with `NO_COLOR`
//! (<https://no-color.org>), always with `CLICOLOR_FORCE`, never with `CLICOLOR=0`, and on a
//! terminal only when `TERM` supports colour (not `dumb`).

use anstream::ColorChoice;
use anstream::stream::RawStream;
use clap::ValueEnum;

/// The `--color` flag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorMode {
    // Plain comments, not doc comments: clap would turn those into a long help of their own.
    // Auto: colour on a terminal that supports it, unless the environment says otherwise.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorMode {
    /// Makes this the choice of every stream of the process (anstream's global choice).
    pub fn apply(self) {
        let choice = match self {
            ColorMode::Auto => ColorChoice::Auto,
            ColorMode::Always => ColorChoice::Always,
            ColorMode::Never => ColorChoice::Never,
        };
        choice.write_global();
    }
}

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
    /// Colour for `stream` as the global choice ([`ColorMode::apply`]) and the environment
    /// decide.
    pub fn detect(stream: &impl RawStream) -> Self {
        Self {
            colour: anstream::AutoStream::choice(stream) != ColorChoice::Never,
        }
    }

    /// Whether this stream gets colour.
    pub fn enabled(&self) -> bool {
        self.colour
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
