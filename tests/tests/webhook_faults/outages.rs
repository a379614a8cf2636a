//! Scenarios (c) and (d): an API server the webhook depends on goes away and comes back, while
//! requests arrive directly and through the global cluster's API server.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_e2e::wait::eventually_within;
use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::ControlPlane;

use super::client::{Connection, Outcome, Target};
use super::load::{Load, Sample, Shape, Summary, examples};
use super::support::{self, ApiLoad, reviews, seconds, unreachable, validations};

/// Dry-run creates per second through the API server.
const API_RATE: u64 = 20;

/// When the API server in question went away and came back, from the start of the load.
struct Outage {
    stopping: Duration,
    stopped: Duration,
    restarting: Duration,
    restarted: Duration,
}

/// Half the direct load each for two streams.
fn half() -> Shape {
    let shape = support::shape();
    Shape {
        connections: shape.connections / 2,
        rate: shape.rate / 2,
        ..shape
    }
}

async fn webhook_on(plane: &ControlPlane) -> (Webhook, Target) {
    let webhook = Webhook::start(plane.kubeconfig_path(), &["--probe-interval", "500ms"])
        .await
        .expect("webhook starts");
    webhook
        .register(&plane.client())
        .await
        .expect("webhook is registered");
    let target = support::target_of(&webhook);
    (webhook, target)
}

/// Stops the API server of `plane` while the loads run, for [`seconds`], and starts it again.
async fn outage(mut plane: ControlPlane, origin: Instant) -> (ControlPlane, Outage) {
    tokio::time::sleep(seconds()).await;
    let stopping = origin.elapsed();
    plane = tokio::task::spawn_blocking(move || {
        plane.stop_apiserver();
        plane
    })
    .await
    .expect("stopping the API server");
    let stopped = origin.elapsed();
    tokio::time::sleep(seconds()).await;
    let restarting = origin.elapsed();
    plane
        .restart_apiserver()
        .await
        .expect("the API server starts again");
    let restarted = origin.elapsed();
    let times = Outage {
        stopping,
        stopped,
        restarting,
        restarted,
    };
    (plane, times)
}

/// One direct request, for probing.
async fn admitted(target: &Target, cluster: &'static str) -> Result<(), String> {
    let mut connection = Connection::open(target)
        .await
        .map_err(|o| format!("{o:?}"))?;
    let (path, body, uid) = support::review("probe", 0, cluster);
    let answer = connection
        .exchange("POST", path, &body)
        .await
        .map_err(|o| format!("{o:?}"))?;
    match answer.verdict(&uid) {
        Outcome::Admitted => Ok(()),
        other => Err(format!("{other:?}")),
    }
}

/// How the requests for the cluster that went away fared.
struct Judged {
    /// Per sample, whether it broke the expectation.
    failed: Vec<bool>,
    /// When the first explicit denial after the stop was sent.
    detected: Option<Duration>,
    /// When the first admission after the restart was sent.
    recovered: Option<Duration>,
}

impl Judged {
    fn summary(&self, samples: &[Sample]) -> Summary {
        Summary::flagged(samples.iter().zip(self.failed.iter().copied()))
    }

    fn examples(&self, samples: &[Sample]) -> String {
        let failed = samples.iter().zip(&self.failed).filter(|(_, f)| **f);
        failed
            .take(5)
            .map(|(s, _)| format!("at {:.3}s: {:?}", s.sent.as_secs_f64(), s.outcome))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// What the requests for the cluster that went away must show: admitted before, explicitly
/// denied as unreachable once the webhook noticed, admitted again from some moment after the
/// restart on; nothing else.
///
/// A kube-apiserver just started can answer `/readyz` with a failing post-start hook (seen:
/// `rbac/bootstrap-roles`) for a moment after it first answered ready; the webhook then says
/// so, quoting that answer. Such a denial is the truth and is accepted after the restart, but
/// from `settled` on (well after edge-1 was admitted again) every request must be admitted.
fn judge(samples: &[Sample], cluster: &str, times: &Outage, settled: Duration) -> Judged {
    let detected = samples
        .iter()
        .find(|s| s.sent >= times.stopping && unreachable(&s.outcome, cluster))
        .map(|s| s.sent);
    let recovered = samples
        .iter()
        .find(|s| s.sent >= times.restarting && s.outcome == Outcome::Admitted)
        .map(|s| s.sent);
    let failed = samples
        .iter()
        .map(|sample| {
            let denied = unreachable(&sample.outcome, cluster);
            let admitted = sample.outcome == Outcome::Admitted;
            let expected = if sample.sent < times.stopping {
                admitted
            } else if detected.is_some_and(|d| sample.sent >= d) && sample.sent < times.restarting {
                denied
            } else if sample.sent < times.restarting {
                admitted || denied
            } else if sample.sent >= settled {
                admitted
            } else if recovered.is_some_and(|r| sample.sent >= r) {
                admitted || denied && not_ready(&sample.outcome)
            } else {
                denied
            };
            !expected
        })
        .collect();
    Judged {
        failed,
        detected,
        recovered,
    }
}

/// A denial quoting the management API server's own `/readyz` answer: it said it was not ready.
fn not_ready(outcome: &Outcome) -> bool {
    matches!(outcome, Outcome::Denied(message) if message.contains("readyz check failed"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_management_cluster_outage_is_denied_at_once_and_recovered_without_restart() {
    let plane = support::cluster_with_storage().await;
    let (webhook, target) = webhook_on(&plane).await;
    let edge = multicloud_e2e::cluster::bare_cluster().await;
    support::storage_class(&edge.client(), "edge-standard", true).await;
    Api::<Secret>::namespaced(plane.client(), SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", &edge.kubeconfig_yaml()),
        )
        .await
        .expect("edge-1 is registered");
    eventually_within(Duration::from_secs(60), "edge-1 to be synced", || {
        admitted(&target, "edge-1")
    })
    .await;

    let origin = Instant::now();
    let edge_load = Load::start(&target, half(), validations("edge", "edge-1"), origin);
    let local_load = Load::start(&target, half(), reviews("local", "local"), origin);
    let api_load = ApiLoad::start(&plane.client(), "edge-1", API_RATE, origin);
    let (edge, times) = outage(edge, origin).await;
    eventually_within(
        Duration::from_secs(60),
        "edge-1 to be admitted again",
        || admitted(&target, "edge-1"),
    )
    .await;
    let settled = origin.elapsed() + seconds() / 2;
    tokio::time::sleep(seconds()).await;
    let edge_samples = edge_load.stop().await;
    let local_samples = local_load.stop().await;
    let api_samples = api_load.stop().await;
    let still_serving = webhook.get("/healthz").await;

    let direct = judge(&edge_samples, "edge-1", &times, settled);
    let through_api = judge(&api_samples, "edge-1", &times, settled);
    let down = |s: &Sample| s.sent >= times.stopped && s.sent < times.restarting;
    let denials: Vec<Sample> = edge_samples
        .iter()
        .filter(|s| down(s) && unreachable(&s.outcome, "edge-1"))
        .cloned()
        .collect();
    let after = |at: Option<Duration>, from: Duration| {
        at.map_or("never".to_owned(), |at| {
            format!("{:.2} s", at.as_secs_f64() - from.as_secs_f64())
        })
    };
    let local_failed = |s: &Sample| s.outcome != Outcome::Admitted;
    println!("## (c) management cluster edge-1: API server stopped and started again under load");
    println!(
        "  - edge-1 down {:.1} s (stop took {:.1} s); denied as unreachable {} after the stop \
         began (through the API server {}); admitted again {} after it was ready (through the \
         API server {})",
        (times.restarted - times.stopping).as_secs_f64(),
        (times.stopped - times.stopping).as_secs_f64(),
        after(direct.detected, times.stopping),
        after(through_api.detected, times.stopping),
        after(direct.recovered, times.restarted),
        after(through_api.recovered, times.restarted),
    );
    println!("{}", direct.summary(&edge_samples).line("direct, edge-1"));
    println!(
        "{}",
        Summary::of(&denials, |_| false).line("direct, edge-1 while down (explicit denials)")
    );
    println!(
        "{}",
        Summary::of(&local_samples, local_failed).line("direct, local (unaffected)")
    );
    println!(
        "{}",
        through_api
            .summary(&api_samples)
            .line("through the API server, edge-1")
    );
    assert_eq!(
        direct.summary(&edge_samples).failed,
        0,
        "direct requests for edge-1:\n{}",
        direct.examples(&edge_samples)
    );
    assert_eq!(
        through_api.summary(&api_samples).failed,
        0,
        "requests for edge-1 through the API server:\n{}",
        through_api.examples(&api_samples)
    );
    assert!(
        direct.detected.is_some() && through_api.detected.is_some(),
        "never denied"
    );
    assert!(!denials.is_empty(), "no denial while edge-1 was down");
    assert_eq!(
        Summary::of(&local_samples, local_failed).failed,
        0,
        "local instances were affected:\n{}",
        examples(&local_samples, local_failed)
    );
    assert_eq!(
        still_serving.map(|(status, _)| status),
        Ok(200),
        "the webhook process is still the one started"
    );
    drop(edge);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_global_api_server_going_away_fails_no_request_sent_to_the_webhook() {
    let plane = support::cluster_with_storage().await;
    let (webhook, target) = webhook_on(&plane).await;
    let origin = Instant::now();
    let direct = Load::start(&target, support::shape(), reviews("local", "local"), origin);
    let api_load = ApiLoad::start(&plane.client(), "local", API_RATE, origin);
    let (plane, times) = outage(plane, origin).await;
    tokio::time::sleep(seconds()).await;
    let samples = direct.stop().await;
    let api_samples = api_load.stop().await;

    let failed = |s: &Sample| s.outcome != Outcome::Admitted;
    // Through the API server, requests fail while it is down; none may be denied, and all
    // must be admitted once it is back.
    let api_failed = |s: &Sample| match &s.outcome {
        Outcome::Admitted => false,
        // A request to the API server still in flight when it is stopped loses its
        // connection: that is the API server going away, not an admission failing.
        Outcome::Refused | Outcome::Failed(_) => {
            s.sent + s.latency < times.stopping || s.sent >= times.restarted
        }
        _ => true,
    };
    let during = |s: &&Sample| s.sent >= times.stopping && s.sent < times.restarted;
    let after = |s: &&Sample| s.sent >= times.restarted;
    println!("## (d) the global cluster's API server stopped and started again under load");
    println!(
        "  - API server down {:.1} s: watches of StorageClasses and cluster Secrets interrupted",
        (times.restarted - times.stopping).as_secs_f64()
    );
    println!("{}", Summary::of(&samples, failed).line("direct, all"));
    println!(
        "{}",
        Summary::of(samples.iter().filter(during), failed).line("direct, while it was down")
    );
    println!(
        "{}",
        Summary::of(samples.iter().filter(after), failed).line("direct, after it was back")
    );
    println!(
        "{}",
        Summary::of(&api_samples, api_failed)
            .line("through the API server (refused while it was down not counted)")
    );
    assert_eq!(
        Summary::of(&samples, failed).failed,
        0,
        "direct requests failed:\n{}",
        examples(&samples, failed)
    );
    assert_eq!(
        Summary::of(&api_samples, api_failed).failed,
        0,
        "requests through the API server failed:\n{}",
        examples(&api_samples, api_failed)
    );
    drop((webhook, plane));
}
