//! multicloud-controller's time bounds, end to end against a real kube-apiserver:
//!
//! - a leader whose API server stops answering (its connections go silent, as behind a hung load
//!   balancer) stops leading before another replica takes the Lease over, so two never reconcile
//!   at once;
//! - after a restart, every instance gets its first correction promptly, not one of them only
//!   while the others wait out `--remote-timeout`.

#[allow(dead_code, unused_imports)]
#[path = "controller/support.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams};
use multicloud_api::karmada::Karmada;
use multicloud_e2e::wait::eventually_within;
use serde_json::json;
use support::{Controller, create, eventually, global_cluster, instance, karmada_of};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// A TCP proxy on 127.0.0.1 to `upstream` that can be told to stop forwarding: its connections
/// then stay open and silent, in both directions. Stopped with the test (its task is aborted).
struct SilenceableProxy {
    addr: SocketAddr,
    silent: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl SilenceableProxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let silent = Arc::new(AtomicBool::new(false));
        let flag = silent.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                let flag = flag.clone();
                connections.spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        forward(client_read, server_write, flag.clone()),
                        forward(server_read, client_write, flag),
                    );
                });
            }
        });
        Self { addr, silent, task }
    }

    /// From now on, nothing more is forwarded on any connection, old or new.
    fn silence(&self) {
        self.silent.store(true, Ordering::SeqCst);
    }
}

impl Drop for SilenceableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Held, never delivered, once silenced: the connection stays open and says nothing.
        while silent.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            return;
        }
    }
}

/// The timestamp at the start of the first log line containing `text` (RFC 3339 in UTC, all of
/// the same length, so they compare as strings).
fn logged_at(log: &str, text: &str) -> Option<String> {
    log.lines()
        .find(|line| line.contains(text))
        .and_then(|line| line.split_whitespace().next())
        .map(str::to_owned)
}

#[tokio::test]
async fn a_leader_whose_api_server_goes_silent_stops_before_another_takes_over() {
    let plane = global_cluster().await;
    let upstream: SocketAddr = plane
        .server_url()
        .trim_start_matches("https://")
        .parse()
        .expect("the API server listens on an IP address");
    let proxy = SilenceableProxy::start(upstream).await;
    let kubeconfig = plane.dir().join("through-proxy.kubeconfig");
    std::fs::write(
        &kubeconfig,
        plane
            .kubeconfig_yaml()
            .replace(&plane.server_url(), &format!("https://{}", proxy.addr)),
    )
    .expect("kubeconfig through the proxy");

    // `replica-a` reaches the API server through the proxy and leads; `replica-b` stands by.
    let mut a = Controller::start_with_kubeconfig(&plane, "replica-a", &kubeconfig, &[]);
    eventually("replica-a to lead", || async {
        logged_at(&a.log(), "became leader")
            .map(|_| ())
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    let b = Controller::start(&plane, "replica-b", &[]);
    eventually("replica-b to wait for the Lease", || async {
        b.log()
            .contains("waiting for leadership")
            .then_some(())
            .ok_or_else(|| "not yet".to_owned())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    proxy.silence();
    let b_leads = eventually_within(
        Duration::from_secs(60),
        "replica-b to take over",
        || async { logged_at(&b.log(), "became leader").ok_or_else(|| "not yet".to_owned()) },
    )
    .await;
    let a_log = a.log();
    let a_stopped = logged_at(&a_log, "stopped leading").unwrap_or_else(|| {
        panic!("replica-a never stopped leading, yet replica-b leads since {b_leads}:\n{a_log}")
    });
    assert!(
        a_stopped < b_leads,
        "replica-a stopped leading at {a_stopped}, after replica-b took over at {b_leads}"
    );
    // And it stopped reconciling: the process ends, for its Deployment to start it again.
    let deadline = Instant::now() + Duration::from_secs(30);
    while a.exited().is_none() {
        assert!(
            Instant::now() < deadline,
            "replica-a still runs after it stopped leading"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Instances whose first correction after the restart is timed.
const INSTANCES: usize = 8;
/// `--remote-timeout` of the restarted controller: an instance stuck behind the cache wait
/// would take this long.
const REMOTE_TIMEOUT: u64 = 12;
/// Bound on every instance's first correction after the restart, well under the remote
/// timeout (it takes about a second).
const FIRST_CORRECTION: Duration = Duration::from_secs(6);

#[tokio::test]
async fn after_a_restart_every_instance_is_corrected_promptly() {
    let plane = global_cluster().await;
    let client = plane.client();
    let names: Vec<String> = (0..INSTANCES).map(|i| format!("restart-{i}")).collect();
    let mut first = Controller::start(&plane, "first", &["--no-leader-election"]);
    for name in &names {
        create(
            &client,
            &instance(name, json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
        )
        .await;
    }
    for name in &names {
        karmada_of(&client, name).await;
    }
    first.kill();

    // What the restarted controller must correct: every instance's Karmada CR is gone.
    for name in &names {
        let api: Api<Karmada> =
            Api::namespaced(client.clone(), &multicloud_api::names::namespace(name));
        api.delete(name, &DeleteParams::default())
            .await
            .expect("the Karmada CR is deleted");
    }

    let remote_timeout = REMOTE_TIMEOUT.to_string();
    let started = Instant::now();
    let _second = Controller::spawn(
        &plane,
        "second",
        plane.kubeconfig_path(),
        &[
            "--poll-interval",
            "1",
            "--no-leader-election",
            "--remote-timeout",
            &remote_timeout,
        ],
    );
    let mut corrected = Vec::new();
    for name in &names {
        let api: Api<Karmada> =
            Api::namespaced(client.clone(), &multicloud_api::names::namespace(name));
        eventually_within(
            Duration::from_secs(REMOTE_TIMEOUT * 3),
            &format!("the Karmada CR of {name} again"),
            || async {
                api.get_opt(name)
                    .await
                    .map_err(|e| e.to_string())?
                    .map(|_| ())
                    .ok_or_else(|| "not yet".to_owned())
            },
        )
        .await;
        corrected.push((name.clone(), started.elapsed()));
    }
    eprintln!("first corrections after the restart: {corrected:?}");
    let slowest = corrected
        .iter()
        .map(|(_, at)| *at)
        .max()
        .unwrap_or_default();
    assert!(
        slowest < FIRST_CORRECTION,
        "an instance was corrected only {slowest:?} after the restart (remote timeout \
         {REMOTE_TIMEOUT}s): {corrected:?}"
    );
}
