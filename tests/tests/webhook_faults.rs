//! multicloud-webhook under sustained load and faults. The built binary runs as a process on
//! 127.0.0.1 against a real kube-apiserver; kept-alive TLS connections post admission reviews to
//! it at a steady rate (and, where the API server is part of the fault, dry-run creates go
//! through the API server too) while
//!
//! - (a) its certificate files are rotated several times: no request fails;
//! - (b) it receives SIGTERM: every request already received is answered, new connections are
//!   refused, no answer is cut off;
//! - (c) a management cluster's API server is stopped and started again: its instances are
//!   denied as unreachable, at once, while it is down, and admitted again once it is back,
//!   without a restart of the webhook (in `webhook_faults/outages.rs`);
//! - (d) the global cluster's API server, whose watches feed the webhook, is stopped and started
//!   again: no request sent to the webhook fails, during or after (ditto).
//!
//! Each scenario prints the requests sent and failed and the latency percentiles; only counts
//! and verdicts are asserted. `MULTICLOUD_FAULT_SECONDS` sets the seconds of load per phase (3 by
//! default, the short form every test run includes) and `MULTICLOUD_FAULT_RATE` the requests per
//! second (1,000); `scripts/fault-webhook.sh` runs the long form and prints the numbers.

#[path = "webhook_faults/client.rs"]
mod client;
#[path = "webhook_faults/load.rs"]
mod load;
#[path = "webhook_faults/outages.rs"]
mod outages;
#[path = "webhook_faults/rotation.rs"]
mod rotation;
#[path = "webhook_faults/support.rs"]
mod support;

use std::time::{Duration, Instant};

use client::{Connection, Outcome};
use load::{Load, Shape, Summary, examples};
use multicloud_e2e::wait::eventually_within;
use multicloud_e2e::webhook::Webhook;
use rotation::RotatingWebhook;
use support::{rate, reviews, seconds, shape};

/// How often the webhook looks at its certificate files in scenario (a).
const RELOAD_INTERVAL: Duration = Duration::from_millis(200);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_rotation_under_load_fails_no_request() {
    let plane = support::cluster_with_storage().await;
    let interval = format!("{}ms", RELOAD_INTERVAL.as_millis());
    let (webhook, first) = RotatingWebhook::start(
        plane.kubeconfig_path(),
        &["--cert-reload-interval", &interval],
    )
    .await;
    let origin = Instant::now();
    // Connections kept for the whole run, and connections that reconnect every few requests so
    // that handshakes happen all through the rotations.
    let kept = Load::start(&webhook.target, shape(), reviews("kept", "local"), origin);
    let churning = Shape {
        connections: 2,
        rate: rate() / 4,
        reconnect_every: Some(5),
    };
    let churn = Load::start(&webhook.target, churning, reviews("churn", "local"), origin);

    const ROTATIONS: u32 = 5;
    let spacing = (seconds() / (ROTATIONS + 1)).max(Duration::from_millis(300));
    let mut served = first.cert.to_vec();
    let mut pickups = Vec::new();
    for rotation in 0..ROTATIONS {
        tokio::time::sleep(spacing).await;
        let next = webhook.renewed();
        webhook.write_certificate(&next);
        // Twice the reload interval: the webhook reads the mismatched pair at least once.
        tokio::time::sleep(RELOAD_INTERVAL * 2).await;
        if rotation == ROTATIONS / 2 {
            webhook.break_certificate();
            tokio::time::sleep(RELOAD_INTERVAL * 2).await;
            webhook.write_certificate(&next);
        }
        let presented = Connection::open(&webhook.target)
            .await
            .expect("a new connection while the files do not match")
            .certificate;
        assert!(
            presented == served,
            "rotation {rotation}: a half-written pair was served"
        );
        webhook.write_key(&next);
        let written = Instant::now();
        eventually_within(Duration::from_secs(10), "the new certificate", || async {
            let connection = Connection::open(&webhook.target)
                .await
                .map_err(|o| format!("{o:?}"))?;
            if connection.certificate == next.cert.as_ref() {
                Ok(())
            } else {
                Err("the previous certificate is still served".to_owned())
            }
        })
        .await;
        pickups.push(written.elapsed());
        served = next.cert.to_vec();
    }
    tokio::time::sleep(spacing).await;
    let mut samples = kept.stop().await;
    let churned = churn.stop().await;
    let handshakes = churned.len() / 5;
    samples.extend(churned);

    let failed = |s: &load::Sample| s.outcome != Outcome::Admitted;
    let summary = Summary::of(&samples, failed);
    println!("## (a) certificate files rotated {ROTATIONS} times under load");
    println!(
        "{}",
        summary.line(&format!(
            "direct, {} kept-alive and 2 reconnecting connections (~{handshakes} handshakes)",
            shape().connections
        ))
    );
    println!(
        "  - rotations: each served to new connections within {:.0} ms of the key being \
         written (reload every {} ms); a half-written pair and a broken file never served",
        pickups
            .iter()
            .max()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1000.0,
        RELOAD_INTERVAL.as_millis()
    );
    assert_eq!(
        summary.failed,
        0,
        "failed requests during the rotations:\n{}",
        examples(&samples, failed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_answers_what_was_received_and_refuses_the_rest() {
    let plane = support::cluster_with_storage().await;
    // A request for a cluster nobody registered waits `--cluster-wait` before its denial: a
    // request that is certainly received and still being handled when SIGTERM arrives.
    const SLOW: Duration = Duration::from_secs(3);
    let mut webhook = Webhook::start(
        plane.kubeconfig_path(),
        &["--cluster-wait", "3s", "--request-timeout", "5s"],
    )
    .await
    .expect("webhook starts");
    let target = support::target_of(&webhook);
    let origin = Instant::now();
    let fast = Load::start(&target, shape(), reviews("fast", "local"), origin);
    tokio::time::sleep(seconds()).await;

    let mut slow = tokio::task::JoinSet::new();
    for n in 0..4 {
        let target = target.clone();
        slow.spawn(async move {
            let mut connection = Connection::open(&target).await?;
            let (path, body, uid) = support::review("slow", n * 2, "nowhere");
            let answer = connection.exchange("POST", path, &body).await?;
            Ok::<_, Outcome>(answer.verdict(&uid))
        });
    }
    // Well inside the slow requests' wait: they have been read and are being handled.
    tokio::time::sleep(SLOW / 3).await;
    let signalled = Instant::now();
    let terminated = tokio::task::spawn_blocking(move || {
        let status = webhook.terminate();
        (webhook, status)
    });
    // New connections from the signal on: answered until the listener closes, refused after.
    let mut attempts = Vec::new();
    while !terminated.is_finished() {
        attempts.push(Connection::open(&target).await.err());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (webhook, status) = terminated.await.expect("terminate task");
    let exited = signalled.elapsed();
    let after_exit = Connection::open(&target).await.err();
    let samples = fast.stop().await;
    let mut slow_outcomes = Vec::new();
    while let Some(done) = slow.join_next().await {
        slow_outcomes.push(done.expect("slow request task").unwrap_or_else(|o| o));
    }

    // What a kept-alive connection may see as the server closes it: the one request written
    // as the idle connection was closed goes unanswered (HTTP/1.1 has no way to say which
    // requests were read; HTTP/2's GOAWAY has, and the API server retries those), and a
    // reconnection at the moment the listener closes is reset; after that, refused.
    let unanswered = |s: &load::Sample| matches!(s.outcome, Outcome::Unanswered(_));
    let reset = |s: &load::Sample| matches!(s.outcome, Outcome::Reset(_));
    let failed = |s: &load::Sample| {
        !matches!(
            s.outcome,
            Outcome::Admitted | Outcome::Refused | Outcome::Unanswered(_) | Outcome::Reset(_)
        )
    };
    let summary = Summary::of(&samples, failed);
    let count =
        |matching: &dyn Fn(&load::Sample) -> bool| samples.iter().filter(|s| matching(s)).count();
    let refused = count(&|s| s.outcome == Outcome::Refused);
    let (lost, resets) = (count(&unanswered), count(&reset));
    let first_refusal = attempts.iter().position(|a| a == &Some(Outcome::Refused));
    let (before_refusal, after_refusal) =
        attempts.split_at(first_refusal.unwrap_or(attempts.len()));
    println!("## (b) SIGTERM under load");
    println!(
        "{}",
        summary.line(&format!(
            "direct, {} kept-alive connections",
            shape().connections
        ))
    );
    println!(
        "  - {} slow requests in flight at SIGTERM: {} answered; {} {:.2} s after SIGTERM",
        slow_outcomes.len(),
        slow_outcomes
            .iter()
            .filter(|o| matches!(o, Outcome::Denied(_)))
            .count(),
        status.as_ref().map_or("?".to_owned(), |s| s.to_string()),
        exited.as_secs_f64()
    );
    println!(
        "  - kept-alive connections closed by the drain: {lost} requests written as an idle \
         connection closed went unanswered, {resets} reconnections reset as the listener \
         closed, {refused} refused after"
    );
    println!(
        "  - new connections every 50 ms from SIGTERM on: {} opened, {} reset as the listener \
         closed, then {} refused",
        before_refusal.iter().filter(|a| a.is_none()).count(),
        before_refusal.iter().filter(|a| a.is_some()).count(),
        after_refusal.len()
    );
    let status = status.expect("the webhook exits after SIGTERM");
    assert!(status.success(), "exit status {status}\n{}", webhook.log());
    for outcome in &slow_outcomes {
        assert!(
            matches!(outcome, Outcome::Denied(message) if message.contains("`nowhere` is not registered")),
            "a request received before SIGTERM was not answered: {outcome:?}"
        );
    }
    assert_eq!(
        summary.failed,
        0,
        "answers cut off or failed:\n{}",
        examples(&samples, failed)
    );
    assert!(
        lost <= shape().connections && resets <= shape().connections,
        "more than one request lost per connection:\n{}",
        examples(&samples, |s| unanswered(s) || reset(s))
    );
    // Opened or reset until the listener closed; refused from then on, never anything else.
    assert!(
        before_refusal
            .iter()
            .all(|a| matches!(a, None | Some(Outcome::Reset(_)))),
        "attempts: {attempts:?}"
    );
    assert!(
        after_refusal.iter().all(|a| a == &Some(Outcome::Refused)),
        "attempts: {attempts:?}"
    );
    assert_eq!(after_exit, Some(Outcome::Refused));
}
