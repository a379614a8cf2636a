//! The webhook process with certificate files the test rotates, as cert-manager renewing the
//! Secret they are mounted from would: a new key and certificate from the same CA.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use multicloud_e2e::binary;
use multicloud_e2e::wait::eventually_within;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tempfile::TempDir;

use super::client::{Connection, Target};

/// A CA that signs serving certificates for 127.0.0.1.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

/// A serving certificate and its key.
pub struct Leaf {
    cert_pem: String,
    key_pem: String,
    /// The certificate as the server presents it.
    pub der: Vec<u8>,
}

impl Ca {
    fn new() -> Self {
        let key = KeyPair::generate().expect("CA key");
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, "multicloud-e2e rotation CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).expect("CA certificate").pem();
        Self {
            issuer: Issuer::new(params, key),
            pem,
        }
    }

    fn leaf(&self) -> Leaf {
        let key = KeyPair::generate().expect("serving key");
        let params =
            CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("serving certificate");
        let cert = params.signed_by(&key, &self.issuer).expect("signed");
        Leaf {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().to_vec(),
        }
    }
}

/// A running `multicloud-webhook` serving the certificate files of its directory; killed when
/// dropped (its log is printed if the test fails).
pub struct RotatingWebhook {
    child: Child,
    pub target: Target,
    ca: Ca,
    dir: TempDir,
}

impl RotatingWebhook {
    /// Starts the webhook against the cluster of `kubeconfig` and waits until it is ready.
    pub async fn start(kubeconfig: &Path, extra_args: &[&str]) -> (Self, Leaf) {
        let program = binary("multicloud-webhook").expect("multicloud-webhook is built");
        let dir = tempfile::tempdir().expect("temporary directory");
        let ca = Ca::new();
        let first = ca.leaf();
        replace(&dir.path().join("tls.crt"), &first.cert_pem);
        replace(&dir.path().join("tls.key"), &first.key_pem);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("free port");
        let addr = listener.local_addr().expect("address");
        drop(listener);
        let log = std::fs::File::create(dir.path().join("webhook.log")).expect("log file");
        let child = Command::new(program)
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--tls-cert")
            .arg(dir.path().join("tls.crt"))
            .arg("--tls-key")
            .arg(dir.path().join("tls.key"))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(extra_args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("multicloud-webhook starts");
        let target = Target::new(addr, &[&ca.pem]);
        let webhook = Self {
            child,
            target,
            ca,
            dir,
        };
        let target = webhook.target.clone();
        eventually_within(Duration::from_secs(60), "the webhook to be ready", || {
            let target = target.clone();
            async move {
                let mut connection = Connection::open(&target)
                    .await
                    .map_err(|o| format!("{o:?}"))?;
                let answer = connection
                    .exchange("GET", "/readyz", b"")
                    .await
                    .map_err(|o| format!("{o:?}"))?;
                match answer.status {
                    200 => Ok(()),
                    status => Err(format!("/readyz: {status}")),
                }
            }
        })
        .await;
        (webhook, first)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A new certificate and key from the same CA.
    pub fn renewed(&self) -> Leaf {
        self.ca.leaf()
    }

    /// Writes the certificate of `leaf`. Until its key is written too the files do not match,
    /// as in a rotation caught halfway.
    pub fn write_certificate(&self, leaf: &Leaf) {
        replace(&self.path("tls.crt"), &leaf.cert_pem);
    }

    /// Writes the key of `leaf`.
    pub fn write_key(&self, leaf: &Leaf) {
        replace(&self.path("tls.key"), &leaf.key_pem);
    }

    /// Writes a certificate file that is not PEM at all (a truncated write).
    pub fn break_certificate(&self) {
        replace(&self.path("tls.crt"), "-----BEGIN CERTIFICATE-----\nMIIB");
    }

    /// Everything the process has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("webhook.log")).unwrap_or_default()
    }
}

impl Drop for RotatingWebhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("--- multicloud-webhook log ---\n{}", self.log());
        }
    }
}

/// Replaces `path` atomically, as a Secret volume update does.
fn replace(path: &Path, contents: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents).expect("write temporary file");
    std::fs::rename(&temporary, path).expect("rename into place");
}
