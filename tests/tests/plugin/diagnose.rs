//! `diagnose`: a PVC left Pending is found and named with its event (exit status 1); once a
//! volume binds it and the install completes, the instance is reported healthy (exit status 0).

use multicloud_e2e::wait::eventually_within;
use serde_json::Value;

use super::support::*;

#[tokio::test]
async fn diagnose_names_the_pending_pvc_and_its_event_then_reports_healthy() {
    let env = Env::start().await;
    storage_class(&env.client, "standard", true).await;
    env.plugin.run(&["create", "demo"]).await.expect_success();

    // kube-controller-manager's volume binder records why the claim waits: nobody provisions it.
    let pending = eventually_within(
        std::time::Duration::from_secs(90),
        "diagnose to name the PVC's event",
        || async {
            let run = env.plugin.run(&["diagnose", "demo"]).await;
            if run.code == 1 && run.stdout.contains("ExternalProvisioning") {
                Ok(run)
            } else {
                Err(run.to_string())
            }
        },
    )
    .await;
    assert_contains(
        &pending.stdout,
        &[
            "✓   management cluster reachable",
            "✓   StorageClass present",
            "standard (default), binding mode Immediate, provisioner example.com/nobody",
            "✗   etcd PVCs bound",
            "First problem: etcd PVCs bound",
            "cause: PVC etcd-data-demo-karmada-etcd-0 is Pending: ExternalProvisioning:",
            "fix:   the StorageClass's provisioner has not made a volume",
        ],
    );
    let json = env.plugin.run(&["diagnose", "demo", "-o", "json"]).await;
    json.expect_code(1);
    let diagnosis: Value = serde_json::from_str(&json.stdout).expect("diagnose -o json is JSON");
    assert_eq!(diagnosis["healthy"], false);
    // karmada-operator's first step, the CRDs, comes before etcd (operator/pkg/init.go).
    assert_eq!(diagnosis["steps"][1]["step"], "Karmada CRDs downloaded");
    assert_eq!(diagnosis["steps"][3]["step"], "etcd PVCs bound");
    assert_eq!(diagnosis["steps"][3]["verdict"], "failed");

    volume(&env.client, "demo-etcd-0", "standard").await;
    let healthy = eventually_within(
        std::time::Duration::from_secs(90),
        "diagnose to find the instance healthy",
        || async {
            let run = env.plugin.run(&["diagnose", "demo"]).await;
            if run.code == 0 {
                Ok(run)
            } else {
                Err(run.to_string())
            }
        },
    )
    .await;
    assert_contains(
        &healthy.stdout,
        &[
            "✓   karmada-operator CRD present",
            "Healthy: every step is done.",
        ],
    );
}
