//! API server warnings (`Warning: 299 - "..."` response headers), which carry admission webhooks'
//! warnings such as "instance is not highly available".
//!
//! kube's `Api` methods do not surface response headers, so a layer in the client's HTTP stack
//! collects them as responses pass by, and the plugin prints them on stderr as kubectl does.

use std::sync::{Arc, Mutex, PoisonError};

use http::Response;
use http::header::WARNING;
use kube::client::DynBody;
use tower::util::MapResponseLayer;

/// Warnings collected from every response of the clients that share it.
#[derive(Debug, Clone, Default)]
pub struct Warnings(Arc<Mutex<Vec<String>>>);

/// The response type of kube's default HTTP stack.
type KubeResponse = Response<Box<DynBody>>;

impl Warnings {
    /// A layer for kube's `ClientBuilder` that records the warnings of every response.
    pub fn layer(&self) -> MapResponseLayer<impl Fn(KubeResponse) -> KubeResponse + Clone + use<>> {
        let warnings = self.clone();
        MapResponseLayer::new(move |response: KubeResponse| {
            for value in response.headers().get_all(WARNING) {
                if let Some(text) = value.to_str().ok().and_then(parse_warning) {
                    warnings.push(text);
                }
            }
            response
        })
    }

    /// Records a warning unless the same one is already waiting to be shown.
    pub fn push(&self, warning: String) {
        let mut list = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !list.contains(&warning) {
            list.push(warning);
        }
    }

    /// The warnings not yet shown, in arrival order.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// The text of one `Warning` header value (`299 - "text"`, RFC 7234 §5.5), unescaped.
pub fn parse_warning(value: &str) -> Option<String> {
    let mut parts = value.trim().splitn(3, ' ');
    let code = parts.next()?;
    let _agent = parts.next()?;
    let rest = parts.next()?.trim_start();
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let quoted = rest.strip_prefix('"')?;
    let mut text = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => text.push(chars.next()?),
            '"' => return Some(text),
            c => text.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubernetes_warning_headers() {
        assert_eq!(
            parse_warning(r#"299 - "instance is not highly available (hostPath)""#).as_deref(),
            Some("instance is not highly available (hostPath)")
        );
        assert_eq!(
            parse_warning(r#"299 - "say \"hi\" \\ bye" "Wed, 21 Oct 2015 07:28:00 GMT""#)
                .as_deref(),
            Some(r#"say "hi" \ bye"#)
        );
    }

    #[test]
    fn ignores_malformed_warning_headers() {
        for bad in [
            "",
            "299",
            "299 -",
            "299 - unquoted",
            "abc - \"x\"",
            "299 - \"open",
        ] {
            assert_eq!(parse_warning(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn repeated_warnings_are_kept_once_until_taken() {
        let warnings = Warnings::default();
        warnings.push("a".into());
        warnings.push("a".into());
        warnings.push("b".into());
        assert_eq!(warnings.take(), ["a", "b"]);
        assert!(warnings.take().is_empty());
    }
}
