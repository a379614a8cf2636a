//! YAML, read and written one way in every part: with serde-saphyr, the parser kube itself
//! reads kubeconfigs with, under its default limits.
//!
//! One parser matters for safety, not only for tidiness: the kubeconfig policy judges the
//! document kube will load, so a second parser that reads the same text differently (merge
//! keys, anchors, duplicate keys) would let a hostile file pass one and mean something else to
//! the other. serde-saphyr's [`serde_saphyr::Budget`] bounds what an input can cost: events,
//! aliases, anchors and flow nesting (255 levels), so text nested a million brackets deep is
//! refused in a linear scan rather than parsed.
//!
//! Errors never quote the lines around the fault (serde-saphyr would otherwise, and they may
//! hold a token): [`Error::message`] and [`Error::location`] are what callers show. A message
//! may still name a key, a field or a value of the input (an unknown field, a string of the
//! wrong type), so text that holds secrets (kubeconfigs) is reported by location only
//! ([`crate::kubeconfig`]).

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_saphyr::{MessageFormatter, Options, UserMessageFormatter};

/// A document that could not be read: what was wrong and where.
#[derive(Debug)]
pub struct Error(serde_saphyr::Error);

impl Error {
    /// What was wrong, in one line, without the location and without any of the input.
    pub fn message(&self) -> String {
        // Names in the message come from the input: control characters, line separators and
        // bidirectional overrides are escaped, so that a message is always one line that reads
        // as it is written.
        let message = UserMessageFormatter.format_message(&self.0);
        let mut line = String::with_capacity(message.len());
        for c in message.chars() {
            if disguising(c) {
                line.extend(c.escape_debug());
            } else {
                line.push(c);
            }
        }
        line
    }

    /// Line and column (1-based, in characters) of the fault within the text parsed, when the
    /// parser knows it.
    pub fn location(&self) -> Option<(usize, usize)> {
        let at = self.0.location()?;
        let (line, column) = (usize::try_from(at.line()).ok()?, at.column());
        (line > 0).then(|| (line, usize::try_from(column).unwrap_or(usize::MAX)))
    }
}

/// Whether `c` could break a message's line or change how it reads on a terminal.
fn disguising(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.location() {
            Some((line, column)) => write!(f, "{} at line {line} column {column}", self.message()),
            None => f.write_str(&self.message()),
        }
    }
}

impl std::error::Error for Error {}

/// A value that could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("failed to write YAML: {0}")]
pub struct WriteError(#[from] serde_saphyr::SerializeError);

/// The options every read uses: kube's defaults (so both read a kubeconfig alike), without
/// quoting the input in errors.
fn options() -> Options {
    serde_saphyr::options! { with_snippet: false }
}

/// Reads one YAML document as a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Error> {
    serde_saphyr::from_str_with_options(text, options()).map_err(Error)
}

/// Reads every document of a YAML stream (split by `---`) as a `T`; empty documents are
/// skipped.
pub fn documents<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, Error> {
    serde_saphyr::from_multiple_with_options(text, options()).map_err(Error)
}

/// Writes `value` as one YAML document, in the block style `kubectl get -o yaml` prints.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, WriteError> {
    Ok(serde_saphyr::to_string(value)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn errors_say_what_and_where_without_quoting_the_input() {
        let error = from_str::<Value>("token: s3cr3t\nclusters: [a, b\n").unwrap_err();
        assert_eq!(error.location(), Some((2, 11)));
        assert_eq!(error.message(), "unclosed bracket '['");
        assert_eq!(
            error.to_string(),
            "unclosed bracket '[' at line 2 column 11"
        );
        assert!(!format!("{error:?}").contains("s3cr3t"), "{error:?}");
    }

    #[test]
    fn control_characters_in_a_message_are_escaped() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Strict {
            a: u32,
        }
        let error = from_str::<Strict>("\"b\\e[31m\": 1\n").unwrap_err();
        assert!(!error.message().contains('\u{1b}'), "{}", error.message());
        assert!(
            error.message().contains("\\u{1b}[31m"),
            "{}",
            error.message()
        );
        let error = from_str::<Strict>("\"b\\u202Edlrow\\u2028x\": 1\n").unwrap_err();
        let message = error.message();
        assert!(!message.contains(['\u{202e}', '\u{2028}']), "{message}");
        assert!(message.contains("\\u{202e}dlrow\\u{2028}x"), "{message}");
    }

    #[test]
    fn duplicate_keys_are_refused_as_the_api_server_refuses_them() {
        let error = from_str::<Value>("a: 1\na: 2\n").unwrap_err();
        assert_eq!(error.location(), Some((2, 1)));
        assert!(error.message().contains("duplicate"), "{}", error.message());
    }

    #[test]
    fn merge_keys_apply_as_kube_applies_them() {
        let value: Value = from_str("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(value["item"], json!({"x": 1, "y": 2}));
    }

    #[test]
    fn deep_flow_nesting_is_refused() {
        let depth = 1_000_000;
        let text = format!("a: {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let error = from_str::<Value>(&text).unwrap_err();
        assert_eq!(error.location(), Some((1, 259)), "{error}");
        assert_eq!(error.message(), "recursion limit exceeded");
    }

    #[test]
    fn streams_skip_empty_documents() {
        let values: Vec<Value> = documents("---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(values, [json!({"a": 1}), json!({"b": 2})]);
    }

    #[test]
    fn written_yaml_reads_back_the_same() {
        let value = json!({"n": "123", "s": "yes", "list": [{"a": ""}], "text": "a\nb\n"});
        let text = to_string(&value).unwrap();
        assert_eq!(from_str::<Value>(&text).unwrap(), value, "{text}");
    }
}
