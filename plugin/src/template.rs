//! kubectl's `-o jsonpath=TEMPLATE` and `-o custom-columns=SPEC` for `list` and `get`.
//!
//! A template is text with `{expression}` parts, as kubectl writes them: `{.metadata.name}`,
//! `{.items[*].spec.managementCluster}`, `{"\n"}` for literal text, and
//! `{range .items[*]}...{end}` to repeat a part for each value. Expressions are JSONPath
//! (the `jsonpath-rust` crate kube itself uses), relative to the current value.

use jsonpath_rust::JsonPath;
use serde_json::Value;

use crate::error::CmdError;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    Query(String),
    Range(String, Vec<Piece>),
}

/// A parsed `jsonpath=` template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Parses `text`, or says where it is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut stack: Vec<(String, Vec<Piece>)> = vec![(String::new(), Vec::new())];
        let mut rest = text;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                push(&mut stack, Piece::Text(rest.to_owned()));
                break;
            };
            if open > 0 {
                push(&mut stack, Piece::Text(rest[..open].to_owned()));
            }
            let Some(close) = rest[open..].find('}') else {
                return Err(format!("unclosed `{{` in `{text}`"));
            };
            let inner = rest[open + 1..open + close].trim();
            rest = &rest[open + close + 1..];
            if let Some(query) = inner.strip_prefix("range ") {
                stack.push((query.trim().to_owned(), Vec::new()));
            } else if inner == "end" {
                if stack.len() < 2 {
                    return Err(format!("`{{end}}` without `{{range}}` in `{text}`"));
                }
                let (query, body) = stack.pop().unwrap_or_default();
                push(&mut stack, Piece::Range(query, body));
            } else if let Some(literal) = quoted(inner) {
                push(&mut stack, Piece::Text(literal));
            } else {
                push(&mut stack, Piece::Query(inner.to_owned()));
            }
        }
        if stack.len() != 1 {
            return Err(format!("`{{range}}` without `{{end}}` in `{text}`"));
        }
        let pieces = stack.pop().map(|(_, p)| p).unwrap_or_default();
        Ok(Self { pieces })
    }

    /// The template applied to `value`.
    pub fn render(&self, value: &Value) -> Result<String, CmdError> {
        let mut out = String::new();
        render_pieces(&self.pieces, value, &mut out)?;
        Ok(out)
    }
}

fn push(stack: &mut [(String, Vec<Piece>)], piece: Piece) {
    if let Some((_, pieces)) = stack.last_mut() {
        pieces.push(piece);
    }
}

/// A `"..."` literal with kubectl's escapes (`\n`, `\t`, `\\`, `\"`).
fn quoted(inner: &str) -> Option<String> {
    let body = inner.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    Some(out)
}

fn render_pieces(pieces: &[Piece], value: &Value, out: &mut String) -> Result<(), CmdError> {
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Query(query) => {
                let found = query_values(value, query)?;
                let texts: Vec<String> = found.iter().map(|v| scalar(v)).collect();
                out.push_str(&texts.join(" "));
            }
            Piece::Range(query, body) => {
                for item in query_values(value, query)? {
                    render_pieces(body, item, out)?;
                }
            }
        }
    }
    Ok(())
}

/// The values `expression` (kubectl's `.a.b[*]`, or JSONPath's `$.a`) selects in `value`.
pub fn query_values<'v>(value: &'v Value, expression: &str) -> Result<Vec<&'v Value>, CmdError> {
    let path = match expression {
        "" | "." | "@" | "$" => return Ok(vec![value]),
        e if e.starts_with('$') => e.to_owned(),
        e if e.starts_with('.') || e.starts_with('[') => format!("${e}"),
        e => format!("$.{e}"),
    };
    value
        .query(&path)
        .map_err(|e| CmdError::msg(format!("bad JSONPath expression `{expression}`: {e}")))
}

/// A value as kubectl prints it: strings bare, everything else as JSON.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `-o custom-columns=NAME:.path,...`: each column's header and expression.
pub fn parse_columns(spec: &str) -> Result<Vec<(String, String)>, String> {
    spec.split(',')
        .map(|column| match column.split_once(':') {
            Some((header, path)) if !header.is_empty() && !path.is_empty() => {
                Ok((header.to_owned(), path.to_owned()))
            }
            _ => Err(format!(
                "custom-columns expects HEADER:EXPRESSION pairs separated by commas, e.g. \
                 NAME:.metadata.name,CLUSTER:.spec.managementCluster; got `{column}`"
            )),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn list() -> Value {
        json!({"kind": "List", "items": [
            {"metadata": {"name": "a"}, "spec": {"managementCluster": "local", "etcd": {"replicas": 3}}},
            {"metadata": {"name": "b"}, "spec": {"managementCluster": "edge-1", "etcd": {"replicas": 1}}},
        ]})
    }

    fn render(template: &str, value: &Value) -> String {
        Template::parse(template)
            .expect("parses")
            .render(value)
            .expect("renders")
    }

    #[test]
    fn a_query_over_every_item_prints_values_space_separated() {
        assert_eq!(render("{.items[*].metadata.name}", &list()), "a b");
    }

    #[test]
    fn range_repeats_its_body_with_literal_newlines() {
        let text = render(
            r#"{range .items[*]}{.metadata.name}{"\t"}{.spec.etcd.replicas}{"\n"}{end}"#,
            &list(),
        );
        assert_eq!(text, "a\t3\nb\t1\n");
    }

    #[test]
    fn text_around_queries_is_kept() {
        assert_eq!(
            render("name={.metadata.name}", &json!({"metadata": {"name": "x"}})),
            "name=x"
        );
    }

    #[test]
    fn malformed_templates_are_refused_with_the_reason() {
        assert!(Template::parse("{.a").unwrap_err().contains("unclosed"));
        assert!(Template::parse("{end}").unwrap_err().contains("without"));
        assert!(
            Template::parse("{range .a}")
                .unwrap_err()
                .contains("without")
        );
    }

    #[test]
    fn custom_columns_need_header_and_expression() {
        assert_eq!(
            parse_columns("NAME:.metadata.name,CLUSTER:.spec.managementCluster").expect("parses"),
            [
                ("NAME".to_owned(), ".metadata.name".to_owned()),
                ("CLUSTER".to_owned(), ".spec.managementCluster".to_owned())
            ]
        );
        assert!(parse_columns("NAME").is_err());
    }
}
