//! `create --wait` against karmada-operator's real condition sequence: a failed run is retried
//! (`operator/pkg/controller/karmada/planner.go` writes `Failed`, the requeued run writes
//! `Progressing` again, then `Completed`), so `--wait` rides it out; only a validation refusal
//! is final (`operator/pkg/controller/karmada/validating.go`, `ValidationError`, no requeue),
//! and `--wait` fails with the operator's message.

use std::time::Duration;

use kube::api::Api;
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::Karmada;
use multicloud_e2e::wait::eventually;

use super::support::*;

#[tokio::test]
async fn create_wait_rides_out_the_operators_retried_failures_and_succeeds() {
    // The stand-in gives up each wait for a component after 3 s, as the real one does after
    // 120 s (operator/pkg/tasks/init/wait.go).
    let env = Env::start_with(Setup {
        component_wait: Duration::from_secs(3),
        ..Setup::default()
    })
    .await;
    storage_class(&env.client, "standard", true).await;
    let waiting = env
        .plugin
        .spawn(&["create", "demo", "--wait", "--timeout", "3m"]);

    // No volume yet: the etcd PVC stays Pending, the operator's etcd wait times out, it
    // writes Failed and runs again, twice at least while `--wait` watches.
    let karmadas: Api<Karmada> = Api::namespaced(env.client.clone(), "k-demo");
    eventually("karmada-operator to report Failed", || async {
        let cr = karmadas.get("demo").await.map_err(|e| e.to_string())?;
        match cr.status.as_ref().and_then(|s| s.ready()) {
            Some(c) if c.reason == "Failed" => Ok(()),
            other => Err(format!("Ready {other:?}")),
        }
    })
    .await;
    let instances: Api<MulticloudInstance> = Api::all(env.client.clone());
    let retried = eventually("two failed runs, counted", || async {
        let found = instances.get("demo").await.map_err(|e| e.to_string())?;
        let status = found.status.clone().unwrap_or_default();
        match status.install.as_ref().map(|i| i.failures) {
            Some(n) if n >= 2 => Ok(status),
            other => Err(format!("failures {other:?}; {status:?}")),
        }
    })
    .await;
    assert_ne!(
        retried.phase,
        Some(multicloud_api::Phase::Failed),
        "a retried failure is not final: {retried:?}"
    );

    volume(&env.client, "demo-etcd-0", "standard").await;
    let created = waiting.finish().await;
    created.expect_success();
    assert_contains(
        &created.stdout,
        &["multicloudinstance.multicloud.dev/demo is Running"],
    );
    assert_contains(&created.stderr, &["✓ etcd PVCs bound", "✓ Ready"]);
    assert!(!created.stderr.contains('✗'), "no step failed: {created}");
}

#[tokio::test]
async fn create_wait_fails_at_once_with_the_operators_message_when_it_refuses_the_spec() {
    // No webhook: an instance the admission rules would deny reaches karmada-operator.
    let env = Env::start_with(Setup {
        webhook_registered: false,
        ..Setup::default()
    })
    .await;
    let refused = env
        .plugin
        .run(&[
            "create",
            "bad",
            "--ephemeral",
            "--crd-tarball-url",
            "not a url",
            "--skip-client-checks",
            "--wait",
            "--timeout",
            "3m",
        ])
        .await;
    refused.expect_code(1);
    assert_contains(
        &refused.stderr,
        &[
            "instance `bad` failed at step",
            "ValidationError",
            "will not retry",
            "spec.crdTarball.httpSource.url: Invalid value: \"not a url\": invalid CRDs remote URL",
            "kubectl multicloud diagnose bad",
        ],
    );
    assert!(
        !refused.stderr.contains("timed out"),
        "it failed on the refusal, not at the timeout: {refused}"
    );
}

#[tokio::test]
async fn diagnose_names_a_failed_crd_download_as_such() {
    let env = Env::start().await;
    // A port nothing listens on: karmada-operator's first task cannot fetch the tarball.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let url = format!("http://{closed}/karmada/v1.18.2/crds.tar.gz");
    env.plugin
        .run(&["create", "air", "--ephemeral", "--crd-tarball-url", &url])
        .await
        .expect_success();

    let diagnosed = eventually("diagnose to name the CRD download", || async {
        let run = env.plugin.run(&["diagnose", "air"]).await;
        if run.code == 1
            && run
                .stdout
                .contains("First problem: Karmada CRDs downloaded")
        {
            Ok(run)
        } else {
            Err(run.to_string())
        }
    })
    .await;
    assert_contains(
        &diagnosed.stdout,
        &[
            "karmada-operator could not fetch the Karmada CRDs",
            &format!("failed to download CRD tar, err: Get \"{url}\""),
            "spec.crdTarball",
        ],
    );
}
