//! What karmada-operator writes on a Karmada CR before it installs anything: its finalizer, the
//! `disable-cascading-deletion: "false"` label and the spec's defaults, in one Update
//! (`operator/pkg/controller/karmada/controller.go` `ensureKarmada`, defaults from
//! `operator/pkg/apis/operator/v1alpha1/defaults.go`).

use kube::Client;
use kube::api::{Api, PostParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::observed::operator::{DISABLE_CASCADING_DELETION_LABEL, FINALIZER};
use serde_json::{Value, json};

/// The version this stand-in plays: the tag it gives a karmada component whose CR names none
/// (the real one uses its own version, `defaults.go` `DefaultKarmadaImageVersion`).
pub const OPERATOR_VERSION: &str = "v1.18.2";

/// Default etcd and kube image tags (`operator/pkg/constants/constants.go`).
const ETCD_VERSION: &str = "3.5.16-0";
const KUBE_VERSION: &str = "v1.31.3";

/// Adds the finalizer, the label and the spec defaults where they are missing; true when it
/// wrote the CR.
pub(super) async fn ensure(global: &Client, karmada: &Karmada) -> Result<bool, kube::Error> {
    let mut object = serde_json::to_value(karmada).unwrap_or_default();
    let before = object.clone();
    let metadata = &mut object["metadata"];
    let finalizers = metadata["finalizers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !finalizers.iter().any(|f| f == FINALIZER) {
        let mut finalizers = finalizers;
        finalizers.push(json!(FINALIZER));
        metadata["finalizers"] = json!(finalizers);
    }
    if metadata["labels"][DISABLE_CASCADING_DELETION_LABEL].is_null() {
        if !metadata["labels"].is_object() {
            metadata["labels"] = json!({});
        }
        metadata["labels"][DISABLE_CASCADING_DELETION_LABEL] = json!("false");
    }
    default_spec(&mut object["spec"]);
    if object == before {
        return Ok(false);
    }
    let namespace = karmada.metadata.namespace.as_deref().unwrap_or_default();
    let name = karmada.metadata.name.as_deref().unwrap_or_default();
    let updated: Karmada = serde_json::from_value(object).unwrap_or_else(|_| karmada.clone());
    Api::<Karmada>::namespaced(global.clone(), namespace)
        .replace(name, &PostParams::default(), &updated)
        .await?;
    Ok(true)
}

fn or_default(slot: &mut Value, default: Value) {
    if slot.is_null() {
        *slot = default;
    }
}

fn image(component: &mut Value, repository: &str, tag: &str) {
    or_default(&mut component["imageRepository"], json!(repository));
    or_default(&mut component["imageTag"], json!(tag));
    or_default(&mut component["imagePullPolicy"], json!("IfNotPresent"));
}

/// The defaults of `defaults.go` that change what gets installed.
fn default_spec(spec: &mut Value) {
    if !spec.is_object() {
        *spec = json!({});
    }
    or_default(
        &mut spec["hostCluster"]["networking"]["dnsDomain"],
        json!("cluster.local"),
    );
    let components = &mut spec["components"];
    if components["etcd"]["external"].is_null() {
        let local = &mut components["etcd"]["local"];
        or_default(&mut local["replicas"], json!(1));
        image(local, "registry.k8s.io/etcd", ETCD_VERSION);
        let volume = &mut local["volumeData"];
        if volume["emptyDir"].is_null()
            && volume["hostPath"].is_null()
            && volume["volumeClaim"].is_null()
        {
            volume["emptyDir"] = json!({});
        }
    }
    let apiserver = &mut components["karmadaAPIServer"];
    image(apiserver, "registry.k8s.io/kube-apiserver", KUBE_VERSION);
    or_default(&mut apiserver["replicas"], json!(1));
    or_default(&mut apiserver["serviceSubnet"], json!("10.96.0.0/12"));
    or_default(&mut apiserver["serviceType"], json!("ClusterIP"));
    let kcm = &mut components["kubeControllerManager"];
    image(kcm, "registry.k8s.io/kube-controller-manager", KUBE_VERSION);
    or_default(&mut kcm["replicas"], json!(1));
    for (field, repository, replicas) in [
        (
            "karmadaAggregatedAPIServer",
            "docker.io/karmada/karmada-aggregated-apiserver",
            1,
        ),
        (
            "karmadaControllerManager",
            "docker.io/karmada/karmada-controller-manager",
            1,
        ),
        ("karmadaScheduler", "docker.io/karmada/karmada-scheduler", 1),
        ("karmadaWebhook", "docker.io/karmada/karmada-webhook", 1),
        (
            "karmadaMetricsAdapter",
            "docker.io/karmada/karmada-metrics-adapter",
            2,
        ),
    ] {
        let component = &mut components[field];
        image(component, repository, OPERATOR_VERSION);
        or_default(&mut component["replicas"], json!(replicas));
    }
    let certs = &mut spec["customCertificate"]["certConfig"];
    or_default(&mut certs["expiry"], json!(365));
    or_default(&mut certs["publicKeyAlgorithm"], json!("RSA"));
}
