//! The names the Karmada API server's serving certificate covers, as karmada-operator issues it
//! (`apiServerAltNamesMutator` and `appendSANsToAltNames` in `operator/pkg/certs/certs.go`,
//! v1.18.2): a client can only reach the API server at an address in this list.
//!
//! The operator issues the certificate once, when the instance is installed, and keeps it while
//! its Secret exists (`skipCerts` in `operator/pkg/tasks/init/cert.go`): names added later are
//! never covered, which is why `spec.karmada.certSANs` is fixed at creation.

use std::net::IpAddr;

use crate::http_url::is_dns_name;

/// Namespace karmada-operator always covers, wherever the instance runs.
const KARMADA_SYSTEM_NAMESPACE: &str = "karmada-system";

/// Every name (DNS names and wildcards first, then IP addresses) of the API server certificate
/// of an instance installed in `namespace` with `cert_sans`; `node_address` is the node address
/// the operator adds for a NodePort API server (the host of the admin kubeconfig it writes).
pub fn api_server_names(
    namespace: &str,
    cert_sans: &[String],
    node_address: Option<&str>,
) -> Vec<String> {
    let mut dns = vec![
        "localhost".to_owned(),
        "kubernetes".to_owned(),
        "kubernetes.default".to_owned(),
        "kubernetes.default.svc".to_owned(),
        format!("*.{KARMADA_SYSTEM_NAMESPACE}.svc.cluster.local"),
        format!("*.{KARMADA_SYSTEM_NAMESPACE}.svc"),
    ];
    let mut ips = vec![IpAddr::from([127, 0, 0, 1])];
    let extra = [
        format!("*.{namespace}.svc.cluster.local"),
        format!("*.{namespace}.svc"),
    ];
    let sans = extra
        .iter()
        .map(String::as_str)
        .chain(cert_sans.iter().map(String::as_str))
        .chain(node_address);
    for san in sans {
        match classify(san) {
            Some(San::Ip(ip)) => ips.push(ip),
            Some(San::Dns(name)) => dns.push(name),
            // The operator drops what is neither (admission denies such certSANs).
            None => {}
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    dns.into_iter()
        .chain(ips.iter().map(IpAddr::to_string))
        .filter(|name| seen.insert(name.clone()))
        .collect()
}

/// Whether a certificate with `names` is valid for a client connecting to `host`.
pub fn covers(names: &[String], host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        return names.iter().any(|n| n.parse::<IpAddr>() == Ok(ip));
    }
    let host = host.to_ascii_lowercase();
    names.iter().any(|name| match name.strip_prefix("*.") {
        // A wildcard stands for exactly one leftmost label (RFC 6125).
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => *name == host,
    })
}

enum San {
    Ip(IpAddr),
    Dns(String),
}

fn classify(san: &str) -> Option<San> {
    if let Ok(ip) = san.parse::<IpAddr>() {
        return Some(San::Ip(ip));
    }
    is_subject_alt_name(san).then(|| San::Dns(san.to_owned()))
}

/// Whether `san` is a name karmada-operator puts into the certificate: an IP address, a DNS-1123
/// subdomain, or a wildcard one (`*.example.com`).
pub fn is_subject_alt_name(san: &str) -> bool {
    san.parse::<IpAddr>().is_ok() || is_dns_name(san.strip_prefix("*.").unwrap_or(san))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        api_server_names(
            "k-demo",
            &["karmada.example.com".into(), "10.0.0.5".into()],
            Some("192.168.1.20"),
        )
    }

    #[test]
    fn lists_every_name_the_operator_puts_in_the_certificate() {
        assert_eq!(
            names(),
            [
                "localhost",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "*.karmada-system.svc.cluster.local",
                "*.karmada-system.svc",
                "*.k-demo.svc.cluster.local",
                "*.k-demo.svc",
                "karmada.example.com",
                "127.0.0.1",
                "10.0.0.5",
                "192.168.1.20",
            ]
        );
    }

    #[test]
    fn covers_exact_names_wildcards_of_one_label_and_ips() {
        let names = names();
        for host in [
            "localhost",
            "karmada.example.com",
            "KARMADA.example.com",
            "demo-karmada-apiserver.k-demo.svc.cluster.local",
            "demo-karmada-apiserver.k-demo.svc",
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.20",
        ] {
            assert!(covers(&names, host), "{host}");
        }
        for host in [
            "example.com",
            "a.b.k-demo.svc",
            "k-demo.svc",
            "other.k-other.svc",
            "10.0.0.6",
            "::1",
            "x.karmada.example.com",
        ] {
            assert!(!covers(&names, host), "{host}");
        }
    }

    #[test]
    fn names_that_are_neither_dns_nor_ip_are_dropped_as_the_operator_does() {
        let names = api_server_names("k-demo", &["Not_A_Name".into()], None);
        assert!(!names.iter().any(|n| n == "Not_A_Name"));
        assert!(is_subject_alt_name("*.example.com"));
        assert!(is_subject_alt_name("fd00::1"));
        assert!(!is_subject_alt_name("*.*.example.com"));
        assert!(!is_subject_alt_name("https://example.com"));
    }
}
