//! A line diff, to show what the mutating webhook changes in an
//! object: the object is printed whole, with added lines marked `+` and removed ones `-`.

use similar::{Algorithm, ChangeTag, capture_diff_slices};

/// One line of the diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line<'a> {
    /// In both.
    Same(&'a str),
    /// Only in the new text.
    Added(&'a str),
    /// Only in the old text.
    Removed(&'a str),
}

/// The lines of `new`, with those of `old` it lacks, in order.
///
/// Myers' algorithm (through `similar`) takes time and memory in proportion to the texts and
/// their differences, not to the product of their lengths: `check` of a large object stays
/// cheap, and the webhook's changes are always a few lines.
pub fn diff<'a>(old: &'a str, new: &'a str) -> Vec<Line<'a>> {
    let old: Vec<&'a str> = old.lines().collect();
    let new: Vec<&'a str> = new.lines().collect();
    capture_diff_slices(Algorithm::Myers, &old, &new)
        .iter()
        .flat_map(|op| op.iter_changes(&old, &new))
        .map(|change| match change.tag() {
            ChangeTag::Equal => Line::Same(change.value()),
            ChangeTag::Insert => Line::Added(change.value()),
            ChangeTag::Delete => Line::Removed(change.value()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_added_and_removed_lines_in_place() {
        let old = "metadata:\n  name: demo\nspec:\n  replicas: 1\n";
        let new = "metadata:\n  labels: {}\n  name: demo\nspec:\n  replicas: 3\n";
        assert_eq!(
            diff(old, new),
            [
                Line::Same("metadata:"),
                Line::Added("  labels: {}"),
                Line::Same("  name: demo"),
                Line::Same("spec:"),
                Line::Removed("  replicas: 1"),
                Line::Added("  replicas: 3"),
            ]
        );
    }

    #[test]
    fn a_large_object_diffs_in_linear_space() {
        // 20,000 lines against 20,001: a table of their product would take gigabytes.
        let old: String = (0..20_000)
            .map(|i| format!("  key{i}: value{i}\n"))
            .collect();
        let new = format!("metadata:\n{old}");
        let lines = diff(&old, &new);
        assert_eq!(lines.len(), 20_001);
        assert_eq!(lines[0], Line::Added("metadata:"));
        assert!(lines[1..].iter().all(|l| matches!(l, Line::Same(_))));
    }

    #[test]
    fn identical_texts_have_no_changes() {
        let text = "a\nb\n";
        assert!(diff(text, text).iter().all(|l| matches!(l, Line::Same(_))));
    }
}
