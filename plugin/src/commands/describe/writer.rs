//! The writer `describe` prints through, after kubectl's `PrefixWriter`
//! (`k8s.io/kubectl/pkg/describe`): every line at an indentation level, fields as `Key: value`
//! with their values aligned in one column.

use std::fmt::Write as _;

use crate::style::{Paint, Style};

/// How deep a line is: a level is two spaces.
#[derive(Debug, Clone, Copy)]
pub struct Level(usize);

/// Top level: the instance's own fields and the section headings.
pub const TOP: Level = Level(0);
/// Inside a section.
pub const IN_SECTION: Level = Level(1);

/// Where values start, counted from the start of the line: the longest key and its indent fit.
const VALUE_COLUMN: usize = 22;

/// Text written line by line at indentation levels.
pub struct PrefixWriter {
    out: String,
    style: Style,
}

impl PrefixWriter {
    /// An empty description, painted with `style`.
    pub fn new(style: Style) -> Self {
        Self {
            out: String::new(),
            style,
        }
    }

    /// The style lines are painted with.
    pub fn style(&self) -> Style {
        self.style
    }

    /// `key: value` at `level`, the value in the value column; an empty value reads `<none>`.
    pub fn field(&mut self, level: Level, key: &str, value: &str) {
        let key = format!("{}{key}:", indent(level));
        let value = if value.is_empty() { "<none>" } else { value };
        let _ = writeln!(self.out, "{key:<VALUE_COLUMN$}{value}");
    }

    /// A field with one value per line (labels, annotations): the first beside the key, the
    /// others below it in the value column.
    pub fn field_lines(&mut self, level: Level, key: &str, values: &[String]) {
        self.field(
            level,
            key,
            values.first().map(String::as_str).unwrap_or_default(),
        );
        for value in values.iter().skip(1) {
            let _ = writeln!(self.out, "{:<VALUE_COLUMN$}{value}", "");
        }
    }

    /// A section heading at the top level, in bold.
    pub fn heading(&mut self, title: &str) {
        let _ = writeln!(
            self.out,
            "{}",
            self.style.paint(Paint::Bold, &format!("{title}:"))
        );
    }

    /// One line of text at `level`.
    pub fn line(&mut self, level: Level, text: &str) {
        let _ = writeln!(self.out, "{}{text}", indent(level));
    }

    /// Every line of `text` (a rendered table) at `level`.
    pub fn block(&mut self, level: Level, text: &str) {
        for line in text.lines() {
            self.line(level, line);
        }
    }

    /// The description written.
    pub fn finish(self) -> String {
        self.out
    }
}

fn indent(level: Level) -> String {
    "  ".repeat(level.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_align_their_values_and_levels_indent() {
        let mut w = PrefixWriter::new(Style::plain());
        w.field(TOP, "Name", "demo");
        w.heading("Spec");
        w.field(IN_SECTION, "etcd", "");
        w.field_lines(TOP, "Labels", &["a=1".into(), "b=2".into()]);
        w.block(IN_SECTION, "x\ny\n");
        assert_eq!(
            w.finish(),
            "Name:                 demo\nSpec:\n  etcd:               <none>\n\
             Labels:               a=1\n                      b=2\n  x\n  y\n"
        );
    }
}
