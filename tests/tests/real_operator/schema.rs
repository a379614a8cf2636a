//! Our rendering against the operator's own Karmada CRD: every kind of instance renders to a CR
//! the schema accepts, and the schema keeps every field we write. A misspelt field would
//! otherwise be pruned silently, and the operator would install its default instead.

use kube::api::PostParams;
use multicloud_api::karmada::Karmada;
use serde_json::{Value, json};

use super::support::*;

#[tokio::test]
async fn real_operator_crd_accepts_and_keeps_every_rendered_field() {
    let Some(setup) =
        RealOperatorSetup::or_skip("real_operator_crd_accepts_and_keeps_every_rendered_field")
    else {
        return;
    };
    let plane = global_cluster_with_operator_crd(&setup).await;
    let client = plane.client();
    let kinds = [
        (
            "claims",
            json!({"etcd": {"replicas": 3, "storage": {"storageClassName": "fast", "size": "8Gi"}}}),
        ),
        (
            "node-dir",
            json!({"etcd": {"storage": {"type": "HostPath", "hostPath": "/data/etcd"}}}),
        ),
        (
            "scratch",
            json!({"etcd": {"storage": {"type": "EmptyDir"}}}),
        ),
        ("remote", json!({"managementCluster": "edge-1"})),
    ];
    for (name, spec) in kinds {
        let karmada = rendered(name, spec, &local_tarball_url(name));
        let namespace = karmada.metadata.namespace.clone().unwrap_or_default();
        create_karmada_namespace(&client, &namespace).await;
        let stored = api::<Karmada>(&client, &namespace)
            .create(
                &PostParams {
                    dry_run: true,
                    ..PostParams::default()
                },
                &karmada,
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: the operator's CRD refuses our rendering: {e}"));
        let sent = serde_json::to_value(&karmada.spec).expect("encodes");
        let kept = serde_json::to_value(&stored.spec).expect("encodes");
        let mut lost = Vec::new();
        missing(&sent, &kept, "spec", &mut lost);
        assert!(
            lost.is_empty(),
            "{name}: the schema pruned or changed {lost:?}"
        );
    }
}

/// Every leaf of `sent` that `kept` does not hold as sent, by path.
fn missing(sent: &Value, kept: &Value, path: &str, lost: &mut Vec<String>) {
    match sent {
        Value::Object(fields) => {
            for (key, value) in fields {
                let child = kept.get(key).unwrap_or(&Value::Null);
                missing(value, child, &format!("{path}.{key}"), lost);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                let child = kept.get(index).unwrap_or(&Value::Null);
                missing(value, child, &format!("{path}[{index}]"), lost);
            }
        }
        leaf if leaf != kept => lost.push(format!("{path} (sent {leaf}, kept {kept})")),
        _ => {}
    }
}
