use super::*;
use crate::commands::install::certs::{generate, service_names};

fn options(certificates: Certificates) -> Options {
    Options {
        image_repository: None,
        image_tag: None,
        certificates,
        pdb_v1: true,
    }
}

fn self_signed() -> Certificates {
    Certificates::SelfSigned(
        generate(service_names(WEBHOOK, SYSTEM_NAMESPACE)).expect("certificates"),
    )
}

fn kinds(objects: &[Value]) -> Vec<&str> {
    objects
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or_default())
        .collect()
}

#[test]
fn embedded_files_are_exactly_the_kustomizations_resources() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests");
    for (dir, prefix) in [
        ("webhook/base", "webhook/base/"),
        ("controller", "controller/"),
    ] {
        let text = std::fs::read_to_string(root.join(dir).join("kustomization.yaml"))
            .expect("kustomization");
        let mut listed: Vec<String> = kustomization_resources(&text)
            .iter()
            .map(|r| format!("{prefix}{r}"))
            .collect();
        let mut embedded: Vec<String> = FILES
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(path, _)| (*path).to_owned())
            .collect();
        listed.sort();
        embedded.sort();
        assert_eq!(
            embedded, listed,
            "{dir}/kustomization.yaml lists other files than install embeds"
        );
    }
}

#[test]
fn install_set_is_ordered_with_webhook_configurations_last() {
    let objects = install_set(&options(self_signed())).expect("builds");
    let kinds = kinds(&objects);
    assert_eq!(kinds.first(), Some(&"Namespace"));
    assert_eq!(kinds.get(1), Some(&"CustomResourceDefinition"));
    assert_eq!(
        &kinds[kinds.len() - 2..],
        [
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration"
        ]
    );
    assert!(kinds.contains(&"Secret"));
    assert!(!kinds.contains(&"Certificate"));
    for object in &objects {
        assert_eq!(
            object["metadata"]["labels"][PART_OF.0],
            PART_OF.1,
            "{}",
            describe(object)
        );
    }
}

#[test]
fn self_signed_install_sets_the_ca_bundle_of_every_webhook() {
    let Certificates::SelfSigned(pki) = self_signed() else {
        unreachable!()
    };
    let objects = install_set(&options(Certificates::SelfSigned(pki.clone()))).expect("builds");
    let bundle =
        serde_json::to_value(k8s_openapi::ByteString(pki.ca_pem.into_bytes())).expect("base64");
    let mut webhooks = 0;
    for object in objects.iter().filter(|o| {
        o["kind"]
            .as_str()
            .is_some_and(|k| k.ends_with("WebhookConfiguration"))
    }) {
        for webhook in object["webhooks"].as_array().expect("webhooks") {
            assert_eq!(webhook["clientConfig"]["caBundle"], bundle);
            webhooks += 1;
        }
    }
    assert!(webhooks >= 2, "mutating and validating webhooks");
    let secret = objects
        .iter()
        .find(|o| o["kind"] == "Secret")
        .expect("TLS Secret");
    assert_eq!(secret["metadata"]["name"], WEBHOOK_TLS_SECRET);
    assert_eq!(secret["type"], "kubernetes.io/tls");
}

#[test]
fn cert_manager_install_has_issuers_and_injection_instead_of_a_secret() {
    let objects = install_set(&options(Certificates::CertManager)).expect("builds");
    let kinds = kinds(&objects);
    assert!(kinds.contains(&"Certificate") && kinds.contains(&"Issuer"));
    assert!(!kinds.contains(&"Secret"));
    for object in objects.iter().filter(|o| {
        o["kind"]
            .as_str()
            .is_some_and(|k| k.ends_with("WebhookConfiguration"))
    }) {
        assert_eq!(
            object["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            "multicloud-system/multicloud-webhook"
        );
    }
}

#[test]
fn images_take_the_given_repository_and_tag() {
    let options = Options {
        image_repository: Some("registry.example.com/mc/".into()),
        image_tag: Some("v9.9.9".into()),
        ..options(Certificates::CertManager)
    };
    assert_eq!(
        retag("ghcr.io/multicloud-dev/multicloud-webhook:v0.1.0", &options),
        "registry.example.com/mc/multicloud-webhook:v9.9.9"
    );
    let keep = self::options(Certificates::CertManager);
    assert_eq!(
        retag("localhost:5000/x/multicloud-controller", &keep),
        "localhost:5000/x/multicloud-controller:latest"
    );
    let objects = install_set(&options).expect("builds");
    let images: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "Deployment")
        .filter_map(|o| o["spec"]["template"]["spec"]["containers"][0]["image"].as_str())
        .collect();
    assert_eq!(images.len(), 2);
    assert!(
        images
            .iter()
            .all(|i| i.starts_with("registry.example.com/mc/") && i.ends_with(":v9.9.9")),
        "{images:?}"
    );
}

#[test]
fn clusters_without_policy_v1_get_v1beta1_disruption_budgets() {
    let options = Options {
        pdb_v1: false,
        ..options(Certificates::CertManager)
    };
    let objects = install_set(&options).expect("builds");
    let pdb = objects
        .iter()
        .find(|o| o["kind"] == "PodDisruptionBudget")
        .expect("a PDB");
    assert_eq!(pdb["apiVersion"], "policy/v1beta1");
}
