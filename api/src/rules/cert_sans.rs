//! Extra names of the Karmada API server certificate: valid names, fixed at creation.
//!
//! karmada-operator silently drops a SAN that is neither an IP address nor a (wildcard) DNS-1123
//! subdomain (`appendSANsToAltNames` in `operator/pkg/certs/certs.go`), and issues the
//! certificate once, skipping the step while its Secret exists (`operator/pkg/tasks/init/cert.go`):
//! a changed list would be admitted and never take effect.

use super::Violation;
use crate::certificate::is_subject_alt_name;
use crate::instance::MulticloudInstanceSpec;

const FIELD: &str = "spec.karmada.certSANs";

/// Most extra names accepted.
pub const MAX_CERT_SANS: usize = 64;

/// Violations of the certSANs rules; `old` is the stored spec on an update.
pub(super) fn check(
    spec: &MulticloudInstanceSpec,
    old: Option<&MulticloudInstanceSpec>,
) -> Vec<Violation> {
    let sans = &spec.karmada.cert_sans;
    let mut violations = Vec::new();
    if let Some(old) = old
        && old.karmada.cert_sans != *sans
    {
        violations.push(Violation::new(
            FIELD,
            format!(
                "is immutable (was [{}], now [{}]): karmada-operator issues the API server \
                 certificate once, at creation, and never reissues it; create a new instance \
                 with the names it needs",
                old.karmada.cert_sans.join(", "),
                sans.join(", ")
            ),
        ));
    }
    if sans.len() > MAX_CERT_SANS {
        violations.push(Violation::new(
            FIELD,
            format!(
                "has {} names; at most {MAX_CERT_SANS} are accepted",
                sans.len()
            ),
        ));
    }
    for san in sans.iter().filter(|san| !is_subject_alt_name(san)) {
        violations.push(Violation::new(
            FIELD,
            format!(
                "\"{san}\" is neither a DNS name (wildcards as *.example.com) nor an IP address; \
                 karmada-operator would leave it out of the certificate"
            ),
        ));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::instance::MulticloudInstanceSpec;

    fn spec(sans: &[&str]) -> MulticloudInstanceSpec {
        let mut spec = MulticloudInstanceSpec::default();
        spec.karmada.cert_sans = sans.iter().map(|s| (*s).to_owned()).collect();
        spec
    }

    #[test]
    fn admits_dns_names_wildcards_and_ips() {
        let sans = spec(&[
            "karmada.example.com",
            "*.example.com",
            "10.0.0.5",
            "fd00::1",
        ]);
        assert!(check(&sans, None).is_empty());
        assert!(check(&sans, Some(&sans)).is_empty());
    }

    #[test]
    fn denies_names_the_operator_would_drop() {
        let violations = check(&spec(&["https://karmada.example.com", "Karmada_1"]), None);
        assert_eq!(violations.len(), 2);
        assert!(
            violations[0]
                .message
                .contains("would leave it out of the certificate")
        );
    }

    #[test]
    fn denies_any_change_after_creation_and_says_why() {
        let violations = check(&spec(&["a.example.com"]), Some(&spec(&[])));
        assert_eq!(violations.len(), 1);
        assert!(
            violations[0]
                .message
                .contains("issues the API server certificate once, at creation"),
            "{}",
            violations[0].message
        );
    }

    #[test]
    fn denies_too_many_names() {
        let many: Vec<String> = (0..=super::MAX_CERT_SANS)
            .map(|i| format!("n{i}.example.com"))
            .collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(check(&spec(&refs), None).len(), 1);
    }
}
