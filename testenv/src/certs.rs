//! The certificates and keys a control plane needs, made fresh at every start (nothing is
//! committed). ECDSA P-256 throughout: rcgen makes RSA keys only with aws-lc-rs, and
//! kube-apiserver accepts ECDSA for serving, client and service-account keys.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};

use crate::Error;

/// Names and addresses the serving certificate is valid for: the loopback address tests dial,
/// and the in-cluster names and service IP pods would use.
const SERVING_NAMES: &[&str] = &[
    "127.0.0.1",
    "localhost",
    "10.0.0.1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];

/// Files written into the control plane's directory, plus the PEM the kubeconfig embeds.
#[derive(Debug)]
pub(crate) struct Certs {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub serving_cert: PathBuf,
    pub serving_key: PathBuf,
    /// Service-account signing key.
    pub service_account_key: PathBuf,
    /// Its public half, which the apiserver verifies tokens with.
    pub service_account_public_key: PathBuf,
    pub ca_pem: String,
    pub admin_cert_pem: String,
    pub admin_key_pem: String,
}

impl Certs {
    /// Generates a CA, a serving certificate, a service-account key and an admin client
    /// certificate (group `system:masters`), and writes them into `dir`.
    pub(crate) fn generate(dir: &Path) -> Result<Self, Error> {
        let ca_key = new_key("CA key")?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = name("multicloud-testenv-ca", None);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(|source| cert_error("CA certificate", source))?;
        let ca_pem = ca_cert.pem();
        let ca_key_pem = ca_key.serialize_pem();
        let issuer = Issuer::new(ca_params, ca_key);

        let serving_key = new_key("serving key")?;
        let names: Vec<String> = SERVING_NAMES.iter().map(|name| name.to_string()).collect();
        let mut serving = CertificateParams::new(names)
            .map_err(|source| cert_error("serving certificate", source))?;
        serving.distinguished_name = name("kube-apiserver", None);
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        serving.key_usages = leaf_key_usages();
        let serving_cert = serving
            .signed_by(&serving_key, &issuer)
            .map_err(|source| cert_error("serving certificate", source))?;

        let admin_key = new_key("admin key")?;
        let mut admin = CertificateParams::default();
        admin.distinguished_name = name("multicloud-testenv-admin", Some("system:masters"));
        admin.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        admin.key_usages = leaf_key_usages();
        let admin_cert = admin
            .signed_by(&admin_key, &issuer)
            .map_err(|source| cert_error("admin client certificate", source))?;

        let service_account_key = new_key("service-account key")?;

        let certs = Self {
            ca_cert: write(dir, "ca.crt", &ca_pem)?,
            ca_key: write(dir, "ca.key", &ca_key_pem)?,
            serving_cert: write(dir, "apiserver.crt", &serving_cert.pem())?,
            serving_key: write(dir, "apiserver.key", &serving_key.serialize_pem())?,
            service_account_key: write(dir, "sa.key", &service_account_key.serialize_pem())?,
            service_account_public_key: write(
                dir,
                "sa.pub",
                &service_account_key.public_key_pem(),
            )?,
            ca_pem,
            admin_cert_pem: admin_cert.pem(),
            admin_key_pem: admin_key.serialize_pem(),
        };
        write(dir, "admin.crt", &certs.admin_cert_pem)?;
        write(dir, "admin.key", &certs.admin_key_pem)?;
        Ok(certs)
    }
}

fn new_key(what: &'static str) -> Result<KeyPair, Error> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|source| cert_error(what, source))
}

fn name(common_name: &str, organization: Option<&str>) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    if let Some(organization) = organization {
        name.push(DnType::OrganizationName, organization);
    }
    name
}

fn leaf_key_usages() -> Vec<KeyUsagePurpose> {
    vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ]
}

fn cert_error(what: &'static str, source: rcgen::Error) -> Error {
    Error::Certificate { what, source }
}

fn write(dir: &Path, file: &str, contents: &str) -> Result<PathBuf, Error> {
    let path = dir.join(file);
    std::fs::write(&path, contents)
        .map_err(|source| Error::io(format!("failed to write {}", path.display()), source))?;
    Ok(path)
}
