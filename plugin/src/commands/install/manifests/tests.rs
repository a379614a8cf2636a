use super::*;
use crate::commands::install::certs::{generate, secret, service_names};

fn options(certificates: Certificates) -> Options {
    Options::released(certificates)
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

fn manifests_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../manifests")
}

/// The files `dir`'s kustomization takes in, following directories, in their order.
fn kustomized_files(dir: &str) -> Vec<String> {
    let path = manifests_dir().join(dir).join("kustomization.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut files = Vec::new();
    for resource in kustomization_resources(&text) {
        let joined = if dir.is_empty() {
            resource.clone()
        } else {
            format!("{dir}/{resource}")
        };
        // `webhook/cert-manager/../base` is `webhook/base`.
        let mut parts: Vec<&str> = Vec::new();
        for part in joined.split('/') {
            match part {
                ".." => {
                    parts.pop();
                }
                "." | "" => {}
                part => parts.push(part),
            }
        }
        let normal = parts.join("/");
        if manifests_dir().join(&normal).is_dir() {
            files.extend(kustomized_files(&normal));
        } else {
            files.push(normal);
        }
    }
    files
}

#[test]
fn embedded_files_are_exactly_the_top_level_kustomizations_files() {
    let mut listed = kustomized_files("");
    let mut embedded: Vec<String> = FILES
        .iter()
        .chain([&CERT_MANAGER_FILE])
        .map(|(path, _)| (*path).to_owned())
        .collect();
    listed.sort();
    embedded.sort();
    assert_eq!(
        embedded, listed,
        "manifests/kustomization.yaml (with the kustomizations it includes) takes other files \
         than `install` embeds"
    );
}

#[test]
fn every_manifest_of_the_install_set_is_in_the_kustomization() {
    let listed = kustomized_files("");
    let mut missing = Vec::new();
    for dir in [
        "",
        "crd",
        "webhook/base",
        "webhook/cert-manager",
        "controller",
    ] {
        let entries = std::fs::read_dir(manifests_dir().join(dir)).expect("a manifests directory");
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let generated_or_kustomization = name == "install.yaml" || name == "kustomization.yaml";
            if name.ends_with(".yaml") && !generated_or_kustomization && !listed.contains(&path) {
                missing.push(path);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "not in manifests/kustomization.yaml: {missing:?}"
    );
}

#[test]
fn images_of_the_manifests_are_the_released_ones() {
    for (path, text) in FILES {
        for object in documents(path, text).expect("parses") {
            let Some(containers) = object["spec"]["template"]["spec"]["containers"].as_array()
            else {
                continue;
            };
            for container in containers {
                let image = container["image"].as_str().expect("an image");
                let expected =
                    images::reference(images::REPOSITORY, images::name(image), images::TAG);
                assert_eq!(
                    image, expected,
                    "manifests/{path}: the image differs from the workspace version; \
                     regenerate with `UPDATE_MANIFESTS=1 cargo test -p kubectl-multicloud install_yaml`"
                );
            }
        }
    }
}

/// Rewrites each `image:` line of the embedded Deployments to the released image.
fn update_images() {
    for (path, text) in FILES {
        let mut updated = String::new();
        for line in text.split_inclusive('\n') {
            match line.split_once("image: ") {
                Some((indent, image)) if indent.trim().is_empty() || indent.trim() == "-" => {
                    let name = images::name(image.trim());
                    updated.push_str(&format!(
                        "{indent}image: {}\n",
                        images::reference(images::REPOSITORY, name, images::TAG)
                    ));
                }
                _ => updated.push_str(line),
            }
        }
        if updated != *text {
            std::fs::write(manifests_dir().join(path), updated).expect("writes the manifest");
        }
    }
}

#[test]
fn install_yaml_is_the_rendered_kustomization() {
    let path = manifests_dir().join("install.yaml");
    if std::env::var_os("UPDATE_MANIFESTS").is_some() {
        // install.yaml takes its images from `images`, not from the files rewritten here (this
        // build embeds their former text), so it is right at once.
        update_images();
        std::fs::write(&path, install_yaml().expect("renders")).expect("writes install.yaml");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == install_yaml().expect("renders"),
        "manifests/install.yaml is stale; regenerate it with \
         `UPDATE_MANIFESTS=1 cargo test -p kubectl-multicloud install_yaml`"
    );
}

#[test]
fn install_yaml_holds_no_key_and_every_object_of_the_install() {
    let text = install_yaml().expect("renders");
    assert!(!text.contains("PRIVATE KEY"));
    let objects = documents("install.yaml", &text).expect("parses");
    let kinds = kinds(&objects);
    for kind in [
        "Namespace",
        "CustomResourceDefinition",
        "Issuer",
        "Certificate",
        "Deployment",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(!kinds.contains(&"Secret"));
}

/// Where kustomize can be had (`kubectl kustomize`), it renders the same objects as the install
/// set. Most machines of this project have no kubectl; the drift test above holds without it.
#[test]
fn kustomize_renders_the_objects_of_install_yaml_where_kubectl_is_installed() {
    let Ok(output) = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(manifests_dir())
        .output()
    else {
        eprintln!("no kubectl on the PATH: kustomize's rendering is not compared");
        return;
    };
    assert!(
        output.status.success(),
        "kubectl kustomize manifests/: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let key = |o: &Value| {
        format!(
            "{} {} {}",
            describe(o),
            o["metadata"]["namespace"].as_str().unwrap_or_default(),
            o["apiVersion"]
        )
    };
    let sorted = |mut objects: Vec<Value>| {
        objects.sort_by_key(key);
        objects
    };
    let kustomized =
        sorted(documents("kustomize", &String::from_utf8_lossy(&output.stdout)).expect("parses"));
    let ours = sorted(install_set(&options(Certificates::CertManager)).expect("builds"));
    assert_eq!(
        kustomized.iter().map(key).collect::<Vec<_>>(),
        ours.iter().map(key).collect::<Vec<_>>()
    );
    for (theirs, ours) in kustomized.iter().zip(&ours) {
        assert_eq!(theirs, ours, "{}", key(ours));
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
        image_repository: "registry.example.com/mc/".into(),
        image_tag: "v9.9.9".into(),
        ..options(Certificates::CertManager)
    };
    assert_eq!(
        retag("ghcr.io/multicloud-dev/multicloud-webhook:v0.1.0", &options),
        "registry.example.com/mc/multicloud-webhook:v9.9.9"
    );
    assert_eq!(
        retag("localhost:5000/x/multicloud-controller", &options),
        "registry.example.com/mc/multicloud-controller:v9.9.9"
    );
    let objects = install_set(&options).expect("builds");
    let images: Vec<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "Deployment")
        .filter_map(|o| o["spec"]["template"]["spec"]["containers"][0]["image"].as_str())
        .collect();
    assert_eq!(
        images,
        [
            "registry.example.com/mc/multicloud-webhook:v9.9.9",
            "registry.example.com/mc/multicloud-controller:v9.9.9"
        ]
    );
}

#[test]
fn withheld_certificates_leave_out_the_secret_and_every_ca_bundle() {
    let objects = install_set(&options(Certificates::Withheld)).expect("builds");
    let kinds = kinds(&objects);
    assert!(!kinds.contains(&"Secret") && !kinds.contains(&"Certificate"));
    let webhooks: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            o["kind"]
                .as_str()
                .is_some_and(|k| k.ends_with("WebhookConfiguration"))
        })
        .collect();
    assert_eq!(webhooks.len(), 2);
    for object in webhooks {
        for webhook in object["webhooks"].as_array().expect("webhooks") {
            assert!(
                webhook["clientConfig"].get("caBundle").is_none(),
                "{webhook}"
            );
        }
        assert!(object["metadata"].get("annotations").is_none());
    }
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

#[test]
fn a_renewal_trusts_both_cas_before_the_new_certificate_is_applied() {
    let names = || service_names(WEBHOOK, SYSTEM_NAMESPACE);
    let old = generate(names()).expect("certificates");
    let installed = secret(WEBHOOK_TLS_SECRET, SYSTEM_NAMESPACE, &old);
    let new = generate(names())
        .expect("certificates")
        .replacing(Some(&installed));
    let objects = install_set(&options(Certificates::SelfSigned(new.clone()))).expect("builds");
    let position = |kind: &str| {
        objects
            .iter()
            .position(|o| o["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind}"))
    };
    assert!(position("MutatingWebhookConfiguration") < position("Secret"));
    assert!(position("ValidatingWebhookConfiguration") < position("Secret"));
    let bundle = serde_json::to_value(k8s_openapi::ByteString(
        format!("{}{}", new.ca_pem, old.ca_pem).into_bytes(),
    ))
    .expect("base64");
    let configuration = &objects[position("ValidatingWebhookConfiguration")];
    for webhook in configuration["webhooks"].as_array().expect("webhooks") {
        assert_eq!(webhook["clientConfig"]["caBundle"], bundle);
    }
    let secret = &objects[position("Secret")];
    assert!(secret["data"]["previous-ca.crt"].is_string());

    // A first install keeps the webhook configurations last.
    let first = install_set(&options(Certificates::SelfSigned(old))).expect("builds");
    assert_eq!(
        first.last().map(|o| o["kind"].as_str()),
        Some(Some("ValidatingWebhookConfiguration"))
    );
}
