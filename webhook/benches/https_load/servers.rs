//! The servers under load, each a child process so that each one's memory is its own: the
//! built `multicloud-webhook` against a real API server, or this executable with `--serve`.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http::{Method, StatusCode};
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, PostParams};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_testenv::ControlPlane;

use crate::support::{self, Connection};

/// What the floor server answers: a reply of the webhook's size.
const FIXED_REPLY: &[u8] = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"2742c351-06bf-44af-aa90-2519bdedc935","allowed":true}}"#;

/// A server child process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl ServerProcess {
    /// The built `multicloud-webhook` binary itself, with its real watches, against `plane`
    /// (where a default StorageClass is created first, so that instances are admitted). Tokio
    /// gets `workers` threads, as a CPU limit of that many cores would give it.
    pub async fn real_webhook(
        plane: &ControlPlane,
        dir: &Path,
        workers: usize,
        config: Arc<rustls::ClientConfig>,
    ) -> Self {
        let class: StorageClass = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "example.com/none",
        }))
        .expect("StorageClass");
        Api::<StorageClass>::all(plane.client())
            .create(&PostParams::default(), &class)
            .await
            .expect("StorageClass is created");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let child = Command::new(env!("CARGO_BIN_EXE_multicloud-webhook"))
            .arg("--addr")
            .arg(port.to_string())
            .arg("--tls-cert")
            .arg(dir.join("tls.crt"))
            .arg("--tls-key")
            .arg(dir.join("tls.key"))
            .arg("--kubeconfig")
            .arg(plane.kubeconfig_path())
            .env("TOKIO_WORKER_THREADS", workers.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("multicloud-webhook starts");
        let server = Self { child, addr: port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut connection) = Connection::open(server.addr, config.clone()).await
                && let Ok((StatusCode::OK, _)) =
                    connection.send(Method::GET, "/readyz", Bytes::new()).await
            {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "multicloud-webhook was not ready within 60s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// This executable serving `role` (`webhook`: the webhook's router over a fixed directory;
    /// `floor`: a fixed reply) with `workers` tokio threads.
    pub fn start(role: &str, dir: &Path, workers: usize) -> Self {
        let exe = std::env::current_exe().expect("own path");
        let mut child = Command::new(exe)
            .args(["--serve", role])
            .arg(dir)
            .arg(workers.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("server process starts");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("server prints its address");
        let addr = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("server address, got {line:?}"));
        Self { child, addr }
    }

    /// Peak and current resident set size, from /proc (Linux).
    pub fn memory(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
                .unwrap_or(0)
                * 1024
        };
        (field("VmHWM:"), field("VmRSS:"))
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The child: serves on 127.0.0.1 until killed, printing its address first.
pub fn serve(role: &str, dir: &str, workers: usize) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let files = multicloud_webhook::tls::CertificateFiles {
            cert: std::path::Path::new(dir).join("tls.crt"),
            key: std::path::Path::new(dir).join("tls.key"),
        };
        let (key, _) = files.load().expect("certificate");
        let resolver = Arc::new(multicloud_webhook::tls::ReloadingCertResolver::new(key));
        let tls = multicloud_webhook::tls::server_config(resolver).expect("TLS");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("address"));
        let router = match role {
            "webhook" => support::app(
                support::ready_directory(vec![
                    StorageClassInfo::new("fast", true),
                    StorageClassInfo::new("slow", false),
                ]),
                Duration::from_secs(2),
                Duration::from_secs(4),
            ),
            // The floor: the same TLS and HTTP stack, a fixed reply, no decoding, no rules.
            // It reads the request body, as any server must, and ignores it.
            _ => axum::Router::new().fallback(|_body: Bytes| async {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    FIXED_REPLY,
                )
            }),
        };
        multicloud_webhook::server::serve(
            listener,
            tls,
            router,
            std::future::pending(),
            Duration::from_secs(1),
        )
        .await;
    });
}
