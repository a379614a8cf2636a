//! multicloud-webhook under a hostile client: the built binary runs as a process on 127.0.0.1
//! (against a real kube-apiserver, whose StorageClasses and Secrets it watches) while one client
//! holds 500 connections open in the middle of a request's headers and sends three reviews of the
//! largest size the webhook accepts, all at once (a cluster Secret with a kubeconfig of almost
//! 3 MiB, one with 90,000 keys, one with 400,000). Meanwhile an ordinary review must be answered
//! in under a second, the process's peak memory must stay under the Deployment's limit, and the
//! server itself must close every stalled connection once its header timeout has passed.
//!
//! `MULTICLOUD_WEBHOOK_BINARY` runs another build (`docs/benchmarks.md` compares builds with it).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::ControlPlane;
use rustls::pki_types::ServerName;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// `resources.limits.memory` of `manifests/webhook/base/deployment.yaml`.
const MEMORY_LIMIT: u64 = 128 * 1024 * 1024;
/// Connections held in the middle of their headers.
const STALLED: usize = 500;
/// Reviews of the largest size, sent at once.
const LARGE: usize = 3;
/// The largest body the webhook accepts (`multicloud_webhook::routes::BODY_LIMIT`).
const BODY_LIMIT: usize = 7 * 1024 * 1024;
/// The header timeout the webhook runs with here: long enough that the stalled connections are
/// still open while the large reviews are answered.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How late after its header timeout a stalled connection may be closed (the machine is shared).
const CLOSE_SLACK: Duration = Duration::from_secs(10);
/// The bound the issue sets on an ordinary review while the rest goes on.
const ANSWER_BOUND: Duration = Duration::from_secs(1);
/// Bound on anything else a step waits for.
const STEP_BOUND: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_headers_and_the_largest_reviews_neither_starve_nor_exhaust_the_webhook() {
    let plane = ControlPlane::start().await.expect("control plane starts");
    let timeout = format!("{}s", HEADER_TIMEOUT.as_secs());
    // A debug build takes about two seconds over a review of the largest size (a release build
    // a tenth of that), and two at most are decoded at once: the third waits for a turn.
    let flags = [
        "--header-read-timeout",
        &timeout,
        "--request-timeout",
        "30s",
    ];
    let webhook = Webhook::start(plane.kubeconfig_path(), &flags)
        .await
        .expect("webhook starts");
    let addr = webhook.addr();
    let tls = webhook.tls();
    let before = peak_memory(webhook.pid());

    // 500 connections, each stopped in the middle of its request's headers.
    let mut stalled = JoinSet::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(STALLED);
    for _ in 0..STALLED {
        let tls = tls.clone();
        let ready = ready_tx.clone();
        stalled.spawn(async move {
            let mut stream = connect(addr, tls).await?;
            stream
                .write_all(b"POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: applic")
                .await
                .map_err(|e| format!("write: {e}"))?;
            stream.flush().await.map_err(|e| format!("flush: {e}"))?;
            let sent = Instant::now();
            let _ = ready.send(()).await;
            drop(ready);
            // The server closes the connection (possibly with a 408 first): EOF or an error.
            let mut rest = Vec::new();
            let read = tokio::time::timeout(
                HEADER_TIMEOUT + CLOSE_SLACK + STEP_BOUND,
                stream.read_to_end(&mut rest),
            )
            .await;
            match read {
                Ok(_) => Ok(sent.elapsed()),
                Err(_) => Err("still open".to_owned()),
            }
        });
    }
    drop(ready_tx);
    let mut opened = 0;
    tokio::time::timeout(STEP_BOUND, async {
        while opened < STALLED && ready_rx.recv().await.is_some() {
            opened += 1;
        }
    })
    .await
    .expect("the stalled connections are opened in time");
    assert_eq!(opened, STALLED, "every stalled connection was opened");

    // Three reviews of the largest size at once, and an ordinary one while they are handled.
    let large_bodies = [
        large_secret_review(),
        wide_secret_review(90_000),
        wide_secret_review(400_000),
    ];
    for body in &large_bodies {
        assert!(body.len() <= BODY_LIMIT && body.len() > BODY_LIMIT - 512 * 1024);
    }
    let mut large = JoinSet::new();
    for body in large_bodies {
        let tls = tls.clone();
        large.spawn(async move { post(addr, tls, "/validate", &body).await });
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
    let ordinary = ordinary_review();
    let started = Instant::now();
    let (status, reply) = post(addr, tls.clone(), "/validate", &ordinary)
        .await
        .expect("the ordinary review is answered");
    let took = started.elapsed();
    assert_eq!(status, 200, "{reply}");
    assert_eq!(uid_of(&reply).as_deref(), Some("ordinary"), "{reply}");

    while let Some(answer) = large.join_next().await {
        let (status, reply) = answer.expect("task").expect("a large review is answered");
        match status {
            200 => assert_eq!(
                uid_of(&reply).as_deref(),
                Some("large"),
                "{}",
                excerpt(&reply)
            ),
            // The Secret with 400,000 keys: more values than any real review, refused as such.
            400 => assert!(reply.contains("JSON values"), "{}", excerpt(&reply)),
            _ => panic!("a large review got {status}: {}", excerpt(&reply)),
        }
    }
    let peak = peak_memory(webhook.pid());
    eprintln!(
        "peak memory (VmHWM): {:.1} MiB before, {:.1} MiB after {STALLED} stalled connections, \
         {LARGE} reviews of {:.1} MiB and an ordinary one answered in {took:?}",
        mib(before),
        mib(peak),
        mib(BODY_LIMIT as u64)
    );
    assert!(
        took < ANSWER_BOUND,
        "the ordinary review took {took:?} with {STALLED} stalled connections and {LARGE} \
         large reviews in flight"
    );
    assert!(
        peak < MEMORY_LIMIT,
        "peak memory {:.1} MiB is over the Deployment's limit of {:.0} MiB",
        mib(peak),
        mib(MEMORY_LIMIT)
    );

    // The server closes every stalled connection after its header timeout, not the client.
    let mut latest = Duration::ZERO;
    while let Some(closed) = stalled.join_next().await {
        let after = closed
            .expect("task")
            .expect("the server closed a stalled connection");
        latest = latest.max(after);
    }
    eprintln!("the last stalled connection was closed {latest:?} after it stalled");
    assert!(
        latest < HEADER_TIMEOUT + CLOSE_SLACK,
        "a stalled connection stayed open for {latest:?} (header timeout {HEADER_TIMEOUT:?})"
    );
    assert_eq!(
        post(addr, tls, "/validate", &ordinary_review())
            .await
            .map(|(status, _)| status),
        Ok(200),
        "the webhook still answers"
    );
}

/// A TLS connection to the webhook.
async fn connect(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
) -> Result<TlsStream<TcpStream>, String> {
    let open = async {
        let tcp = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        TlsConnector::from(tls)
            .connect(ServerName::IpAddress(addr.ip().into()), tcp)
            .await
            .map_err(|e| format!("TLS: {e}"))
    };
    tokio::time::timeout(STEP_BOUND, open)
        .await
        .map_err(|_| "connecting timed out".to_owned())?
}

/// `POST path` with a JSON body on a fresh connection: the status and the body of the answer.
async fn post(
    addr: SocketAddr,
    tls: Arc<rustls::ClientConfig>,
    path: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    let exchange = async {
        let mut stream = connect(addr, tls).await?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        stream
            .write_all(body)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = Vec::new();
        // The server may close without close_notify once the answer is complete.
        let _ = stream.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .ok_or_else(|| format!("incomplete answer: {text}"))?;
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("no status line: {head}"))?;
        Ok((status, body.to_owned()))
    };
    tokio::time::timeout(STEP_BOUND, exchange)
        .await
        .map_err(|_| format!("POST {path} timed out"))?
}

/// An instance create, as the API server sends it.
fn ordinary_review() -> Vec<u8> {
    let spec = json!({"virtualClusterName": "k-demo", "managementCluster": "local"});
    let review = multicloud_api::testing::create_review("ordinary", "demo", spec);
    serde_json::to_vec(&review).expect("JSON")
}

/// A create of a registered cluster Secret just under the body limit with `keys` entries in its
/// `data` besides its kubeconfig (what costs memory is the number of values, not only bytes).
fn wide_secret_review(keys: usize) -> Vec<u8> {
    let review = |value_len: usize| {
        let value = "A".repeat(value_len);
        let mut data = serde_json::Map::new();
        data.insert("kubeconfig".into(), json!(""));
        for key in 0..keys {
            data.insert(format!("k{key}"), json!(value));
        }
        serde_json::to_vec(&json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "large",
                "kind": {"group": "", "version": "v1", "kind": "Secret"},
                "resource": {"group": "", "version": "v1", "resource": "secrets"},
                "name": "edge-1",
                "namespace": "multicloud-system",
                "operation": "CREATE",
                "userInfo": {"username": "admin"},
                "object": {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {
                        "name": "edge-1",
                        "namespace": "multicloud-system",
                        "labels": {"multicloud.dev/cluster": "true"},
                    },
                    "data": data,
                },
                "dryRun": false,
            },
        }))
        .expect("JSON")
    };
    let base = review(0).len();
    review((BODY_LIMIT - base - 1024) / keys)
}

/// An update of a registered cluster Secret just under the body limit: its kubeconfig, old and
/// new, carries a CA bundle of almost 3 MiB.
fn large_secret_review() -> Vec<u8> {
    let secret = |kubeconfig: &str| {
        json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": "edge-1",
                "namespace": "multicloud-system",
                "labels": {"multicloud.dev/cluster": "true"},
            },
            "data": {"kubeconfig": base64::engine::general_purpose::STANDARD.encode(kubeconfig)},
        })
    };
    let review = |ca: &str| {
        let kubeconfig = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: edge\ncontexts:\n- name: edge\n  \
             context: {{cluster: edge, user: admin}}\nclusters:\n- name: edge\n  cluster:\n    \
             server: https://127.0.0.1:1\n    certificate-authority-data: {ca}\nusers:\n- name: \
             admin\n  user: {{token: secret}}\n"
        );
        let review = json!({
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "large",
                "kind": {"group": "", "version": "v1", "kind": "Secret"},
                "resource": {"group": "", "version": "v1", "resource": "secrets"},
                "name": "edge-1",
                "namespace": "multicloud-system",
                "operation": "UPDATE",
                "userInfo": {"username": "admin"},
                "object": secret(&kubeconfig),
                "oldObject": secret(&kubeconfig),
                "dryRun": false,
            },
        });
        serde_json::to_vec(&review).expect("JSON")
    };
    // Two copies of the kubeconfig, each base64-encoded: 8/3 of the CA's size, plus the rest.
    let base = review("").len();
    let ca_len = (BODY_LIMIT - base - 1024) * 3 / 8 / 4 * 4;
    review(&"A".repeat(ca_len))
}

fn uid_of(reply: &str) -> Option<String> {
    let value: Value = serde_json::from_str(reply).ok()?;
    value["response"]["uid"].as_str().map(str::to_owned)
}

/// The process's peak resident memory, in bytes (`VmHWM` of /proc/<pid>/status).
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .expect("VmHWM in the process status")
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}
