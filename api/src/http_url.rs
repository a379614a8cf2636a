//! The parts of an `http://` or `https://` URL the rules and the plugin need: scheme, host and
//! port. Deliberately strict: no user information, no spaces, an explicit scheme.

use std::net::IpAddr;

/// An absolute HTTP(S) URL, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    /// `http` or `https`.
    pub scheme: String,
    /// Host: a DNS name (lower-cased) or an IP address (without IPv6 brackets).
    pub host: String,
    /// Port, when written.
    pub port: Option<u16>,
}

/// Why a text is not an HTTP(S) URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// The scheme is missing or not http/https.
    #[error("must start with http:// or https://")]
    Scheme,
    /// `user:password@` in the authority.
    #[error("must not carry user information (`user@`); credentials do not belong in a URL")]
    UserInfo,
    /// No host, or a host that is neither a DNS name nor an IP address.
    #[error("has no valid host")]
    Host,
    /// A port that is not a number from 1 to 65535.
    #[error("has an invalid port")]
    Port,
    /// Spaces or control characters.
    #[error("must not contain spaces or control characters")]
    Characters,
}

impl HttpUrl {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(UrlError::Characters);
        }
        let (scheme, rest) = text.split_once("://").ok_or(UrlError::Scheme)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(UrlError::Scheme);
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host, port) = split_host_port(authority)?;
        Ok(Self { scheme, host, port })
    }
}

fn split_host_port(authority: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let (ip, after) = bracketed.split_once(']').ok_or(UrlError::Host)?;
        if ip.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::Host);
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlError::Port)?),
        };
        (ip.to_owned(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_ascii_lowercase(), Some(port)),
            None => (authority.to_ascii_lowercase(), None),
        }
    };
    let port = port
        .map(|p| match p.parse::<u16>() {
            Ok(n) if n > 0 && p.bytes().all(|b| b.is_ascii_digit()) => Ok(n),
            _ => Err(UrlError::Port),
        })
        .transpose()?;
    if host.parse::<IpAddr>().is_err() && !is_dns_name(&host) {
        return Err(UrlError::Host);
    }
    Ok((host, port))
}

/// Whether `name` is a DNS-1123 subdomain (lower-case labels separated by dots).
pub fn is_dns_name(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(crate::names::is_dns1123_label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_host_and_port() {
        let url = HttpUrl::parse("https://Karmada.Example.com:30443/path?q=1").expect("parses");
        assert_eq!(url.scheme, "https");
        assert_eq!(url.host, "karmada.example.com");
        assert_eq!(url.port, Some(30443));
        let ip = HttpUrl::parse("http://10.0.0.5").expect("parses");
        assert_eq!((ip.host.as_str(), ip.port), ("10.0.0.5", None));
        let v6 = HttpUrl::parse("https://[::1]:5443").expect("parses");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", Some(5443)));
    }

    #[test]
    fn refuses_what_is_not_a_plain_http_url() {
        let cases = [
            ("file:///etc/passwd", UrlError::Scheme),
            ("ftp://mirror/crds.tar.gz", UrlError::Scheme),
            ("mirror.example/crds.tar.gz", UrlError::Scheme),
            ("https://user:pw@mirror.example/", UrlError::UserInfo),
            ("https:///crds.tar.gz", UrlError::Host),
            ("https://mirror_example/", UrlError::Host),
            ("https://mirror.example:0/", UrlError::Port),
            ("https://mirror.example:99999/", UrlError::Port),
            ("https://mirror.example:/", UrlError::Port),
            ("https://[::1/", UrlError::Host),
            ("https://mirror.example/a b", UrlError::Characters),
        ];
        for (text, error) in cases {
            assert_eq!(HttpUrl::parse(text), Err(error), "{text}");
        }
    }
}
