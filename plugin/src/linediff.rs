//! A line diff (longest common subsequence), to show what the mutating webhook changes in an
//! object: the object is printed whole, with added lines marked `+` and removed ones `-`.

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
pub fn diff<'a>(old: &'a str, new: &'a str) -> Vec<Line<'a>> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    while i < a.len() && j < b.len() {
        if a[i] == b[j] {
            out.push(Line::Same(b[j]));
            i += 1;
            j += 1;
        } else if lcs[i + 1][j] >= lcs[i][j + 1] {
            out.push(Line::Removed(a[i]));
            i += 1;
        } else {
            out.push(Line::Added(b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| Line::Removed(l)));
    out.extend(b[j..].iter().map(|l| Line::Added(l)));
    out
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
    fn identical_texts_have_no_changes() {
        let text = "a\nb\n";
        assert!(diff(text, text).iter().all(|l| matches!(l, Line::Same(_))));
    }
}
