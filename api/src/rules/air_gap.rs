//! Sources for clusters that cannot reach the internet: the image registry and the CRD tarball.
//!
//! karmada-operator downloads `crds.tar.gz` with a plain HTTP GET (`DownloadFile` in
//! `operator/pkg/util/util.go`, after `url.ParseRequestURI` in
//! `operator/pkg/controller/karmada/validating.go`); we accept only http and https URLs without
//! credentials, so an instance cannot point the operator at a file or carry a password in a CR.

use super::Violation;
use crate::http_url::{HttpUrl, is_dns_name};
use crate::instance::KarmadaSpec;

/// Violations of the registry and CRD tarball rules.
pub(super) fn check(karmada: &KarmadaSpec) -> Vec<Violation> {
    let mut violations = Vec::new();
    if let Some(registry) = karmada.image_registry()
        && !is_registry(registry)
    {
        violations.push(Violation::new(
            "spec.karmada.imageRegistry",
            format!(
                "\"{registry}\" is not an image registry; use a host with an optional port and \
                 path and no scheme, e.g. registry.example.com:5000/karmada"
            ),
        ));
    }
    if let Some(tarball) = &karmada.crd_tarball
        && let Err(error) = HttpUrl::parse(&tarball.url)
    {
        violations.push(Violation::new(
            "spec.karmada.crdTarball.url",
            format!(
                "\"{}\" {error}; give the http:// or https:// URL of a karmada release's \
                 crds.tar.gz, e.g. https://mirror.example.com/karmada/v1.18.2/crds.tar.gz",
                tarball.url
            ),
        ));
    }
    violations
}

/// Whether `text` is `host[:port][/path]` as an image reference starts: a DNS name or IPv4
/// address, then lower-case path components of `[a-z0-9._-]`.
fn is_registry(text: &str) -> bool {
    let (authority, path) = match text.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (text, None),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = is_dns_name(host) || host.parse::<std::net::Ipv4Addr>().is_ok();
    let port_ok = port.is_none_or(|p| p.parse::<u16>().is_ok_and(|n| n > 0));
    let path_ok = path.is_none_or(|path| {
        path.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        })
    });
    text.len() <= 255 && host_ok && port_ok && path_ok
}

#[cfg(test)]
mod tests {
    use super::{check, is_registry};
    use crate::instance::{CrdTarball, KarmadaSpec};

    fn tarball(url: &str) -> KarmadaSpec {
        KarmadaSpec {
            crd_tarball: Some(CrdTarball { url: url.into() }),
            ..KarmadaSpec::default()
        }
    }

    #[test]
    fn crd_tarball_must_be_an_http_or_https_url() {
        assert!(check(&tarball("https://mirror.example.com/v1.18.2/crds.tar.gz")).is_empty());
        assert!(check(&tarball("http://10.0.0.5:8080/crds.tar.gz")).is_empty());
        for bad in [
            "file:///var/lib/crds.tar.gz",
            "s3://bucket/crds.tar.gz",
            "https://user:secret@mirror.example.com/crds.tar.gz",
            "",
        ] {
            let violations = check(&tarball(bad));
            assert_eq!(violations.len(), 1, "{bad}");
            assert_eq!(violations[0].field, "spec.karmada.crdTarball.url");
            assert!(
                violations[0].message.contains("crds.tar.gz"),
                "{}",
                violations[0].message
            );
        }
    }

    #[test]
    fn a_bad_registry_is_denied_with_an_example() {
        let spec = KarmadaSpec {
            image_registry: Some("https://registry.example.com".into()),
            ..KarmadaSpec::default()
        };
        let violations = check(&spec);
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0]
                .message
                .contains("registry.example.com:5000/karmada")
        );
    }

    #[test]
    fn registries_are_hosts_with_optional_port_and_path() {
        for ok in [
            "registry.example.com",
            "registry.example.com:5000",
            "10.0.0.5:5000/mirror/karmada",
            "localhost/a_b.c-d",
        ] {
            assert!(is_registry(ok), "{ok}");
        }
        for bad in [
            "",
            "https://registry.example.com",
            "registry.example.com/",
            "registry.example.com//x",
            "Registry.example.com",
            "registry.example.com:port",
            "registry.example.com/Mirror",
            "registry.example.com/karmada:v1",
            "registry.example.com/a@sha256",
        ] {
            assert!(!is_registry(bad), "{bad}");
        }
    }
}
