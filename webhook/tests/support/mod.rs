//! Shared by the integration tests and the HTTPS load benchmark: certificates made at run time,
//! an in-process server on 127.0.0.1, and a kept-alive HTTPS client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use http::{Method, Request, StatusCode};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use multicloud_api::clusters::StorageClassInfo;
use multicloud_webhook::clusters::Directory;
use multicloud_webhook::instances::InstanceIndex;
use multicloud_webhook::metrics::Metrics;
use multicloud_webhook::routes::{self, AppState};
use multicloud_webhook::tls::{self, CertificateFiles, ReloadingCertResolver};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tower::ServiceExt;

pub use multicloud_testenv::pki::Pki;

/// A fresh [`Pki`] whose CA is named `name`.
pub fn pki(name: &str) -> Pki {
    Pki::generate(name).expect("certificates")
}

/// Writes `tls.crt` and `tls.key` of `pki` into `dir`, each replaced atomically (as a Secret
/// volume update does), the certificate first.
pub fn write_certificates(pki: &Pki, dir: &Path) -> CertificateFiles {
    let files = CertificateFiles {
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    };
    replace(&files.cert, &pki.cert_pem);
    replace(&files.key, &pki.key_pem);
    files
}

fn replace(path: &Path, contents: &str) {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, contents).expect("write temporary file");
    std::fs::rename(&temporary, path).expect("rename into place");
}

/// A directory where `local` is synced with `classes` and the cluster Secrets are listed.
pub fn ready_directory(classes: Vec<StorageClassInfo>) -> Arc<Directory> {
    let directory = Arc::new(Directory::new(Duration::from_secs(60)));
    let generation = directory.register("local");
    let classes = classes.into_iter().map(|c| (c.name.clone(), c)).collect();
    directory.update("local", generation, |r| r.synced(classes));
    directory.set_secrets_synced();
    directory
}

/// An instance index that has listed no instance with a hostPath.
pub fn synced_instances() -> Arc<InstanceIndex> {
    let index = Arc::new(InstanceIndex::new());
    index.reset(Default::default());
    index
}

/// The webhook's router over `directory`, with no instance using a hostPath.
pub fn app(directory: Arc<Directory>, cluster_wait: Duration, request_timeout: Duration) -> Router {
    app_with(directory, synced_instances(), cluster_wait, request_timeout)
}

/// The webhook's router over `directory` and `instances`.
pub fn app_with(
    directory: Arc<Directory>,
    instances: Arc<InstanceIndex>,
    cluster_wait: Duration,
    request_timeout: Duration,
) -> Router {
    app_draining(
        directory,
        instances,
        cluster_wait,
        request_timeout,
        Default::default(),
    )
}

/// [`app_with`], with the flag the shutdown signal sets given by the test.
pub fn app_draining(
    directory: Arc<Directory>,
    instances: Arc<InstanceIndex>,
    cluster_wait: Duration,
    request_timeout: Duration,
    draining: Arc<std::sync::atomic::AtomicBool>,
) -> Router {
    routes::router(
        AppState {
            directory,
            instances,
            host_path_root: multicloud_api::names::DEFAULT_HOST_PATH_ROOT.into(),
            metrics: Arc::new(Metrics::new()),
            cluster_wait,
            draining,
        },
        request_timeout,
    )
}

/// The router with `local` synced and one class, `default_class`, its default; clusters not
/// synced yet are waited for 2 s and requests bounded at 4 s.
pub fn local_app(default_class: &str) -> Router {
    app(
        ready_directory(vec![StorageClassInfo::new(default_class, true)]),
        Duration::from_secs(2),
        Duration::from_secs(4),
    )
}

/// Sends `request` through `app` in process: the status and the body as text.
pub async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String) {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// An HTTPS server on 127.0.0.1 running in this process; stopped when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl TestServer {
    /// Serves `router` with the certificate in `files`, reloaded every `reload` interval.
    pub async fn start(router: Router, files: CertificateFiles, reload: Duration) -> Self {
        let (key, fingerprint) = files.load().expect("certificate loads");
        let resolver = Arc::new(ReloadingCertResolver::new(key));
        let config = tls::server_config(resolver.clone()).expect("TLS config");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local address");
        let (shutdown, signal) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let reloader =
                tokio::spawn(tls::reload_on_change(files, resolver, fingerprint, reload));
            let signal = async {
                let _ = signal.await;
            };
            multicloud_webhook::server::serve(
                listener,
                config,
                router,
                signal,
                Duration::from_secs(5),
            )
            .await;
            reloader.abort();
        });
        Self {
            addr,
            shutdown: Some(shutdown),
            task,
        }
    }

    /// Starts the drain and waits (bounded) for the server to stop.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let task = &mut self.task;
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("server stops within its drain timeout")
            .expect("server task");
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client configuration trusting `roots`, offering HTTP/1.1.
pub fn client_config(roots: &[&CertificateDer<'static>]) -> Arc<rustls::ClientConfig> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add((*root).clone()).expect("root certificate");
    }
    let mut config = rustls::ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// One kept-alive HTTPS connection.
pub struct Connection {
    sender: http1::SendRequest<Body>,
    /// The certificate the server presented in this connection's handshake.
    pub server_cert: CertificateDer<'static>,
    driver: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Connection {
    /// Opens a connection to `addr` (certificate checked for 127.0.0.1).
    pub async fn open(addr: SocketAddr, config: Arc<rustls::ClientConfig>) -> Result<Self, String> {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        let name = ServerName::IpAddress(addr.ip().into());
        let tls = TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS handshake: {e}"))?;
        let server_cert = tls
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .cloned()
            .ok_or("no server certificate")?;
        let (sender, connection) = http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            sender,
            server_cert,
            driver,
        })
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
    ) -> Result<(StatusCode, Bytes), String> {
        self.sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, "127.0.0.1")
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .map_err(|e| format!("request: {e}"))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| format!("request: {e}"))?;
        let status = response.status();
        let body = axum::body::to_bytes(Body::new(response.into_body()), usize::MAX)
            .await
            .map_err(|e| format!("response body: {e}"))?;
        Ok((status, body))
    }

    /// `POST path` with a JSON body.
    pub async fn post(&mut self, path: &str, body: Bytes) -> Result<(StatusCode, Bytes), String> {
        self.send(Method::POST, path, body).await
    }
}
