//! Benchmark of multicloud-controller, run by `scripts/bench-controller.sh` (ignored in normal
//! test runs): 500 instances created at once against the harness's control plane.
//!
//! It reports the time until every instance has its Karmada CR and its first status, the API
//! requests it took to get there, and, at steady state (every instance Running, nothing
//! changing), the API requests per reconcile, read from the controller's own `/metrics`.

#[allow(dead_code, unused_imports)]
#[path = "controller/support.rs"]
mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{INSTANCE_LABEL, SYSTEM_NAMESPACE};
use multicloud_api::{MulticloudInstance, MulticloudInstanceStatus, Phase};
use multicloud_e2e::controller::scrape;
use serde_json::json;
use support::{Controller, from_json, global_cluster, instance};

const INSTANCES: usize = 500;
/// Requeue of settled instances during the benchmark: every instance reconciles this often.
const RESYNC_SECONDS: u64 = 20;
/// Steady-state measuring window: three resyncs of every instance.
const WINDOW: Duration = Duration::from_secs(3 * RESYNC_SECONDS);
/// Bound on each phase of the benchmark.
const PHASE_LIMIT: Duration = Duration::from_secs(600);

/// Runs `task` for every instance name, 64 at a time, as a burst of clients would.
async fn for_each_instance<F, Fut>(task: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..INSTANCES {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .expect("semaphore is open");
        let work = task(format!("bench-{i:03}"));
        tasks.spawn(async move {
            work.await;
            drop(permit);
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("task completes");
    }
}

/// Whether all [`INSTANCES`] instances have a status that passes `test`.
async fn all_instances(
    instances: &Api<MulticloudInstance>,
    test: impl Fn(&MulticloudInstanceStatus) -> bool,
) -> bool {
    let list = instances
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    list.iter()
        .filter(|i| i.status.as_ref().is_some_and(&test))
        .count()
        == INSTANCES
}

/// Polls `done` every 250 ms until it holds; returns when it first held.
async fn until<F, Fut>(what: &str, mut done: F) -> Instant
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + PHASE_LIMIT;
    loop {
        if done().await {
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn resident_memory(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l[6..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::test]
#[ignore = "benchmark; run scripts/bench-controller.sh"]
async fn five_hundred_instances_created_at_once() {
    let plane = global_cluster().await;
    let client = plane.client();
    let resync = RESYNC_SECONDS.to_string();
    // Without leader election, every request counted is a reconcile's; a leader adds two per
    // Lease renewal (a GET and a PUT every 5 s), whatever the number of instances.
    let flags = [
        "--no-leader-election",
        "--resync-interval",
        resync.as_str(),
        "--member-interval",
        "3600",
    ];
    let controller = Controller::spawn(&plane, "bench", plane.kubeconfig_path(), &flags);
    let metrics = controller.metrics_address().await;
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    let karmadas: Api<Karmada> = Api::all(client.clone());
    let ours = ListParams::default().labels(INSTANCE_LABEL);
    let before = scrape(&metrics).await;

    let started = Instant::now();
    for_each_instance(|name| {
        let instances = instances.clone();
        async move {
            let object = instance(&name, json!({}));
            instances
                .create(&PostParams::default(), &object)
                .await
                .expect("instance is created");
        }
    })
    .await;
    let created = started.elapsed();
    let all_karmada = until("every Karmada CR", || async {
        karmadas
            .list_metadata(&ours)
            .await
            .map(|l| l.items.len())
            .unwrap_or_default()
            == INSTANCES
    })
    .await
        - started;
    let all_status = until("every first status", || {
        all_instances(&instances, |s| s.phase.is_some())
    })
    .await
        - started;
    // Quiet: no write for two seconds.
    let mut converged = scrape(&metrics).await;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let now = scrape(&metrics).await;
        if now.total("write") == converged.total("write") {
            break;
        }
        converged = now;
    }
    let creation = converged.since(&before);

    // Play karmada-operator: every install completes, with an admin kubeconfig that reaches a
    // "Karmada API" (the global cluster itself) so member counts succeed.
    let admin: Secret = from_json(json!({
        "metadata": {"name": "bench-admin"},
        "stringData": {"karmada.config": plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin Secret is created");
    for_each_instance(|name| {
        let client = client.clone();
        async move {
            let api: Api<Karmada> = Api::namespaced(client, &format!("k-{name}"));
            let status = json!({"status": {
                "secretRef": {"namespace": SYSTEM_NAMESPACE, "name": "bench-admin"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "Completed",
                                "message": "ready", "lastTransitionTime": "2025-01-01T00:00:00Z"}]
            }});
            api.patch_status(&name, &PatchParams::default(), &Patch::Merge(status))
                .await
                .expect("Karmada status is written");
        }
    })
    .await;
    until("every instance Running and counted", || {
        all_instances(&instances, |s| {
            s.phase == Some(Phase::Running) && s.condition("KarmadaAPIReachable").is_some()
        })
    })
    .await;
    // Let the requeues triggered by the last status writes pass, then measure a window.
    tokio::time::sleep(Duration::from_secs(RESYNC_SECONDS + 5)).await;
    let window_start = scrape(&metrics).await;
    tokio::time::sleep(WINDOW).await;
    let steady = scrape(&metrics).await.since(&window_start);

    let per_reconcile = |kind: &str| steady.total(kind) / steady.reconciles.max(1.0);
    println!("## multicloud-controller benchmark");
    println!("instances: {INSTANCES} (PersistentVolumeClaim storage, management cluster local)");
    println!("creates sent in: {:.2}s", created.as_secs_f64());
    println!(
        "all Karmada CRs exist after: {:.2}s",
        all_karmada.as_secs_f64()
    );
    println!(
        "all first statuses written after: {:.2}s",
        all_status.as_secs_f64()
    );
    println!(
        "until converged: {:.0} reconciles, {:.0} reads, {:.0} writes ({:.1} writes per instance) {:?}",
        creation.reconciles,
        creation.total("read"),
        creation.total("write"),
        creation.total("write") / INSTANCES as f64,
        creation.requests
    );
    println!(
        "steady state over {}s: {:.0} reconciles, {:.2} reads and {:.2} writes per reconcile {:?}",
        WINDOW.as_secs(),
        steady.reconciles,
        per_reconcile("read"),
        per_reconcile("write"),
        steady.requests
    );
    println!(
        "controller resident memory: {}",
        resident_memory(controller.pid())
    );
}
