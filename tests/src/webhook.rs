//! The built `multicloud-webhook` run as a process on 127.0.0.1 with a certificate made at run
//! time, and registered with a real API server from the committed webhook configurations
//! (`manifests/webhook/base/webhooks.yaml`), their service clientConfig replaced by a `url`.

use std::io::Read as _;
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use multicloud_testenv::pki::Pki;
use rustls::pki_types::{CertificateDer, ServerName};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::{MissingBinary, binary};

mod registration;

/// Bound on the webhook becoming ready (local StorageClasses and cluster Secrets listed).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Bound on the API server calling newly registered webhooks.
const REGISTER_TIMEOUT: Duration = Duration::from_secs(30);

/// The committed webhook configurations.
const WEBHOOKS_MANIFEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../manifests/webhook/base/webhooks.yaml"
);

/// Why the webhook could not be started or registered.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The binary is not built.
    #[error(transparent)]
    Binary(#[from] MissingBinary),
    /// A local file or process operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The test certificate could not be made.
    #[error("making the test certificate: {0}")]
    Certificate(String),
    /// The process exited or never became ready.
    #[error("multicloud-webhook {what}; its log:\n{log}")]
    Failed {
        /// What went wrong.
        what: String,
        /// The process's log.
        log: String,
    },
    /// The committed manifest could not be used.
    #[error("{WEBHOOKS_MANIFEST}: {0}")]
    Manifest(String),
    /// The API server refused the configuration.
    #[error("registering the webhook configurations: {0}")]
    Api(#[from] kube::Error),
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> WebhookError {
    let context = context.into();
    move |source| WebhookError::Io { context, source }
}

/// A running `multicloud-webhook`; killed when dropped (its log is printed if the test fails).
pub struct Webhook {
    child: Child,
    addr: SocketAddr,
    pki: Arc<Pki>,
    tls: Arc<rustls::ClientConfig>,
    dir: TempDir,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("addr", &self.addr)
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Starts the webhook against the cluster of `kubeconfig` with `extra_args`, and waits
    /// (bounded) until `/readyz` answers 200.
    pub async fn start(kubeconfig: &Path, extra_args: &[&str]) -> Result<Self, WebhookError> {
        // The benchmarks run another build (a release one, or the one before a change).
        let program = match std::env::var_os("MULTICLOUD_WEBHOOK_BINARY") {
            Some(path) => std::path::PathBuf::from(path),
            None => binary("multicloud-webhook")?,
        };
        let mut dir = tempfile::Builder::new()
            .prefix("multicloud-webhook-")
            .tempdir()
            .map_err(io("creating a temporary directory"))?;
        let pki = Pki::generate("multicloud-e2e webhook CA")
            .map_err(|e| WebhookError::Certificate(e.to_string()))?;
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, &pki.cert_pem).map_err(io("writing tls.crt"))?;
        std::fs::write(&key, &pki.key_pem).map_err(io("writing tls.key"))?;
        let tls = client_config(&pki.ca)?;
        let pki = Arc::new(pki);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let addr = free_port()?;
            let log = std::fs::File::create(dir.path().join("webhook.log"))
                .map_err(io("creating the log file"))?;
            let child = Command::new(&program)
                .arg("--addr")
                .arg(addr.to_string())
                .arg("--tls-cert")
                .arg(&cert)
                .arg("--tls-key")
                .arg(&key)
                .arg("--kubeconfig")
                .arg(kubeconfig)
                .args(extra_args)
                .env("RUST_LOG", "info,multicloud_webhook=debug")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .map_err(io(format!("starting {}", program.display())))?;
            let mut webhook = Self {
                child,
                addr,
                pki: pki.clone(),
                tls: tls.clone(),
                dir,
            };
            match webhook.wait_ready().await {
                Ok(()) => return Ok(webhook),
                // Another process took the port between probing and binding it: try another.
                Err(_) if attempt < 3 && webhook.log().contains("Address already in use") => {
                    webhook.kill();
                    dir = webhook.take_dir()?;
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn wait_ready(&mut self) -> Result<(), WebhookError> {
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failed(format!("exited with {status} before it was ready")));
            }
            let last = match self.get("/readyz").await {
                Ok((200, _)) => return Ok(()),
                Ok((status, body)) => format!("{status} {body}"),
                Err(error) => error,
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(self.failed(format!("was not ready within {READY_TIMEOUT:?} ({last})")));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn failed(&self, what: String) -> WebhookError {
        WebhookError::Failed {
            what,
            log: self.log(),
        }
    }

    /// `https://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }

    /// The address it serves on (127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A TLS client configuration that trusts its certificate (no ALPN: HTTP/1.1).
    pub fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone()
    }

    /// The PEM of the CA the serving certificate is signed by.
    pub fn ca_pem(&self) -> &str {
        &self.pki.ca_pem
    }

    /// The CA its serving certificate is signed by, and that certificate: a renewal is signed
    /// with it ([`Pki::renewed`]).
    pub fn pki(&self) -> &Pki {
        &self.pki
    }

    /// The directory of its `tls.crt` and `tls.key`, which it reloads when they change: a test
    /// rotates them there, as a Secret volume update would.
    pub fn serving_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(self.dir.path().join("webhook.log")) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// `GET path` on a fresh connection: the status code and the body.
    pub async fn get(&self, path: &str) -> Result<(u16, String), String> {
        let exchange = async {
            let tcp = tokio::net::TcpStream::connect(self.addr)
                .await
                .map_err(|e| format!("connect: {e}"))?;
            let name = ServerName::IpAddress(self.addr.ip().into());
            let mut tls = tokio_rustls::TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS: {e}"))?;
            let request =
                format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            tls.write_all(request.as_bytes())
                .await
                .map_err(|e| format!("write: {e}"))?;
            let mut response = Vec::new();
            // The server may close without close_notify once the answer is complete.
            let _ = tls.read_to_end(&mut response).await;
            parse_response(&response)
        };
        tokio::time::timeout(Duration::from_secs(5), exchange)
            .await
            .map_err(|_| format!("GET {path} timed out"))?
    }

    /// Sends SIGTERM and waits (at most 30 s) for the process to exit.
    pub fn terminate(&mut self) -> Result<ExitStatus, WebhookError> {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32)
            .ok_or_else(|| self.failed("has no process id".into()))?;
        rustix::process::kill_process(pid, rustix::process::Signal::TERM)
            .map_err(|e| io("sending SIGTERM")(e.into()))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(io("waiting for the webhook"))?
            {
                return Ok(status);
            }
            if std::time::Instant::now() >= deadline {
                return Err(self.failed("did not exit within 30s of SIGTERM".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn take_dir(&mut self) -> Result<TempDir, WebhookError> {
        let fresh = tempfile::tempdir().map_err(io("creating a temporary directory"))?;
        Ok(std::mem::replace(&mut self.dir, fresh))
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- multicloud-webhook log ---\n{}", self.log());
        }
    }
}

fn free_port() -> Result<SocketAddr, WebhookError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    listener.local_addr().map_err(io("finding a free port"))
}

fn parse_response(response: &[u8]) -> Result<(u16, String), String> {
    let text = String::from_utf8_lossy(response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or("incomplete HTTP response")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or("no HTTP status line")?;
    Ok((status, body.to_owned()))
}

fn client_config(ca: &CertificateDer<'static>) -> Result<Arc<rustls::ClientConfig>, WebhookError> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca.clone())
        .map_err(|e| WebhookError::Certificate(e.to_string()))?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| WebhookError::Certificate(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
