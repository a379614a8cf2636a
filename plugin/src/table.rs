//! kubectl-style aligned tables: upper-case headers, columns separated by three spaces, the last
//! column unpadded, `<none>` for empty cells.

use crate::style::{Paint, Style};

/// One cell: its text and, optionally, what it means (its colour on a terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    text: String,
    paint: Option<Paint>,
}

impl Cell {
    /// A painted cell.
    pub fn painted(text: impl Into<String>, paint: Option<Paint>) -> Self {
        Self {
            text: text.into(),
            paint,
        }
    }
}

impl<T: Into<String>> From<T> for Cell {
    fn from(text: T) -> Self {
        Self::painted(text, None)
    }
}

/// A table being built.
#[derive(Debug, Clone, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
}

/// Gap between columns, as kubectl's tabwriter.
const GAP: usize = 3;

impl Table {
    /// A table with these column headers.
    pub fn new<I, S>(headers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are empty, extra cells are dropped.
    pub fn row<I, C>(&mut self, cells: I)
    where
        I: IntoIterator<Item = C>,
        C: Into<Cell>,
    {
        let mut row: Vec<Cell> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), Cell::from(""));
        self.rows.push(row);
    }

    /// The table as text; the header line is left out with `headers == false`.
    pub fn render(&self, style: Style, headers: bool) -> String {
        self.render_aligned(style, headers, &mut Vec::new())
    }

    /// The table as text, each column at least as wide as `widths` says, which it then widens
    /// to this table's: tables printed one after another (`--watch`) stay aligned.
    pub fn render_aligned(&self, style: Style, headers: bool, widths: &mut Vec<usize>) -> String {
        let shown = |cell: &Cell| -> String {
            if cell.text.is_empty() {
                "<none>".to_owned()
            } else {
                cell.text.clone()
            }
        };
        widths.resize(self.headers.len(), 0);
        for (i, header) in self.headers.iter().enumerate() {
            if headers {
                widths[i] = widths[i].max(width(header));
            }
        }
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(width(&shown(cell)));
            }
        }
        let mut out = String::new();
        let last = self.headers.len().saturating_sub(1);
        let mut line = |cells: Vec<(String, Option<Paint>)>| {
            let mut text = String::new();
            for (i, (cell, paint)) in cells.iter().enumerate() {
                let painted = match paint {
                    Some(paint) => style.paint(*paint, cell),
                    None => cell.clone(),
                };
                text.push_str(&painted);
                if i < last {
                    let pad = widths[i] - width(cell) + GAP;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        };
        if headers {
            line(
                self.headers
                    .iter()
                    .map(|h| (h.to_uppercase(), None))
                    .collect(),
            );
        }
        for row in &self.rows {
            line(row.iter().map(|c| (shown(c), c.paint)).collect());
        }
        out
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_with_three_spaces_and_uppercase_headers() {
        let mut table = Table::new(["name", "phase", "age"]);
        table.row(["demo", "Running", "5m"]);
        table.row(["a-much-longer-name", "Pending", "12s"]);
        assert_eq!(
            table.render(Style::plain(), true),
            "NAME                 PHASE     AGE\n\
             demo                 Running   5m\n\
             a-much-longer-name   Pending   12s\n"
        );
    }

    #[test]
    fn empty_cells_read_none_and_headers_can_be_left_out() {
        let mut table = Table::new(["name", "members"]);
        table.row(["demo"]);
        assert_eq!(table.render(Style::plain(), false), "demo   <none>\n");
    }

    #[test]
    fn tables_printed_one_after_another_stay_aligned() {
        let mut first = Table::new(["name", "team"]);
        first.row(["a-long-name", "x"]);
        let mut widths = Vec::new();
        assert_eq!(
            first.render_aligned(Style::plain(), true, &mut widths),
            "NAME          TEAM\na-long-name   x\n"
        );
        let mut next = Table::new(["name", "team"]);
        next.row(["b", "y"]);
        assert_eq!(
            next.render_aligned(Style::plain(), false, &mut widths),
            "b             y\n"
        );
    }

    #[test]
    fn colour_does_not_disturb_alignment() {
        let mut table = Table::new(["name", "phase", "age"]);
        table.row([
            Cell::from("demo"),
            Cell::painted("Failed", Some(Paint::Bad)),
            Cell::from("1m"),
        ]);
        let text = table.render(Style::coloured(), true);
        assert_eq!(
            text,
            "NAME   PHASE    AGE\ndemo   \x1b[31mFailed\x1b[0m   1m\n"
        );
    }
}
