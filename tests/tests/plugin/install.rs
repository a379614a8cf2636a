//! `install` and `uninstall` against a bare cluster: the `--dry-run -o yaml` output applies as
//! is, installing twice changes nothing the second time, and uninstall refuses while instances
//! exist unless forced.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{Discovery, Scope};
use multicloud_api::MulticloudInstance;
use multicloud_e2e::operator::from_json;
use multicloud_e2e::plugin::Plugin;
use multicloud_e2e::wait::eventually;
use multicloud_testenv::ControlPlane;
use serde_json::{Value, json};

use super::support::*;

/// Server-side applies every document of `yaml`, as `kubectl apply --server-side -f` would.
async fn apply_all(client: &kube::Client, yaml: &str) -> usize {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .expect("discovery");
    let mut applied = 0;
    for value in multicloud_api::yaml::documents::<Value>(yaml).expect("YAML documents") {
        let object: DynamicObject = from_json(value.clone());
        let types = object.types.clone().expect("apiVersion and kind");
        let gvk = GroupVersionKind::try_from(&types).expect("valid apiVersion");
        let (resource, capabilities) = discovery
            .resolve_gvk(&gvk)
            .unwrap_or_else(|| panic!("the cluster serves {gvk:?}"));
        let api: Api<DynamicObject> =
            match (capabilities.scope, object.metadata.namespace.as_deref()) {
                (Scope::Namespaced, Some(namespace)) => {
                    Api::namespaced_with(client.clone(), namespace, &resource)
                }
                (Scope::Namespaced, None) => {
                    Api::default_namespaced_with(client.clone(), &resource)
                }
                (Scope::Cluster, _) => Api::all_with(client.clone(), &resource),
            };
        let name = object.metadata.name.clone().expect("a name");
        api.patch(
            &name,
            &PatchParams::apply("e2e-kubectl").force(),
            &Patch::Apply(&value),
        )
        .await
        .unwrap_or_else(|e| panic!("{} {name} applies: {e}", types.kind));
        applied += 1;
    }
    applied
}

#[tokio::test]
async fn install_dry_run_applies_as_is_install_is_idempotent_and_uninstall_guards_instances() {
    let plane = ControlPlane::start().await.expect("control plane starts");
    let client = plane.client();
    let plugin = Plugin::new(plane.kubeconfig_path()).expect("kubectl-multicloud is built");

    let dry_run = plugin.run(&["install", "--dry-run", "-o", "yaml"]).await;
    dry_run.expect_success();
    let applied = apply_all(&client, &dry_run.stdout).await;
    assert!(applied >= 15, "the whole install set: {applied} objects");

    let first = plugin.run(&["install"]).await;
    first.expect_success();
    assert_contains(
        &first.stdout,
        &[
            "namespace/multicloud-system",
            "customresourcedefinition.apiextensions.k8s.io/multicloudinstances.multicloud.dev",
            "deployment.apps/multicloud-webhook",
            "deployment.apps/multicloud-controller",
            "secret/multicloud-webhook-tls",
            "validatingwebhookconfiguration.admissionregistration.k8s.io/multicloud-webhook",
            "multicloud is installed in namespace multicloud-system (webhook certificate self-signed",
        ],
    );
    assert_contains(
        &first.stderr,
        &["Warning: karmada-operator is not installed"],
    );
    let webhook = Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .get("multicloud-webhook")
        .await
        .expect("validating webhook is registered");
    let bundle = webhook.webhooks.unwrap_or_default()[0]
        .client_config
        .ca_bundle
        .clone()
        .expect("caBundle is set");
    assert!(String::from_utf8_lossy(&bundle.0).starts_with("-----BEGIN CERTIFICATE-----"));

    let second = plugin.run(&["install"]).await;
    second.expect_success();
    let objects: Vec<&str> = second.stdout.lines().filter(|l| l.contains('/')).collect();
    assert!(objects.len() >= 15, "{second}");
    for line in objects {
        assert!(
            line.ends_with(" unchanged"),
            "a second install changed something: {line}\n{second}"
        );
    }

    // No webhook process serves this cluster: take the configurations out to create an instance.
    Api::<MutatingWebhookConfiguration>::all(client.clone())
        .delete("multicloud-webhook", &DeleteParams::default())
        .await
        .expect("mutating webhook is removed");
    Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .delete("multicloud-webhook", &DeleteParams::default())
        .await
        .expect("validating webhook is removed");
    let instance: MulticloudInstance = from_json(json!({
        "apiVersion": "multicloud.dev/v1alpha1", "kind": "MulticloudInstance",
        "metadata": {"name": "demo", "finalizers": [multicloud_api::keys::FINALIZER]},
        "spec": {"virtualClusterName": "k-demo"}
    }));
    Api::<MulticloudInstance>::all(client.clone())
        .create(&PostParams::default(), &instance)
        .await
        .expect("instance is created");

    let refused = plugin.run(&["uninstall"]).await;
    refused.expect_code(1);
    assert_contains(&refused.stderr, &["1 instance(s) exist: demo", "--force"]);

    let forced = plugin.run(&["uninstall", "--force"]).await;
    forced.expect_success();
    assert_contains(
        &forced.stdout,
        &[
            "deployment.apps/multicloud-webhook deleted",
            "namespace/multicloud-system deleted",
            "multicloud is uninstalled.",
        ],
    );
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    eventually("the instance CRD to be gone", || async {
        match crds.get_opt("multicloudinstances.multicloud.dev").await {
            Ok(None) => Ok(()),
            Ok(Some(_)) => Err("still there".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
}

/// `kubectl apply -f manifests/install.yaml` (the rendering of `kubectl apply -k manifests/`) on
/// a fresh cluster that has cert-manager: every object applies, in the file's order, and applying
/// it again succeeds too.
#[tokio::test]
async fn install_yaml_applies_to_a_fresh_cluster_with_cert_manager() {
    let plane = ControlPlane::start().await.expect("control plane starts");
    let client = plane.client();
    apply_all(&client, include_str!("cert-manager-crds.yaml")).await;
    eventually("cert-manager's kinds to be served", || async {
        let discovery = Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| e.to_string())?;
        let certificate = GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate");
        let issuer = GroupVersionKind::gvk("cert-manager.io", "v1", "Issuer");
        match (
            discovery.resolve_gvk(&certificate),
            discovery.resolve_gvk(&issuer),
        ) {
            (Some(_), Some(_)) => Ok(()),
            _ => Err("not yet in discovery".to_owned()),
        }
    })
    .await;

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests/install.yaml");
    let mut install = std::fs::read_to_string(&path).expect("manifests/install.yaml exists");
    // install.yaml needs Kubernetes 1.21 (PodDisruptionBudget policy/v1); the test's API server
    // is v1.20, where `kubectl multicloud install` applies the same PDB as policy/v1beta1.
    let pdb_v1 = "apiVersion: policy/v1\nkind: PodDisruptionBudget\n";
    let version = client
        .apiserver_version()
        .await
        .expect("the server's version");
    if (version.major.as_str(), version.minor.as_str()) == ("1", "20") {
        assert_eq!(install.matches(pdb_v1).count(), 1, "one policy/v1 PDB");
        install = install.replace(
            pdb_v1,
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n",
        );
    }
    let documents = install.matches("\n---\n").count();
    assert_eq!(apply_all(&client, &install).await, documents);
    assert_eq!(
        apply_all(&client, &install).await,
        documents,
        "applies again"
    );

    let deployments: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "multicloud-system",
        &kube::discovery::ApiResource::from_gvk(&GroupVersionKind::gvk("apps", "v1", "Deployment")),
    );
    let release = env!("CARGO_PKG_VERSION");
    for name in ["multicloud-webhook", "multicloud-controller"] {
        let deployment = deployments.get(name).await.expect("the Deployment exists");
        assert_eq!(
            deployment.data["spec"]["template"]["spec"]["containers"][0]["image"],
            format!("ghcr.io/multicloud-dev/{name}:v{release}")
        );
    }
    let certificates: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "multicloud-system",
        &kube::discovery::ApiResource::from_gvk(&GroupVersionKind::gvk(
            "cert-manager.io",
            "v1",
            "Certificate",
        )),
    );
    let serving = certificates
        .get("multicloud-webhook")
        .await
        .expect("the serving Certificate exists");
    assert_eq!(serving.data["spec"]["secretName"], "multicloud-webhook-tls");
    let webhook = Api::<ValidatingWebhookConfiguration>::all(client.clone())
        .get("multicloud-webhook")
        .await
        .expect("validating webhook is registered");
    assert_eq!(
        webhook
            .metadata
            .annotations
            .unwrap_or_default()
            .get("cert-manager.io/inject-ca-from")
            .map(String::as_str),
        Some("multicloud-system/multicloud-webhook")
    );
}
