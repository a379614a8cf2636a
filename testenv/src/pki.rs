//! A certificate authority and a serving certificate it signed, made at test time for a TLS
//! server a test runs on loopback (nothing is committed). The one way the tests make them; the
//! control plane's own certificates, with their key usages and client identity, are in `certs`.

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// Names the serving certificate is valid for: where tests dial a server on this machine.
const SERVING_NAMES: [&str; 2] = ["127.0.0.1", "localhost"];

/// A CA and a serving certificate it signed for 127.0.0.1 and localhost.
pub struct Pki {
    /// The CA certificate, for a client's root store.
    pub ca: CertificateDer<'static>,
    /// The CA certificate, PEM (`ca.crt`, `certificate-authority-data`).
    pub ca_pem: String,
    /// The serving certificate, PEM (`tls.crt`).
    pub cert_pem: String,
    /// The serving key, PEM (`tls.key`).
    pub key_pem: String,
    /// The serving certificate, for a rustls server.
    pub cert: CertificateDer<'static>,
    /// The CA, to sign more certificates (a client's, a rotated one).
    pub issuer: Issuer<'static, KeyPair>,
    key_der: Vec<u8>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Pki")
            .field("ca_pem", &self.ca_pem)
            .finish_non_exhaustive()
    }
}

impl Pki {
    /// A fresh CA with common name `ca_name`, and a serving certificate it signed.
    pub fn generate(ca_name: &str) -> Result<Self, rcgen::Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key)?;
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate()?;
        let names = SERVING_NAMES.map(str::to_owned).to_vec();
        let cert = CertificateParams::new(names)?.signed_by(&key, &issuer)?;
        Ok(Self {
            ca: ca.der().clone(),
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert: cert.der().clone(),
            issuer,
            key_der: key.serialize_der(),
        })
    }

    /// The serving key, for a rustls server.
    pub fn key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()))
    }

    /// A new serving key and certificate from the same CA, as a renewal (cert-manager's, say)
    /// makes them.
    pub fn renewed(&self) -> Result<Serving, rcgen::Error> {
        let key = KeyPair::generate()?;
        let names = SERVING_NAMES.map(str::to_owned).to_vec();
        let cert = CertificateParams::new(names)?.signed_by(&key, &self.issuer)?;
        Ok(Serving {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert: cert.der().clone(),
        })
    }
}

/// A serving certificate and its key, as files hold them.
pub struct Serving {
    /// The certificate, PEM (`tls.crt`).
    pub cert_pem: String,
    /// The key, PEM (`tls.key`).
    pub key_pem: String,
    /// The certificate as the server presents it.
    pub cert: CertificateDer<'static>,
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("Serving")
            .field("cert_pem", &self.cert_pem)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use rustls::client::danger::ServerCertVerifier as _;

    use super::*;

    #[test]
    fn the_serving_certificate_is_signed_by_the_ca_and_the_key_is_never_printed() {
        let pki = Pki::generate("test CA").expect("certificates");
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.key_pem.contains("PRIVATE KEY"));
        assert_ne!(pki.ca, pki.cert);
        assert!(!format!("{pki:?}").contains("PRIVATE KEY"));
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).expect("a CA certificate");
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            rustls::client::WebPkiServerVerifier::builder_with_provider(roots.into(), provider)
                .build()
                .expect("verifier");
        let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
        let now = rustls::pki_types::UnixTime::now();
        let verified = verifier.verify_server_cert(&pki.cert, &[], &name, &[], now);
        assert!(verified.is_ok(), "{verified:?}");
        let renewed = pki.renewed().expect("a renewal");
        assert_ne!(renewed.cert, pki.cert);
        let verified = verifier.verify_server_cert(&renewed.cert, &[], &name, &[], now);
        assert!(
            verified.is_ok(),
            "the renewal is signed by the same CA: {verified:?}"
        );
    }
}
