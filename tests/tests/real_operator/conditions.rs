//! The Ready condition as the real operator writes it while a step keeps failing: every run
//! starts with Progressing (`operator/pkg/apis/operator/v1alpha1/helper.go` clears the
//! conditions), a failed run writes Failed, and the retry writes Progressing again
//! (`operator/pkg/controller/karmada/planner.go`): Failed is not final.

use futures::StreamExt;
use kube::api::{WatchEvent, WatchParams};
use multicloud_api::karmada::Karmada;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn real_operator_writes_failed_then_progressing_again_for_a_name_that_cannot_install() {
    let Some(setup) = RealOperatorSetup::or_skip(
        "real_operator_writes_failed_then_progressing_again_for_a_name_that_cannot_install",
    ) else {
        return;
    };
    let plane = global_cluster_with_operator_crd(&setup).await;
    let client = plane.client();
    // A name that is a DNS-1123 label but does not start with a letter: the operator's etcd
    // Services (`1abc-karmada-etcd`) must be DNS-1035 labels.
    let url = local_tarball_url("1abc");
    let karmada = rendered(
        "1abc",
        json!({"etcd": {"storage": {"type": "EmptyDir"}}}),
        &url,
    );
    let created = create_karmada(&client, &karmada).await;
    let karmadas = api::<Karmada>(&client, "k-1abc");
    let version = created
        .metadata
        .resource_version
        .clone()
        .unwrap_or_default();
    let mut events = karmadas
        .watch(
            &WatchParams::default().fields("metadata.name=1abc"),
            &version,
        )
        .await
        .expect("the CR is watched")
        .boxed();
    let _cache = CrdCache::fill(&url);
    let _operator = RealOperator::start(&setup, &plane);

    // Every write of the condition, in order; repeated writes of one reason count once.
    let mut reasons: Vec<String> = Vec::new();
    let mut failure = String::new();
    let want = ["Progressing", "Failed", "Progressing"];
    let seen = tokio::time::timeout(multicloud_e2e::wait::WAIT, async {
        while let Some(event) = events.next().await {
            let Ok(WatchEvent::Added(karmada) | WatchEvent::Modified(karmada)) = event else {
                continue;
            };
            let Some(condition) = ready(&karmada) else {
                continue;
            };
            if condition.reason == "Failed" {
                failure = condition.message.clone();
            }
            if reasons.last() != Some(&condition.reason) {
                reasons.push(condition.reason.clone());
            }
            if reasons.windows(want.len()).any(|w| w == want) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(seen, Ok(true)),
        "want the reasons {want:?} in order, saw {reasons:?}"
    );
    eprintln!("observed: reasons {reasons:?}; Failed says: {failure}");
    assert!(
        failure.contains("1abc-karmada-etcd"),
        "the failure names the object the API server refused: {failure}"
    );
}
