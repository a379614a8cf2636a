//! The serving certificate: loaded from PEM files at start (so bad files fail fast), then
//! re-read whenever their contents change, as when cert-manager renews the Secret they are
//! mounted from. New handshakes get the new certificate; open connections keep theirs.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use thiserror::Error;

/// Why the certificate files could not be used.
#[derive(Debug, Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM.
    #[error("{path} holds no usable {what} in PEM: {reason}")]
    Pem {
        /// `certificate` or `private key`.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// What the PEM parser said.
        reason: String,
    },
    /// The key cannot sign, or does not belong to the certificate.
    #[error("the private key in {key} does not fit the certificate in {cert}: {reason}")]
    Mismatch {
        /// Certificate file.
        cert: PathBuf,
        /// Key file.
        key: PathBuf,
        /// What rustls said.
        reason: String,
    },
}

/// Where the certificate and key are read from.
#[derive(Debug, Clone)]
pub struct CertificateFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl CertificateFiles {
    /// Reads both files and builds the certified key, with a fingerprint of their contents.
    pub fn load(&self) -> Result<(Arc<CertifiedKey>, u64), TlsError> {
        let cert_pem = read(&self.cert, "certificate")?;
        let key_pem = read(&self.key, "private key")?;
        let fingerprint = fingerprint(&cert_pem, &key_pem);
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| pem_error(&self.cert, "certificate", e.to_string()))?;
        if chain.is_empty() {
            return Err(pem_error(
                &self.cert,
                "certificate",
                "no CERTIFICATE block".into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| pem_error(&self.key, "private key", e.to_string()))?;
        let mismatch = |reason: String| TlsError::Mismatch {
            cert: self.cert.clone(),
            key: self.key.clone(),
            reason,
        };
        let signer = provider()
            .key_provider
            .load_private_key(key)
            .map_err(|e| mismatch(e.to_string()))?;
        let certified = CertifiedKey::new(chain, signer);
        certified
            .keys_match()
            .map_err(|e| mismatch(e.to_string()))?;
        Ok((Arc::new(certified), fingerprint))
    }
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

fn pem_error(path: &Path, what: &'static str, reason: String) -> TlsError {
    TlsError::Pem {
        what,
        path: path.to_owned(),
        reason,
    }
}

fn fingerprint(cert: &[u8], key: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    cert.hash(&mut hasher);
    key.hash(&mut hasher);
    hasher.finish()
}

/// The crypto provider of every TLS context here (ring, as the rest of the workspace).
pub fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::ring::default_provider()))
}

/// Hands every handshake the current certificate; swapped atomically on reload.
#[derive(Debug)]
pub struct ReloadingCertResolver {
    current: ArcSwap<CertifiedKey>,
}

impl ReloadingCertResolver {
    /// A resolver serving `key` until replaced.
    pub fn new(key: Arc<CertifiedKey>) -> Self {
        Self {
            current: ArcSwap::new(key),
        }
    }

    /// Serve `key` from the next handshake on.
    pub fn replace(&self, key: Arc<CertifiedKey>) {
        self.current.store(key);
    }
}

impl ResolvesServerCert for ReloadingCertResolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.load_full())
    }
}

/// TLS 1.2 and 1.3 only, HTTP/2 and HTTP/1.1 offered, the certificate from `resolver`.
pub fn server_config(
    resolver: Arc<ReloadingCertResolver>,
) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    // No session resumption: a resumed session would carry on with the certificate of the
    // session it resumes, so after a rotation some new connections would still see the old
    // one. Connections are long-lived (kept alive by the API server): a full handshake per
    // connection costs nothing that matters.
    config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}

/// Re-reads the files every `interval` and swaps in a changed certificate. A pair that does
/// not load (a half-written rotation, a key that does not match yet) keeps the previous
/// certificate in service and is retried on the next tick.
pub async fn reload_on_change(
    files: CertificateFiles,
    resolver: Arc<ReloadingCertResolver>,
    mut loaded: u64,
    interval: Duration,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_failure: Option<u64> = None;
    loop {
        ticker.tick().await;
        let files = files.clone();
        let Ok(result) = tokio::task::spawn_blocking(move || check(&files, loaded)).await else {
            continue;
        };
        match result {
            Ok(None) => {}
            Ok(Some((key, fingerprint))) => {
                resolver.replace(key);
                loaded = fingerprint;
                last_failure = None;
                tracing::info!("serving certificate reloaded");
            }
            Err((error, fingerprint)) => {
                // Log a broken pair once, not every second.
                if last_failure != Some(fingerprint) {
                    tracing::warn!(%error, "certificate files changed but cannot be used yet; still serving the previous certificate");
                    last_failure = Some(fingerprint);
                }
            }
        }
    }
}

type Checked = Result<Option<(Arc<CertifiedKey>, u64)>, (TlsError, u64)>;

fn check(files: &CertificateFiles, loaded: u64) -> Checked {
    // Cheap comparison of the raw bytes first: most ticks find nothing new.
    let current = match (std::fs::read(&files.cert), std::fs::read(&files.key)) {
        (Ok(cert), Ok(key)) => fingerprint(&cert, &key),
        _ => 0,
    };
    if current == loaded {
        return Ok(None);
    }
    match files.load() {
        Ok((key, fingerprint)) if fingerprint != loaded => Ok(Some((key, fingerprint))),
        Ok(_) => Ok(None),
        Err(error) => Err((error, current)),
    }
}
