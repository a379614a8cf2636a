//! The HTTPS server with certificates made at test time: it serves them, it picks up replaced
//! files for new handshakes without failing a request, it drains on shutdown, and it refuses to
//! start on bad files.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http::{Method, StatusCode};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_webhook::tls::{CertificateFiles, TlsError};
use rustls::pki_types::pem::PemObject as _;
use support::{Connection, TestServer};

fn review() -> Bytes {
    Bytes::from_static(
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1","kind":{"group":"multicloud.dev","version":"v1alpha1","kind":"MulticloudInstance"},"resource":{"group":"multicloud.dev","version":"v1alpha1","resource":"multicloudinstances"},"operation":"CREATE","userInfo":{},"object":{"apiVersion":"multicloud.dev/v1alpha1","kind":"MulticloudInstance","metadata":{"name":"demo"},"spec":{"virtualClusterName":"k-demo"}}}}"#,
    )
}

fn app() -> axum::Router {
    support::app(
        support::ready_directory(vec![StorageClassInfo::new("standard", true)]),
        Duration::from_secs(1),
        Duration::from_secs(4),
    )
}

#[tokio::test]
async fn serves_the_certificate_from_the_files_over_tls_1_2_and_1_3() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = support::pki("test CA");
    let server = TestServer::start(
        app(),
        support::write_certificates(&pki, dir.path()),
        Duration::from_millis(100),
    )
    .await;

    let mut connection = Connection::open(server.addr, support::client_config(&[&pki.ca]))
        .await
        .expect("connects");
    let expected = rustls::pki_types::CertificateDer::from_pem_slice(pki.cert_pem.as_bytes());
    assert_eq!(Some(&connection.server_cert), expected.as_ref().ok());
    let (status, body) = connection
        .post("/validate", review())
        .await
        .expect("answers");
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("\"uid\":\"u-1\""));

    for version in [&rustls::version::TLS12, &rustls::version::TLS13] {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca.clone()).expect("root");
        let config =
            rustls::ClientConfig::builder_with_provider(multicloud_webhook::tls::provider())
                .with_protocol_versions(&[version])
                .expect("version")
                .with_root_certificates(roots)
                .with_no_client_auth();
        let mut connection = Connection::open(server.addr, Arc::new(config))
            .await
            .expect("handshake");
        let (status, _) = connection
            .send(Method::GET, "/healthz", Bytes::new())
            .await
            .expect("answers");
        assert_eq!(status, StatusCode::OK, "{version:?}");
    }

    // A client that does not trust the CA is refused by its own check, not by a server error.
    let other = support::pki("other CA");
    assert!(
        Connection::open(server.addr, support::client_config(&[&other.ca]))
            .await
            .is_err()
    );
    server.stop().await;
}

#[tokio::test]
async fn replaced_files_reach_new_handshakes_without_a_failed_request() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = support::pki("first CA");
    let second = support::pki("second CA");
    let server = TestServer::start(
        app(),
        support::write_certificates(&first, dir.path()),
        Duration::from_millis(50),
    )
    .await;
    let config = support::client_config(&[&first.ca, &second.ca]);

    // A steady stream: new connections (new handshakes) and one kept-alive connection.
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let mut streams = Vec::new();
    for fresh_connections in [true, false] {
        let (stop, served, config, addr) =
            (stop.clone(), served.clone(), config.clone(), server.addr);
        streams.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            let mut kept: Option<Connection> = None;
            while !stop.load(Ordering::Relaxed) {
                let connection = match kept.take() {
                    Some(connection) => Ok(connection),
                    None => Connection::open(addr, config.clone()).await,
                };
                let result = match connection {
                    Ok(mut connection) => {
                        let result = connection.post("/validate", review()).await;
                        if !fresh_connections {
                            kept = Some(connection);
                        }
                        result
                    }
                    Err(error) => Err(error),
                };
                match result {
                    Ok((StatusCode::OK, _)) => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.push(format!("{other:?}")),
                }
            }
            failures
        }));
    }

    let second_leaf =
        rustls::pki_types::CertificateDer::from_pem_slice(second.cert_pem.as_bytes()).expect("PEM");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = served.load(Ordering::Relaxed);
    // The certificate lands before its key, as a non-atomic copy would leave them for a moment.
    std::fs::write(dir.path().join("tls.crt"), &second.cert_pem).expect("write certificate");
    tokio::time::sleep(Duration::from_millis(120)).await;
    std::fs::write(dir.path().join("tls.key"), &second.key_pem).expect("write key");

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let connection = Connection::open(server.addr, config.clone())
            .await
            .expect("connects");
        if connection.server_cert == second_leaf {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not served within 10s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    for stream in streams {
        let failures = stream.await.expect("stream task");
        assert!(
            failures.is_empty(),
            "requests failed during rotation: {failures:?}"
        );
    }
    assert!(
        served.load(Ordering::Relaxed) > before,
        "the stream kept going"
    );
    server.stop().await;
}

#[tokio::test]
async fn shutdown_lets_in_flight_requests_finish_and_refuses_new_connections() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = support::pki("test CA");
    let directory = support::ready_directory(vec![]);
    // A request for a cluster that never syncs waits the full cluster wait: in flight for 1s.
    directory.register("edge-1");
    let router = support::app(directory, Duration::from_secs(1), Duration::from_secs(4));
    let server = TestServer::start(
        router,
        support::write_certificates(&pki, dir.path()),
        Duration::from_secs(1),
    )
    .await;
    let addr = server.addr;
    let mut connection = Connection::open(addr, support::client_config(&[&pki.ca]))
        .await
        .expect("connects");
    let body = review().to_vec();
    let body = String::from_utf8_lossy(&body)
        .replace("\"spec\":{", "\"spec\":{\"managementCluster\":\"edge-1\",");
    let in_flight =
        tokio::spawn(async move { connection.post("/validate", Bytes::from(body)).await });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let stopping = tokio::spawn(server.stop());
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections 5s after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, body) = in_flight
        .await
        .expect("request task")
        .expect("in-flight request finished");
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("not synced"));
    stopping.await.expect("server stopped");
}

#[tokio::test]
async fn once_draining_each_http1_connection_is_closed_after_its_answer() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = support::pki("test CA");
    let draining = Arc::new(AtomicBool::new(false));
    let router = support::app_draining(
        support::ready_directory(vec![StorageClassInfo::new("standard", true)]),
        support::synced_instances(),
        Duration::from_secs(1),
        Duration::from_secs(4),
        draining.clone(),
    );
    let server = TestServer::start(
        router,
        support::write_certificates(&pki, dir.path()),
        Duration::from_secs(1),
    )
    .await;
    let client = support::client_config(&[&pki.ca]);
    let mut connection = Connection::open(server.addr, client.clone())
        .await
        .expect("connects");
    for _ in 0..2 {
        let (status, _) = connection
            .post("/validate", review())
            .await
            .expect("answered");
        assert_eq!(status, StatusCode::OK);
    }

    // The shutdown delay: still answered, but the server closes the connection after the
    // answer, so the client never sends another request on it while it is being closed.
    draining.store(true, Ordering::Relaxed);
    let (status, _) = connection
        .post("/validate", review())
        .await
        .expect("answered");
    assert_eq!(status, StatusCode::OK);
    let next = connection.post("/validate", review()).await;
    assert!(next.is_err(), "the connection stayed open: {next:?}");
    // A new connection is still served during the delay.
    let mut fresh = Connection::open(server.addr, client)
        .await
        .expect("connects");
    let (status, _) = fresh.post("/validate", review()).await.expect("answered");
    assert_eq!(status, StatusCode::OK);
    server.stop().await;
}

#[test]
fn bad_certificate_files_are_reported_clearly() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing = CertificateFiles {
        cert: dir.path().join("absent.crt"),
        key: dir.path().join("absent.key"),
    };
    let error = missing.load().expect_err("fails");
    assert!(matches!(error, TlsError::Read { .. }));
    assert!(error.to_string().contains("absent.crt"), "{error}");

    let first = support::pki("first");
    let files = support::write_certificates(&first, dir.path());
    std::fs::write(&files.cert, "not a certificate").expect("write");
    let error = files.load().expect_err("fails");
    assert!(matches!(error, TlsError::Pem { .. }), "{error}");

    let second = support::pki("second");
    std::fs::write(&files.cert, &first.cert_pem).expect("write");
    std::fs::write(&files.key, &second.key_pem).expect("write");
    let error = files.load().expect_err("fails");
    assert!(matches!(error, TlsError::Mismatch { .. }), "{error}");
}

#[test]
fn the_binary_exits_non_zero_on_bad_certificate_files() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_multicloud-webhook"))
        .args(["--addr", "127.0.0.1:0", "--tls-cert"])
        .arg(dir.path().join("tls.crt"))
        .arg("--tls-key")
        .arg(dir.path().join("tls.key"))
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("loading the serving certificate") && stderr.contains("tls.crt"),
        "{stderr}"
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_multicloud-webhook"))
        .args(["--cluster-wait", "10s"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "a usage error");
}
