//! A guard to run before parsing YAML that someone else wrote (manifests, clusters files,
//! kubeconfigs from Secrets).
//!
//! The YAML parser scans a flow collection (`[…]`, `{…}`) to its end before the deserializer's
//! recursion limit applies, and that scan takes time quadratic in the nesting depth: a 1 MiB
//! document of `[[[[…` holds a CPU for minutes. No Kubernetes object nests flow collections
//! more than a few levels deep, so text nested deeper than [`MAX_FLOW_DEPTH`] is refused
//! before it reaches the parser, in one linear pass.

/// Deepest flow nesting accepted: far beyond any real manifest (the deserializer gives up at
/// 128 levels anyway), and still cheap to parse.
pub const MAX_FLOW_DEPTH: usize = 1000;

/// Text nested too deeply to be parsed: where the limit was passed (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "flow collections nested more than {MAX_FLOW_DEPTH} levels deep at line {line} column {column}"
)]
pub struct TooDeep {
    /// Line where the nesting passed the limit.
    pub line: usize,
    /// Column (in characters) where the nesting passed the limit.
    pub column: usize,
}

/// Refuses `text` when its flow collections nest deeper than [`MAX_FLOW_DEPTH`].
///
/// Brackets inside quoted scalars and comments do not count. The count errs towards
/// accepting: brackets in odd places of plain scalars may be counted, which matters only
/// past a thousand of them, and what passes here still meets the parser's own limits.
pub fn check_depth(text: &str) -> Result<(), TooDeep> {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut comment = false;
    let mut escaped = false;
    let mut previous = '\n';
    let (mut line, mut column) = (1, 0);
    for c in text.chars() {
        if c == '\n' {
            (line, column) = (line + 1, 0);
            comment = false;
            previous = c;
            continue;
        }
        column += 1;
        match quote {
            _ if comment => {}
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '#' if previous.is_whitespace() => comment = true,
                // A quote opens a quoted scalar only where a token starts.
                '"' | '\'' if previous.is_whitespace() || "[{,:-".contains(previous) => {
                    quote = Some(c);
                }
                '[' | '{' => {
                    depth += 1;
                    if depth > MAX_FLOW_DEPTH {
                        return Err(TooDeep { line, column });
                    }
                }
                ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        previous = c;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn ordinary_manifests_pass() {
        let text = "apiVersion: v1\nkind: List\nitems: [{a: [1, 2]}, {b: {c: [3]}}]\n";
        assert_eq!(check_depth(text), Ok(()));
        assert_eq!(check_depth(&nested(MAX_FLOW_DEPTH)), Ok(()));
    }

    #[test]
    fn nesting_past_the_limit_is_refused_where_it_passes() {
        let text = format!("kind: X\n{}", nested(MAX_FLOW_DEPTH + 1));
        assert_eq!(
            check_depth(&text),
            Err(TooDeep {
                line: 2,
                column: 3 + MAX_FLOW_DEPTH + 1
            })
        );
    }

    #[test]
    fn brackets_in_quoted_scalars_and_comments_do_not_count() {
        let many = "[".repeat(MAX_FLOW_DEPTH + 1);
        for text in [
            format!("a: \"{many}\"\n"),
            format!("a: '{many}'\n"),
            format!("a: \"it \\\" is {many}\"\n"),
            format!("a: 1 # {many}\n"),
            format!("# {many}\nb: 2\n"),
        ] {
            assert_eq!(check_depth(&text), Ok(()), "{text}");
        }
    }

    #[test]
    fn an_apostrophe_inside_a_plain_scalar_hides_nothing_after_it() {
        let text = format!("a: it's\n{}", nested(MAX_FLOW_DEPTH + 1));
        assert_eq!(check_depth(&text).map_err(|e| e.line), Err(2));
    }

    #[test]
    fn json_is_checked_too() {
        let text = format!("{{\"a\": {}}}", "[".repeat(MAX_FLOW_DEPTH + 5));
        assert!(check_depth(&text).is_err());
    }
}
