//! The committed install manifests of the webhook (`manifests/webhook/`) keep the promises the
//! project makes about them: scoped, fail-closed webhooks with a bounded timeout, a hardened
//! Deployment whose flags the binary accepts, and least-privilege RBAC.

use std::path::PathBuf;

use clap::Parser;
use multicloud_webhook::args::Args;
use serde_json::Value;

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/webhook")
}

/// Every document of `file` (relative to `manifests/webhook/`).
fn documents(file: &str) -> Vec<Value> {
    let path = manifest_dir().join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    multicloud_api::yaml::documents(&text).expect("YAML documents")
}

fn one(file: &str, kind: &str) -> Value {
    let found: Vec<Value> = documents(file)
        .into_iter()
        .filter(|d| d["kind"] == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} in {file}");
    found.into_iter().next().expect("one")
}

fn webhooks() -> Vec<Value> {
    documents("base/webhooks.yaml")
        .iter()
        .flat_map(|configuration| {
            configuration["webhooks"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn webhooks_are_scoped_fail_closed_and_bounded() {
    let webhooks = webhooks();
    assert_eq!(webhooks.len(), 3);
    for webhook in &webhooks {
        let name = webhook["name"].as_str().unwrap_or_default();
        assert_eq!(
            webhook["admissionReviewVersions"],
            serde_json::json!(["v1"]),
            "{name}"
        );
        assert_eq!(webhook["sideEffects"], "None", "{name}");
        assert_eq!(webhook["timeoutSeconds"], 5, "{name}");
        assert_eq!(webhook["failurePolicy"], "Fail", "{name}");
        let path = webhook["clientConfig"]["service"]["path"]
            .as_str()
            .unwrap_or_default();
        assert!(["/mutate", "/validate"].contains(&path), "{name}: {path}");
        for rule in webhook["rules"].as_array().expect("rules") {
            let resources = rule["resources"].as_array().expect("resources");
            assert!(
                resources == &[Value::from("multicloudinstances")]
                    || resources == &[Value::from("secrets")],
                "{name} matches only our resources, not subresources: {resources:?}"
            );
            assert!(!rule["apiGroups"].to_string().contains('*'), "{name}");
        }
        if webhook["rules"].to_string().contains("secrets") {
            assert_eq!(
                webhook["objectSelector"]["matchLabels"]["multicloud.dev/cluster"], "true",
                "{name}: only cluster Secrets reach the webhook"
            );
        }
    }
}

#[test]
fn the_deployment_is_hardened_and_its_flags_are_accepted() {
    let deployment = one("base/deployment.yaml", "Deployment");
    let spec = &deployment["spec"];
    assert!(spec["replicas"].as_i64().unwrap_or(0) >= 2);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert!(
        pod["topologySpreadConstraints"]
            .to_string()
            .contains("kubernetes.io/hostname")
    );
    let container = &pod["containers"][0];
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    for kind in ["requests", "limits"] {
        assert!(container["resources"][kind]["memory"].is_string(), "{kind}");
        assert!(container["resources"][kind]["cpu"].is_string(), "{kind}");
    }
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");

    let flags: Vec<String> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string").to_owned())
        .collect();
    let args = Args::try_parse_from(std::iter::once("multicloud-webhook".to_owned()).chain(flags))
        .unwrap_or_else(|e| panic!("the Deployment's flags: {e}"));
    assert_eq!(args.check(), Ok(()));
    let grace = pod["terminationGracePeriodSeconds"]
        .as_u64()
        .expect("grace period");
    assert!(
        (args.shutdown_delay + args.drain_timeout).as_secs() < grace,
        "the drain fits in the grace period"
    );
    let mount = container["volumeMounts"][0]["mountPath"]
        .as_str()
        .expect("mount");
    assert!(args.tls_cert.starts_with(mount) && args.tls_key.starts_with(mount));
}

#[test]
fn rbac_only_reads_storage_classes_instances_and_system_secrets() {
    let rbac = documents("base/rbac.yaml");
    for role in rbac
        .iter()
        .filter(|d| d["kind"] == "ClusterRole" || d["kind"] == "Role")
    {
        for rule in role["rules"].as_array().expect("rules") {
            let verbs = rule["verbs"].as_array().expect("verbs");
            assert!(
                verbs.iter().all(|v| v == "list" || v == "watch"),
                "read-only: {rule}"
            );
        }
    }
    let cluster_role = rbac
        .iter()
        .find(|d| d["kind"] == "ClusterRole")
        .expect("ClusterRole");
    assert_eq!(
        cluster_role["rules"][0]["resources"],
        serde_json::json!(["storageclasses"])
    );
    // The instance watch that knows every instance's hostPath directory.
    assert_eq!(
        cluster_role["rules"][1]["apiGroups"],
        serde_json::json!(["multicloud.dev"])
    );
    assert_eq!(
        cluster_role["rules"][1]["resources"],
        serde_json::json!(["multicloudinstances"])
    );
    assert_eq!(cluster_role["rules"].as_array().map(Vec::len), Some(2));
    let role = rbac.iter().find(|d| d["kind"] == "Role").expect("Role");
    assert_eq!(role["metadata"]["namespace"], "multicloud-system");
    assert_eq!(
        role["rules"][0]["resources"],
        serde_json::json!(["secrets"])
    );
}

#[test]
fn the_cert_manager_variant_injects_the_ca_into_both_configurations() {
    let kustomization = one("cert-manager/kustomization.yaml", "Kustomization");
    let text = kustomization.to_string();
    assert!(
        text.contains("MutatingWebhookConfiguration")
            && text.contains("ValidatingWebhookConfiguration")
    );
    assert!(text.contains("cert-manager.io/inject-ca-from: multicloud-system/multicloud-webhook"));
    let serving = documents("cert-manager/certificates.yaml")
        .into_iter()
        .find(|d| d["kind"] == "Certificate" && d["metadata"]["name"] == "multicloud-webhook")
        .expect("serving Certificate");
    assert_eq!(serving["spec"]["secretName"], "multicloud-webhook-tls");
    let deployment = one("base/deployment.yaml", "Deployment");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"],
        "multicloud-webhook-tls"
    );
    let pdb = one("base/pdb.yaml", "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["minAvailable"], 1);
}
