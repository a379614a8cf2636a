//! What the scenarios share: the global cluster, the admission reviews they send, the load
//! through the real API server, and the knobs of the short and the long form.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kube::api::{Api, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::testing;
use multicloud_e2e::cluster::admission_cluster;
pub use multicloud_e2e::cluster::storage_class;
pub use multicloud_e2e::operator::from_json;
use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::ControlPlane;
use serde_json::json;
use tokio::task::JoinSet;

use super::client::{Outcome, Target};
use super::load::{Requests, Sample, Shape};

/// Seconds of load in each phase: 3 by default (the short form every test run includes),
/// `MULTICLOUD_FAULT_SECONDS` for the long form.
pub fn seconds() -> Duration {
    let seconds = std::env::var("MULTICLOUD_FAULT_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| *s > 0)
        .unwrap_or(3);
    Duration::from_secs(seconds)
}

/// Requests per second sent directly to the webhook: `MULTICLOUD_FAULT_RATE`, default 1,000
/// (below saturation on two shared cores, so that latency means something).
pub fn rate() -> u64 {
    std::env::var("MULTICLOUD_FAULT_RATE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(1000)
}

/// Kept-alive connections sending that rate.
pub fn shape() -> Shape {
    Shape {
        connections: 4,
        rate: rate(),
        reconnect_every: None,
    }
}

/// A control plane with the CRD, `multicloud-system` and a default StorageClass.
pub async fn cluster_with_storage() -> ControlPlane {
    let plane = admission_cluster().await;
    storage_class(&plane.client(), "standard", true).await;
    plane
}

/// The webhook process's HTTPS endpoint, trusting its CA.
pub fn target_of(webhook: &Webhook) -> Target {
    let addr: SocketAddr = webhook
        .url("")
        .trim_start_matches("https://")
        .parse()
        .expect("the webhook listens on an IP address");
    Target::new(addr, &[webhook.ca_pem()])
}

/// Review `n` of stream `stream` creating an instance on `cluster`: even ones for `/validate`
/// (as mutated, so admitted when the cluster is ready), odd ones for `/mutate`.
pub fn review(stream: &str, n: u64, cluster: &str) -> (&'static str, Vec<u8>, String) {
    let name = format!("{stream}-{n}");
    let uid = format!("{stream}-{n}-uid");
    let mut spec = json!({"managementCluster": cluster});
    let path = if n.is_multiple_of(2) {
        spec["virtualClusterName"] = json!(format!("k-{name}"));
        "/validate"
    } else {
        "/mutate"
    };
    let mut body = testing::create_review(&uid, &name, spec);
    body["request"]["userInfo"]["username"] = json!("load");
    body["request"]["dryRun"] = json!(true);
    (
        path,
        serde_json::to_vec(&body).expect("JSON"),
        uid.to_owned(),
    )
}

/// The reviews of stream `stream` for instances on `cluster`, for both endpoints.
pub fn reviews(stream: &'static str, cluster: &'static str) -> Requests {
    Arc::new(move |n| review(stream, n, cluster))
}

/// Only the validating reviews of stream `stream`: the mutating webhook does not look at the
/// cluster, so only these show what the webhook knows of it.
pub fn validations(stream: &'static str, cluster: &'static str) -> Requests {
    Arc::new(move |n| review(stream, n * 2, cluster))
}

/// Dry-run creates through the API server (which calls both webhooks), `per_second` of them
/// from two clients, until stopped.
pub struct ApiLoad {
    stop: Arc<AtomicBool>,
    tasks: JoinSet<Vec<Sample>>,
}

impl ApiLoad {
    pub fn start(
        client: &kube::Client,
        cluster: &'static str,
        per_second: u64,
        origin: Instant,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let mut tasks = JoinSet::new();
        for _ in 0..2 {
            let (api, stop, counter) = (
                Api::<MulticloudInstance>::all(client.clone()),
                stop.clone(),
                counter.clone(),
            );
            tasks.spawn(async move {
                let mut samples = Vec::new();
                let mut ticker =
                    tokio::time::interval(Duration::from_secs_f64(2.0 / per_second as f64));
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let dry_run = PostParams {
                    dry_run: true,
                    ..PostParams::default()
                };
                while !stop.load(Ordering::Relaxed) {
                    ticker.tick().await;
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let instance: MulticloudInstance = from_json(json!({
                        "apiVersion": "multicloud.dev/v1alpha1",
                        "kind": "MulticloudInstance",
                        "metadata": {"name": format!("api-{n}")},
                        "spec": {"managementCluster": cluster},
                    }));
                    let sent = Instant::now();
                    let outcome = match api.create(&dry_run, &instance).await {
                        Ok(_) => Outcome::Admitted,
                        Err(kube::Error::Api(status))
                            if status.message.contains("denied the request") =>
                        {
                            Outcome::Denied(status.message)
                        }
                        Err(kube::Error::Api(status)) => {
                            Outcome::Status(status.code, status.message)
                        }
                        Err(error) => api_failure(&error),
                    };
                    samples.push(Sample {
                        sent: sent - origin,
                        latency: sent.elapsed(),
                        outcome,
                    });
                }
                samples
            });
        }
        Self { stop, tasks }
    }

    pub async fn stop(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            samples.extend(done.expect("API load task"));
        }
        samples.sort_by_key(|s| s.sent);
        samples
    }
}

/// A request the API server did not answer: refused when it is down, failed otherwise.
fn api_failure(error: &kube::Error) -> Outcome {
    let text = multicloud_runtime::report::error_chain(error);
    if text.contains("Connection refused") {
        Outcome::Refused
    } else {
        Outcome::Failed(text)
    }
}

/// Whether `outcome` is the explicit denial of an unreachable `cluster`.
pub fn unreachable(outcome: &Outcome, cluster: &str) -> bool {
    matches!(outcome, Outcome::Denied(message)
        if message.contains(&format!("management cluster `{cluster}` is unreachable")))
}
