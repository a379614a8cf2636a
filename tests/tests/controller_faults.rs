//! multicloud-controller under a fault: the global cluster's API server is stopped while the
//! controller is converging many instances created at once, and started again a few seconds later
//! on the same port with the same etcd. Every instance must end with exactly one namespace, one
//! Karmada CR, our finalizer once and its status written; nothing lost, nothing duplicated; the
//! controller must notice deletions made afterwards at once and complete them; and its process
//! must live through it all.
//!
//! `MULTICLOUD_FAULT_INSTANCES` sets the number of instances: 60 by default (the short form every
//! test run includes); `scripts/fault-controller.sh` runs 500 against a release build and prints
//! the numbers this test reports.

#[path = "controller_faults/fleet.rs"]
mod fleet;
#[allow(dead_code, unused_imports)]
#[path = "controller/support.rs"]
mod support;

use std::time::{Duration, Instant};

use fleet::{Fleet, IN_FLIGHT, controller_manager_running};
use multicloud_e2e::controller::scrape;
use multicloud_e2e::wait::eventually_within;
use support::{Controller, global_cluster};

/// Instances in the short form.
const DEFAULT_INSTANCES: usize = 60;
/// How long the API server stays stopped before it is started again.
const OUTAGE: Duration = Duration::from_secs(5);
/// Bound on the controller taking up deletions made after the restart. It takes a second or two;
/// a watch still backing off from the outage used to keep it blind for over a minute.
const NOTICE: Duration = Duration::from_secs(30);
/// Controller flags: the shipped Deployment's, except a Lease long enough that the outage (stop,
/// [`OUTAGE`], start) cannot end the leader's term. With the shipped 15 s Lease, an outage longer
/// than its 10 s renew deadline stops the leader by design, and its Deployment starts it again;
/// here the process must ride the outage out.
const FLAGS: &[&str] = &[
    "--lease-duration",
    "90",
    "--poll-interval",
    "15",
    "--resync-interval",
    "300",
    "--member-interval",
    "60",
    "--remote-timeout",
    "10",
];

fn instance_count() -> usize {
    std::env::var("MULTICLOUD_FAULT_INSTANCES")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(DEFAULT_INSTANCES)
}

/// Bound on each wait: a minute, plus time in proportion to the number of instances.
fn bound(instances: usize) -> Duration {
    Duration::from_secs(60) + Duration::from_millis(300).saturating_mul(instances as u32)
}

#[tokio::test]
async fn instances_converge_once_each_when_the_api_server_restarts_mid_convergence() {
    let n = instance_count();
    let limit = bound(n);
    let mut plane = global_cluster().await;
    let client = plane.client();
    controller_manager_running(&client).await;
    let mut controller = Controller::spawn(&plane, "faults", plane.kubeconfig_path(), FLAGS);
    let metrics = controller.metrics_address().await;
    let fleet = Fleet::new(&client, n);
    let before = scrape(&metrics).await;

    let started = Instant::now();
    fleet.create().await;
    // Stop the API server once a quarter of the Karmada CRs exist: by then some instances are
    // done, some half-way (finalizer or namespace only), the rest untouched.
    let quarter = n.div_ceil(4);
    let karmadas_at_stop = eventually_within(limit, "a quarter of the Karmada CRs", || async {
        let count = fleet.karmada_count().await?;
        if count >= quarter {
            Ok(count)
        } else {
            Err(format!("{count} of {n}"))
        }
    })
    .await;
    let converged_at_stop = fleet.converged_count().await;
    let stopping = Instant::now();
    plane.stop_apiserver();
    tokio::time::sleep(OUTAGE).await;
    plane
        .restart_apiserver()
        .await
        .expect("the API server starts again");
    let back = Instant::now();
    assert!(
        converged_at_stop < n,
        "every instance had converged before the API server stopped, so the fault tested \
         nothing; raise MULTICLOUD_FAULT_INSTANCES"
    );

    fleet.wait_converged(limit).await;
    let converged_after = back.elapsed();
    let work = scrape(&metrics).await.since(&before);
    fleet.assert_once_each().await;
    assert!(
        controller.exited().is_none(),
        "the controller ended during the outage:\n{}",
        controller.log()
    );

    // Deleting a tenth of them right afterwards: the controller takes it up at once, and
    // completes it (Karmada CR, then namespace, then instance).
    let doomed: Vec<String> = fleet.names.iter().step_by(10).cloned().collect();
    let deleting = Instant::now();
    fleet.delete(&doomed).await;
    fleet.wait_deletion_noticed(&doomed, NOTICE).await;
    let noticed_after = deleting.elapsed();
    fleet.wait_deleted(&doomed, limit).await;
    let deleted_after = deleting.elapsed();

    println!("## multicloud-controller: API server restarted mid-convergence");
    println!(
        "instances: {n} (a third each PVC, hostPath, emptyDir), {IN_FLIGHT} creates in flight"
    );
    println!(
        "API server stopped: {:.1}s after the first create, with {karmadas_at_stop} of {n} Karmada \
         CRs made and {converged_at_stop} instances converged",
        (stopping - started).as_secs_f64()
    );
    println!(
        "API server down: {:.1}s (stop, {}s outage, start until ready)",
        (back - stopping).as_secs_f64(),
        OUTAGE.as_secs()
    );
    println!(
        "converged after the restart: {:.1}s (every namespace, Karmada CR, finalizer and status; \
         none lost, none duplicated)",
        converged_after.as_secs_f64()
    );
    println!(
        "requests until converged: {:.0} reads, {:.0} writes ({:.1} writes per instance); \
         {:.0} reconciles, {:.0} of them failed and retried",
        work.total("read"),
        work.total("write"),
        work.total("write") / n as f64,
        work.reconciles,
        work.failed_reconciles
    );
    println!(
        "deleted afterwards: {} instances, taken up (Deleting) in {:.1}s, gone in {:.1}s \
         (Karmada CR, namespace, instance)",
        doomed.len(),
        noticed_after.as_secs_f64(),
        deleted_after.as_secs_f64()
    );
}
