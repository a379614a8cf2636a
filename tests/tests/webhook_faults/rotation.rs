//! The webhook process with certificate files the test rotates, as cert-manager renewing the
//! Secret they are mounted from would: a new key and certificate from the same CA.

use std::path::{Path, PathBuf};

use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::pki::Serving;

use super::client::Target;

/// A running `multicloud-webhook` (the e2e library's), whose certificate files the test
/// rewrites.
pub struct RotatingWebhook {
    webhook: Webhook,
    pub target: Target,
}

impl RotatingWebhook {
    /// Starts the webhook against the cluster of `kubeconfig` and waits until it is ready;
    /// returns it with the certificate it serves first.
    pub async fn start(kubeconfig: &Path, extra_args: &[&str]) -> (Self, Serving) {
        let webhook = Webhook::start(kubeconfig, extra_args)
            .await
            .expect("multicloud-webhook starts");
        let target = Target::new(webhook.addr(), &[webhook.ca_pem()]);
        let pki = webhook.pki();
        let first = Serving {
            cert_pem: pki.cert_pem.clone(),
            key_pem: pki.key_pem.clone(),
            cert: pki.cert.clone(),
        };
        (Self { webhook, target }, first)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.webhook.serving_dir().join(name)
    }

    /// A new certificate and key from the same CA.
    pub fn renewed(&self) -> Serving {
        self.webhook.pki().renewed().expect("a renewed certificate")
    }

    /// Writes the certificate of `serving`. Until its key is written too the files do not
    /// match, as in a rotation caught halfway.
    pub fn write_certificate(&self, serving: &Serving) {
        replace(&self.path("tls.crt"), &serving.cert_pem);
    }

    /// Writes the key of `serving`.
    pub fn write_key(&self, serving: &Serving) {
        replace(&self.path("tls.key"), &serving.key_pem);
    }

    /// Writes a certificate file that is not PEM at all (a truncated write).
    pub fn break_certificate(&self) {
        replace(&self.path("tls.crt"), "-----BEGIN CERTIFICATE-----\nMIIB");
    }
}

/// Replaces `path` atomically, as a Secret volume update does.
fn replace(path: &Path, contents: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents).expect("write temporary file");
    std::fs::rename(&temporary, path).expect("rename into place");
}
