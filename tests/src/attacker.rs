//! What a hostile kubeconfig needs to prove harm: a credential plugin that leaves a mark when it
//! runs, files on "our" disk it could name, and an HTTPS server on 127.0.0.1 that records who
//! connected with which credentials.
//!
//! The server lives as long as its handle (its task is aborted on drop), answers no request,
//! and gives each connection at most [`CONNECTION_BOUND`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use multicloud_testenv::pki::Pki;
use rcgen::{CertificateParams, DnType, Issuer, KeyPair};
use rustls::server::WebPkiClientVerifier;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// Time a connection to the attacker's server may take to show its credentials.
pub const CONNECTION_BOUND: Duration = Duration::from_secs(5);

/// A credential plugin as a shell script that touches `marker` when run, written into `dir`.
pub struct MarkingPlugin {
    /// The script: what a kubeconfig's `exec.command` or `cmd-path` names.
    pub command: PathBuf,
    /// The file the script creates.
    pub marker: PathBuf,
}

impl MarkingPlugin {
    /// Writes the script into `dir`.
    pub fn write(dir: &Path) -> std::io::Result<Self> {
        use std::os::unix::fs::PermissionsExt as _;
        let command = dir.join("plugin.sh");
        let marker = dir.join("plugin-ran");
        std::fs::write(
            &command,
            format!(
                "#!/bin/sh\ntouch '{}'\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\
                 \"kind\":\"ExecCredential\",\"status\":{{\"token\":\"from-plugin\"}}}}'\n",
                marker.display()
            ),
        )?;
        std::fs::set_permissions(&command, std::fs::Permissions::from_mode(0o755))?;
        Ok(Self { command, marker })
    }

    /// Whether the script ever ran.
    pub fn ran(&self) -> bool {
        self.marker.exists()
    }
}

/// One connection the attacker's server saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visit {
    /// An `Authorization` header came with the first request.
    pub authorization: bool,
    /// The client presented a certificate in the TLS handshake.
    pub client_certificate: bool,
}

/// An HTTPS server of the attacker's on 127.0.0.1.
pub struct AttackerServer {
    /// `https://127.0.0.1:<port>`.
    pub address: String,
    ca_pem: String,
    issuer: Issuer<'static, KeyPair>,
    visits: Arc<Mutex<Vec<Visit>>>,
    task: JoinHandle<()>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[error("attacker server: {0}")]
pub struct AttackerError(String);

fn failed(e: impl std::fmt::Display) -> AttackerError {
    AttackerError(e.to_string())
}

impl AttackerServer {
    /// Binds 127.0.0.1 on a free port and serves TLS with a certificate of its own CA, asking
    /// for (but not requiring) a client certificate of that CA.
    pub async fn start() -> Result<Self, AttackerError> {
        let pki = Pki::generate("attacker CA").map_err(failed)?;

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).map_err(failed)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(roots.into(), provider.clone())
            .allow_unauthenticated()
            .build()
            .map_err(failed)?;
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![pki.cert.clone()], pki.key())
            .map_err(failed)?;
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(failed)?;
        let address = format!(
            "https://127.0.0.1:{}",
            listener.local_addr().map_err(failed)?.port()
        );
        let visits = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&visits);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    let visit = tokio::time::timeout(CONNECTION_BOUND, async move {
                        let mut tls = acceptor.accept(stream).await.ok()?;
                        let client_certificate = tls.get_ref().1.peer_certificates().is_some();
                        let mut head = Vec::new();
                        let mut buf = [0u8; 4096];
                        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                            match tls.read(&mut buf).await {
                                Ok(0) | Err(_) => break,
                                Ok(n) => head.extend_from_slice(&buf[..n]),
                            }
                        }
                        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
                        Some(Visit {
                            authorization: text.contains("\r\nauthorization:"),
                            client_certificate,
                        })
                    })
                    .await;
                    // A connection that never finished its handshake is still a visit.
                    let visit = visit.ok().flatten().unwrap_or_default();
                    recorded
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push(visit);
                });
            }
        });
        Ok(Self {
            address,
            ca_pem: pki.ca_pem,
            issuer: pki.issuer,
            visits,
            task,
        })
    }

    /// The server's CA, base64 for `certificate-authority-data`, so that a client trusting the
    /// kubeconfig would complete the handshake and send what it holds.
    pub fn ca_data(&self) -> String {
        STANDARD.encode(&self.ca_pem)
    }

    /// A client certificate and key (PEM) that this server accepts.
    pub fn client_identity(&self) -> Result<(String, String), AttackerError> {
        let key = KeyPair::generate().map_err(failed)?;
        let mut params = CertificateParams::default();
        params.distinguished_name.push(
            DnType::CommonName,
            "system:serviceaccount:multicloud-system:webhook",
        );
        let cert = params.signed_by(&key, &self.issuer).map_err(failed)?;
        Ok((cert.pem(), key.serialize_pem()))
    }

    /// Every connection so far.
    pub fn visits(&self) -> Vec<Visit> {
        self.visits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The visits in one line: how many, how many with a token, with a client certificate.
    pub fn summary(&self) -> String {
        let visits = self.visits();
        format!(
            "{} connection(s): {} with an Authorization header, {} with a client certificate",
            visits.len(),
            visits.iter().filter(|v| v.authorization).count(),
            visits.iter().filter(|v| v.client_certificate).count()
        )
    }

    /// Connections that carried a token or a client certificate.
    pub fn credentialed_visits(&self) -> usize {
        self.visits()
            .iter()
            .filter(|v| v.authorization || v.client_certificate)
            .count()
    }
}

impl Drop for AttackerServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
