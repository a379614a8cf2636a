//! The install set: the project's manifests, embedded in the binary, adjusted for one install
//! (images, certificate source, the cluster's PodDisruptionBudget API) and put in apply order.
//! `manifests/install.yaml` is this install set with cert-manager and the default images.

use multicloud_api::keys::SYSTEM_NAMESPACE;
use serde_json::{Value, json};

use super::certs::{Pki, secret};
use super::images;
use crate::error::CmdError;

/// Name of the webhook's Service, Deployment and configurations.
pub const WEBHOOK: &str = "multicloud-webhook";

/// Secret holding the webhook's serving certificate (mounted by its Deployment).
pub const WEBHOOK_TLS_SECRET: &str = "multicloud-webhook-tls";

/// Label on every object of the install set.
pub const PART_OF: (&str, &str) = ("app.kubernetes.io/part-of", "multicloud");

/// The embedded manifests, by path under `manifests/`, in the order of their kustomizations.
pub const FILES: &[(&str, &str)] = &[
    (
        "namespace.yaml",
        include_str!("../../../../manifests/namespace.yaml"),
    ),
    (
        "crd/multicloudinstances.multicloud.dev.yaml",
        include_str!("../../../../manifests/crd/multicloudinstances.multicloud.dev.yaml"),
    ),
    (
        "webhook/base/serviceaccount.yaml",
        include_str!("../../../../manifests/webhook/base/serviceaccount.yaml"),
    ),
    (
        "webhook/base/rbac.yaml",
        include_str!("../../../../manifests/webhook/base/rbac.yaml"),
    ),
    (
        "webhook/base/deployment.yaml",
        include_str!("../../../../manifests/webhook/base/deployment.yaml"),
    ),
    (
        "webhook/base/service.yaml",
        include_str!("../../../../manifests/webhook/base/service.yaml"),
    ),
    (
        "webhook/base/pdb.yaml",
        include_str!("../../../../manifests/webhook/base/pdb.yaml"),
    ),
    (
        "webhook/base/webhooks.yaml",
        include_str!("../../../../manifests/webhook/base/webhooks.yaml"),
    ),
    (
        "controller/serviceaccount.yaml",
        include_str!("../../../../manifests/controller/serviceaccount.yaml"),
    ),
    (
        "controller/rbac.yaml",
        include_str!("../../../../manifests/controller/rbac.yaml"),
    ),
    (
        "controller/deployment.yaml",
        include_str!("../../../../manifests/controller/deployment.yaml"),
    ),
];

/// The cert-manager variant's extra objects (Issuers and Certificates).
pub const CERT_MANAGER_FILE: (&str, &str) = (
    "webhook/cert-manager/certificates.yaml",
    include_str!("../../../../manifests/webhook/cert-manager/certificates.yaml"),
);

/// How the webhook gets its serving certificate.
#[derive(Debug, Clone)]
pub enum Certificates {
    /// Self-signed, made by the plugin: the Secret and the caBundle.
    SelfSigned(Pki),
    /// Issued by cert-manager, its CA injected by cert-manager's CA injector.
    CertManager,
    /// Self-signed, but left out: no Secret (it would hold a private key) and no caBundle. What
    /// `install --dry-run` prints unless asked for the key.
    Withheld,
}

/// Choices of one install.
#[derive(Debug, Clone)]
pub struct Options {
    /// Registry and path of the images, e.g. `ghcr.io/multicloud-dev` ([`images::REPOSITORY`]).
    pub image_repository: String,
    /// Image tag ([`images::TAG`]).
    pub image_tag: String,
    /// The certificate source.
    pub certificates: Certificates,
    /// Whether the cluster serves `policy/v1` (Kubernetes 1.21+); else PDBs use `policy/v1beta1`.
    pub pdb_v1: bool,
}

impl Options {
    /// The published images, with `certificates` and the current PodDisruptionBudget API.
    pub fn released(certificates: Certificates) -> Self {
        Options {
            image_repository: images::REPOSITORY.to_owned(),
            image_tag: images::TAG.to_owned(),
            certificates,
            pdb_v1: true,
        }
    }
}

/// Every object to apply, in apply order.
pub fn install_set(options: &Options) -> Result<Vec<Value>, CmdError> {
    let mut objects = Vec::new();
    for (path, text) in FILES {
        objects.extend(documents(path, text)?);
    }
    match &options.certificates {
        Certificates::SelfSigned(pki) => {
            let tls = secret(WEBHOOK_TLS_SECRET, SYSTEM_NAMESPACE, pki);
            let mut tls = serde_json::to_value(&tls)
                .map_err(|e| CmdError::with_source("failed to render the TLS Secret", e))?;
            tls["apiVersion"] = json!("v1");
            tls["kind"] = json!("Secret");
            objects.push(tls);
        }
        Certificates::CertManager => {
            let (path, text) = CERT_MANAGER_FILE;
            objects.extend(documents(path, text)?);
        }
        Certificates::Withheld => {}
    }
    for object in &mut objects {
        adjust(object, options);
    }
    objects.sort_by_key(order);
    if let Certificates::SelfSigned(pki) = &options.certificates
        && pki.previous_ca_pem.is_some()
    {
        trust_before_secret(&mut objects);
    }
    Ok(objects)
}

/// The objects of one embedded file.
pub fn documents(path: &str, text: &str) -> Result<Vec<Value>, CmdError> {
    let values: Vec<Value> = multicloud_api::yaml::documents(text).map_err(|e| {
        CmdError::with_source(format!("the embedded manifest {path} is not valid YAML"), e)
    })?;
    Ok(values.into_iter().filter(Value::is_object).collect())
}

fn adjust(object: &mut Value, options: &Options) {
    let labels = &mut object["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    labels[PART_OF.0] = json!(PART_OF.1);
    let kind = object["kind"].as_str().unwrap_or_default().to_owned();
    match kind.as_str() {
        "Deployment" => {
            if let Some(containers) =
                object["spec"]["template"]["spec"]["containers"].as_array_mut()
            {
                for container in containers {
                    if let Some(image) = container["image"].as_str() {
                        container["image"] = json!(retag(image, options));
                    }
                }
            }
        }
        "PodDisruptionBudget" if !options.pdb_v1 => object["apiVersion"] = json!("policy/v1beta1"),
        "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration" => {
            match &options.certificates {
                Certificates::SelfSigned(pki) => {
                    let bundle =
                        serde_json::to_value(k8s_openapi::ByteString(pki.ca_bundle().into_bytes()))
                            .unwrap_or(Value::Null);
                    if let Some(webhooks) = object["webhooks"].as_array_mut() {
                        for webhook in webhooks {
                            webhook["clientConfig"]["caBundle"] = bundle.clone();
                        }
                    }
                }
                Certificates::CertManager => {
                    let annotations = &mut object["metadata"]["annotations"];
                    if !annotations.is_object() {
                        *annotations = json!({});
                    }
                    annotations["cert-manager.io/inject-ca-from"] =
                        json!(format!("{SYSTEM_NAMESPACE}/{WEBHOOK}"));
                }
                Certificates::Withheld => {}
            }
        }
        _ => {}
    }
}

/// `image` with its repository and tag replaced as `options` say.
pub fn retag(image: &str, options: &Options) -> String {
    images::reference(
        &options.image_repository,
        images::name(image),
        &options.image_tag,
    )
}

/// `objects` as one YAML stream, each document opened by `---`.
pub fn yaml_stream(objects: &[Value]) -> Result<String, CmdError> {
    let mut text = String::new();
    for object in objects {
        text.push_str("---\n");
        text.push_str(&crate::output::to_yaml(object)?);
    }
    Ok(text)
}

/// What opens `manifests/install.yaml`.
#[cfg(test)]
pub const INSTALL_YAML_HEADER: &str = "\
# multicloud, the whole install set in one file: kubectl apply -f install.yaml
# (namespace multicloud-system, the MulticloudInstance CRD, the webhook with its certificate from
# cert-manager, which must be installed first, and the controller). Needs Kubernetes 1.21 or
# later (PodDisruptionBudget policy/v1); `kubectl multicloud install` also serves older clusters.
# Generated from manifests/kustomization.yaml by the plugin's install set; do not edit. After a
# change to the manifests or the workspace version:
#   UPDATE_MANIFESTS=1 cargo test -p kubectl-multicloud install_yaml
";

/// The text of `manifests/install.yaml`: the cert-manager install set of the released images.
#[cfg(test)]
pub fn install_yaml() -> Result<String, CmdError> {
    let objects = install_set(&Options::released(Certificates::CertManager))?;
    Ok(format!("{INSTALL_YAML_HEADER}{}", yaml_stream(&objects)?))
}

/// Apply order: what others refer to first, the webhook configurations last (so the API server
/// never calls a webhook whose Service and Deployment do not exist yet).
fn order(object: &Value) -> usize {
    const ORDER: [&str; 14] = [
        "Namespace",
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Issuer",
        "Certificate",
        "Secret",
        "Service",
        "Deployment",
        "PodDisruptionBudget",
        "MutatingWebhookConfiguration",
    ];
    let kind = object["kind"].as_str().unwrap_or_default();
    ORDER.iter().position(|k| *k == kind).unwrap_or(ORDER.len())
}

/// During a certificate change-over, the webhook configurations (whose caBundle trusts the old
/// and the new CA) go right before the Secret with the new certificate: a pod that reloads the
/// new certificate quickly must never meet a caBundle that trusts only the old CA. Everything
/// they refer to exists already, from the install being renewed.
fn trust_before_secret(objects: &mut Vec<Value>) {
    let is_configuration = |o: &Value| {
        matches!(
            o["kind"].as_str(),
            Some("MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration")
        )
    };
    let (configurations, mut rest): (Vec<Value>, Vec<Value>) =
        objects.drain(..).partition(is_configuration);
    let at = rest
        .iter()
        .position(|o| o["kind"] == "Secret")
        .unwrap_or(rest.len());
    rest.splice(at..at, configurations);
    *objects = rest;
}

/// `kind/name` (with the group for non-core kinds), as kubectl prints applied objects.
pub fn describe(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or_default().to_lowercase();
    let group = object["apiVersion"]
        .as_str()
        .and_then(|v| v.split_once('/'))
        .map(|(group, _)| format!(".{group}"))
        .unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    format!("{kind}{group}/{name}")
}

/// The resources of a kustomization file (to check the embedded list against).
#[cfg(test)]
pub fn kustomization_resources(text: &str) -> Vec<String> {
    let value: std::collections::BTreeMap<String, Value> =
        multicloud_api::yaml::from_str(text).unwrap_or_default();
    value
        .get("resources")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
