//! An instance made by our controller, installed by the real operator as far as a cluster
//! without a kubelet lets it (the objects it makes, with the names `multicloud_api::names`
//! expects, and what it writes into the CR our controller rendered), then deleted through our
//! controller: the operator's teardown, then our namespace deletion, leave nothing behind.

use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim};
use kube::api::{Api, DeleteParams, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::names::{self, KarmadaObjects};
use multicloud_api::{MulticloudInstance, Phase};
use multicloud_e2e::controller::Controller;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn real_operator_installs_and_deletes_a_controller_rendered_instance() {
    let Some(setup) = RealOperatorSetup::or_skip(
        "real_operator_installs_and_deletes_a_controller_rendered_instance",
    ) else {
        return;
    };
    let plane = global_cluster_with_operator_crd(&setup).await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    let instance: MulticloudInstance = from_json(json!({
        "apiVersion": "multicloud.dev/v1alpha1",
        "kind": "MulticloudInstance",
        "metadata": {"name": "alpha"},
        "spec": {"etcd": {"storage": {"size": "2Gi"}}}
    }));
    Api::<MulticloudInstance>::all(client.clone())
        .create(&PostParams::default(), &instance)
        .await
        .expect("instance is created");
    let namespace = names::namespace("alpha");
    let karmadas = api::<Karmada>(&client, &namespace);
    let rendered = exists(&karmadas, &names::karmada("alpha")).await;

    // The operator must find the tarball our rendering names (or, naming none, its default at
    // its own version) in its cache before it starts: it would download it otherwise.
    let rendered_json = serde_json::to_value(&rendered).expect("encodes");
    let url = rendered_json["spec"]["crdTarball"]["httpSource"]["url"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| default_crd_tarball_url(&setup.version()));
    let _cache = CrdCache::fill(&url);
    let mut operator = RealOperator::start(&setup, &plane);

    // It takes the CR over: its finalizer, the cascading-deletion label set to "false", every
    // default written into the spec, then the init workflow's Progressing.
    object_where(
        &karmadas,
        "alpha",
        "the operator's finalizer and label",
        |k| {
            let finalizers = k.metadata.finalizers.clone().unwrap_or_default();
            let labels = k.metadata.labels.clone().unwrap_or_default();
            if !finalizers.iter().any(|f| f == FINALIZER) {
                return Err(format!("finalizers {finalizers:?}"));
            }
            match labels
                .get(DISABLE_CASCADING_DELETION_LABEL)
                .map(String::as_str)
            {
                Some("false") => Ok(()),
                other => Err(format!("label {other:?}")),
            }
        },
    )
    .await;
    let karmada = object_where(&karmadas, "alpha", "Progressing", reason_is("Progressing")).await;
    let condition = ready(&karmada).cloned().unwrap_or_default();
    assert_eq!(condition.status, "False");
    assert_eq!(condition.message, "karmada init job is in progressing");

    let objects = KarmadaObjects::for_instance("alpha");
    let statefulset = installed_up_to_etcd(&client, &karmada).await;
    let spec = statefulset.spec.clone().unwrap_or_default();
    assert_eq!(spec.replicas, Some(1), "the instance's etcd replicas");
    assert_eq!(
        claim_templates(&statefulset).collect::<Vec<_>>(),
        vec!["etcd-data".to_owned()],
        "the claim template keeps the operator's fixed name whatever the CR's template says"
    );
    let claim = Api::<PersistentVolumeClaim>::namespaced(client.clone(), &namespace)
        .get(&objects.etcd_pvc(0))
        .await
        .expect("etcd's first PVC has the name multicloud_api::names expects");
    let requested = claim
        .spec
        .and_then(|s| s.resources)
        .and_then(|r| r.requests)
        .and_then(|r| r.get("storage").cloned())
        .map(|q| q.0);
    assert_eq!(requested.as_deref(), Some("2Gi"), "the instance's size");
    let args = etcd_arguments(&statefulset);
    assert!(
        args.iter().any(|a| a == "--initial-cluster-state=new"),
        "etcd always starts a new cluster: {args:?}"
    );
    let namespace_object = Api::<Namespace>::all(client.clone())
        .get(&namespace)
        .await
        .expect("the instance namespace exists");
    assert!(namespace_object.metadata.deletion_timestamp.is_none());

    // What the operator defaulted: components our rendering leaves out run at the operator's
    // own version (operator/pkg/apis/operator/v1alpha1/defaults.go).
    let defaulted = serde_json::to_value(
        karmadas
            .get("alpha")
            .await
            .expect("the Karmada CR reads back"),
    )
    .expect("encodes");
    let adapter_tag = defaulted["spec"]["components"]["karmadaMetricsAdapter"]["imageTag"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let rendered_adapter_tag =
        rendered_json["spec"]["components"]["karmadaMetricsAdapter"]["imageTag"]
            .as_str()
            .map(str::to_owned);
    assert_eq!(
        adapter_tag,
        rendered_adapter_tag.unwrap_or_else(|| setup.version()),
        "metrics-adapter runs the rendered tag, or the operator's own version"
    );
    eprintln!(
        "observed: status.observedGeneration = {}, spec.components after defaulting = {}",
        defaulted["status"]["observedGeneration"], defaulted["spec"]["components"]
    );

    // Our controller reads the operator's Progressing as an install under way.
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    eventually("alpha: Provisioning", || async {
        let found = instances.get("alpha").await.map_err(|e| e.to_string())?;
        match found.status.as_ref().and_then(|s| s.phase) {
            Some(Phase::Provisioning) => Ok(()),
            other => Err(format!("phase {other:?}")),
        }
    })
    .await;

    // Deleted with the Delete policy. The operator's run is waiting 120 s for etcd's pods and
    // would see the deletion only then: it is restarted instead (see `deletion.rs`).
    operator.stop();
    instances
        .delete("alpha", &DeleteParams::default())
        .await
        .expect("delete is accepted");
    operator.restart();
    until_gone(&instances, "alpha").await;
    until_gone(&karmadas, "alpha").await;
    // The namespace goes with everything in it, etcd's PVC included, which the operator's
    // teardown leaves.
    until_gone(&Api::<Namespace>::all(client.clone()), &namespace).await;
}
