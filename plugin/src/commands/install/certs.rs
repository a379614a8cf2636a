//! The webhook's self-signed certificates: a CA made for the webhook alone and a serving
//! certificate it signs for the webhook Service's DNS names. The CA goes into the webhook
//! configurations' `caBundle`; both go into the Secret the webhook mounts.
//!
//! Renewing replaces the CA, but the webhook pods serve the old certificate until kubelet has
//! updated their mounted Secret and they have reloaded it (seconds to a minute). So a renewed
//! certificate keeps the CA it replaces as `previous-ca.crt` in the Secret, and the `caBundle`
//! trusts both: every pod is trusted whichever certificate it serves during the change. The old
//! CA stays trusted until the next renewal; its private key was never stored anywhere (each CA
//! key exists only while [`generate`] signs the serving certificate), so nobody can sign with it.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::jiff::civil::Date;
use k8s_openapi::jiff::tz::TimeZone;
use k8s_openapi::jiff::{Span, Timestamp};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

use crate::error::CmdError;

/// How many years the generated certificates are valid.
pub const VALIDITY_YEARS: i64 = 5;

/// A Secret whose certificate expires within this is replaced by `install`.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 3600);

/// Annotation on the TLS Secret recording when its certificate expires (RFC 3339), so `install`
/// knows whether to keep it without parsing X.509.
pub const NOT_AFTER_ANNOTATION: &str = "multicloud.dev/certificate-not-after";

/// PEM texts of a CA and the serving certificate it signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pki {
    /// The CA certificate (the `caBundle`).
    pub ca_pem: String,
    /// The serving certificate.
    pub cert_pem: String,
    /// The serving certificate's private key.
    pub key_pem: String,
    /// When both expire.
    pub not_after: Timestamp,
    /// The CA this one replaced, still trusted while the webhook pods change over.
    pub previous_ca_pem: Option<String>,
}

/// Key of the Secret holding the CA a renewal replaced.
pub const PREVIOUS_CA_KEY: &str = "previous-ca.crt";

impl Pki {
    /// What the webhook configurations trust: this CA, and the one it replaced.
    pub fn ca_bundle(&self) -> String {
        let mut bundle = self.ca_pem.clone();
        if let Some(previous) = &self.previous_ca_pem {
            if !bundle.ends_with('\n') {
                bundle.push('\n');
            }
            bundle.push_str(previous);
        }
        bundle
    }

    /// The same certificates, trusting also `previous`'s CA during the change-over (the CA of a
    /// Secret being renewed), unless it is this one.
    pub fn replacing(mut self, previous: Option<&Secret>) -> Self {
        self.previous_ca_pem = previous
            .and_then(|secret| secret_text(secret, "ca.crt"))
            .filter(|ca| *ca != self.ca_pem);
        self
    }
}

/// DNS names of the webhook Service `service` in `namespace`.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// A new CA and a serving certificate for `dns_names`, valid from now for [`VALIDITY`].
pub fn generate(dns_names: Vec<String>) -> Result<Pki, CmdError> {
    let error =
        |e: rcgen::Error| CmdError::with_source("failed to generate the webhook certificates", e);
    let (not_before, not_after) = validity(Timestamp::now())?;

    let ca_key = KeyPair::generate().map_err(error)?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name("multicloud-webhook-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ((y0, m0, d0), (y1, m1, d1)) = (ymd(not_before), ymd(not_after));
    ca_params.not_before = rcgen::date_time_ymd(y0, m0, d0);
    ca_params.not_after = rcgen::date_time_ymd(y1, m1, d1);
    let ca = ca_params.self_signed(&ca_key).map_err(error)?;
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().map_err(error)?;
    let common_name = dns_names.first().cloned().unwrap_or_default();
    let mut params = CertificateParams::new(dns_names).map_err(error)?;
    params.distinguished_name = name(&common_name);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.not_before = rcgen::date_time_ymd(y0, m0, d0);
    params.not_after = rcgen::date_time_ymd(y1, m1, d1);
    let cert = params.signed_by(&key, &issuer).map_err(error)?;

    let not_after = not_after
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .map_err(|e| CmdError::with_source("failed to compute the certificate expiry", e))?;
    Ok(Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        not_after,
        previous_ca_pem: None,
    })
}

/// First and last day of validity: from yesterday, so a cluster whose clock is a little behind
/// accepts the certificate, for [`VALIDITY_YEARS`].
fn validity(now: Timestamp) -> Result<(Date, Date), CmdError> {
    let today = now.to_zoned(TimeZone::UTC).date();
    let error = |e| CmdError::with_source("failed to compute the certificate validity", e);
    let start = today.yesterday().map_err(error)?;
    let end = today
        .checked_add(Span::new().years(VALIDITY_YEARS))
        .map_err(error)?;
    Ok((start, end))
}

/// `date` as rcgen's `date_time_ymd` takes it (jiff dates are always valid calendar dates).
fn ymd(date: Date) -> (i32, u8, u8) {
    (
        i32::from(date.year()),
        date.month().unsigned_abs(),
        date.day().unsigned_abs(),
    )
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name.push(DnType::OrganizationName, "multicloud");
    name
}

/// The TLS Secret holding `pki` (`kubernetes.io/tls`, plus `ca.crt`, and `previous-ca.crt`
/// after a renewal).
pub fn secret(name: &str, namespace: &str, pki: &Pki) -> Secret {
    let mut data = BTreeMap::from([
        (
            "ca.crt".to_owned(),
            ByteString(pki.ca_pem.clone().into_bytes()),
        ),
        (
            "tls.crt".to_owned(),
            ByteString(pki.cert_pem.clone().into_bytes()),
        ),
        (
            "tls.key".to_owned(),
            ByteString(pki.key_pem.clone().into_bytes()),
        ),
    ]);
    if let Some(previous) = &pki.previous_ca_pem {
        data.insert(
            PREVIOUS_CA_KEY.to_owned(),
            ByteString(previous.clone().into_bytes()),
        );
    }
    let mut secret = Secret {
        type_: Some("kubernetes.io/tls".to_owned()),
        data: Some(data),
        ..Secret::default()
    };
    secret.metadata.name = Some(name.to_owned());
    secret.metadata.namespace = Some(namespace.to_owned());
    secret.metadata.annotations = Some(BTreeMap::from([(
        NOT_AFTER_ANNOTATION.to_owned(),
        pki.not_after.to_string(),
    )]));
    secret
}

/// The certificates of an existing TLS Secret when they can be kept: complete, and not expiring
/// within [`RENEW_BEFORE`] of `now`.
pub fn reusable(secret: &Secret, now: Timestamp) -> Option<Pki> {
    let text = |key: &str| secret_text(secret, key);
    let not_after: Timestamp = secret
        .metadata
        .annotations
        .as_ref()?
        .get(NOT_AFTER_ANNOTATION)?
        .parse()
        .ok()?;
    let left = std::time::Duration::try_from(not_after.duration_since(now)).ok()?;
    (left > RENEW_BEFORE).then_some(())?;
    Some(Pki {
        ca_pem: text("ca.crt")?,
        cert_pem: text("tls.crt")?,
        key_pem: text("tls.key")?,
        not_after,
        previous_ca_pem: text(PREVIOUS_CA_KEY),
    })
}

/// The non-empty UTF-8 text under `key` of `secret`.
fn secret_text(secret: &Secret, key: &str) -> Option<String> {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .and_then(|b| String::from_utf8(b.0.clone()).ok())
        .filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_are_pem_and_kept_until_near_expiry() {
        let pki =
            generate(service_names("multicloud-webhook", "multicloud-system")).expect("generates");
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.cert_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.key_pem.contains("PRIVATE KEY"));
        assert_ne!(pki.ca_pem, pki.cert_pem);
        let secret = secret("multicloud-webhook-tls", "multicloud-system", &pki);
        assert_eq!(reusable(&secret, Timestamp::now()), Some(pki.clone()));
        let late = Timestamp::from_second(pki.not_after.as_second() - 3600).expect("in range");
        assert_eq!(
            reusable(&secret, late),
            None,
            "renewed within 30 days of expiry"
        );
    }

    #[test]
    fn a_renewal_trusts_the_replaced_ca_until_the_next_one() {
        let names = || service_names("multicloud-webhook", "multicloud-system");
        let first = generate(names()).expect("generates");
        let installed = secret("s", "n", &first);
        let second = generate(names())
            .expect("generates")
            .replacing(Some(&installed));
        assert_eq!(
            second.previous_ca_pem.as_deref(),
            Some(first.ca_pem.as_str())
        );
        let bundle = second.ca_bundle();
        assert!(bundle.starts_with(&second.ca_pem) && bundle.contains(&first.ca_pem));
        assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2);
        // Kept as it is by the next install, and replaced by the next renewal.
        let renewed = secret("s", "n", &second);
        assert_eq!(reusable(&renewed, Timestamp::now()), Some(second.clone()));
        let third = generate(names())
            .expect("generates")
            .replacing(Some(&renewed));
        assert_eq!(
            third.previous_ca_pem.as_deref(),
            Some(second.ca_pem.as_str())
        );
        assert_eq!(third.ca_bundle().matches("BEGIN CERTIFICATE").count(), 2);
        // A first install trusts its own CA only.
        assert_eq!(first.ca_bundle(), first.ca_pem);
        assert_eq!(first.clone().replacing(None).previous_ca_pem, None);
    }

    #[test]
    fn secrets_without_the_annotation_or_keys_are_replaced() {
        let pki = generate(vec!["a.b.svc".into()]).expect("generates");
        let mut secret = secret("s", "n", &pki);
        if let Some(data) = secret.data.as_mut() {
            data.remove("ca.crt");
        }
        assert_eq!(reusable(&secret, Timestamp::now()), None);
        let mut bare = super::secret("s", "n", &pki);
        bare.metadata.annotations = None;
        assert_eq!(reusable(&bare, Timestamp::now()), None);
    }
}
