//! `install` / `uninstall`: the CRD, the namespace, the webhook and the controller, from the
//! manifests embedded in the binary, server-side applied (so running it again changes nothing),
//! with a self-signed certificate for the webhook or one from cert-manager.

mod apply;
mod certs;
mod images;
mod manifests;

use std::time::Duration;

use clap::Args;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use multicloud_api::keys::{FINALIZER, SYSTEM_NAMESPACE};

use self::apply::Applied;
use self::manifests::{
    Certificates, Options, WEBHOOK, WEBHOOK_TLS_SECRET, describe, install_set, yaml_stream,
};
use crate::context::Context;
use crate::error::{CmdError, report_line};
use crate::flags::{Connection, OutputFormat, formats};
use crate::instances;
use crate::observe::karmada_crd_name;
use crate::output::{Output, list_value, to_json};

/// Why `install --dry-run` printed no certificate, on stderr.
const WITHHELD: &str = "the webhook's self-signed certificate is left out (its Secret would hold \
     a private key): `kubectl multicloud install` makes it in the cluster; for a file to keep, \
     use --cert-manager; --include-private-key prints the Secret and its CA (keep that out of Git)";

/// The same, atop the YAML, so that the file says why it is not complete.
const WITHHELD_COMMENT: &str = "\
# The webhook's self-signed certificate is not in this file: its Secret would hold a private key.
# Applied as it is, the webhooks have no caBundle and the API server cannot call them (writes of
# MulticloudInstances fail; nothing else is affected). Either
#  - run `kubectl multicloud install`, which makes the certificate in the cluster, or
#  - print a file to keep with `kubectl multicloud install --dry-run --cert-manager` (cert-manager
#    issues the certificate), or
#  - add --include-private-key to print the Secret multicloud-webhook-tls and its CA; keep that
#    output out of Git.
";

/// How long `--dry-run` waits for the cluster to tell which PodDisruptionBudget API it serves.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Flags of `install`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    kubectl multicloud install\n  \
    kubectl multicloud install --cert-manager --image-tag v0.1.1\n  \
    kubectl multicloud install --dry-run --cert-manager > multicloud.yaml\n\n\
    --dry-run leaves out the self-signed certificate's Secret (it holds a private key) and the\n\
    CA it would put into the webhooks, unless --include-private-key asks for them; keep that\n\
    output out of Git. With --cert-manager nothing secret is printed.")]
pub struct InstallArgs {
    /// Have cert-manager issue the webhook's certificate (and inject its CA) instead of a
    /// self-signed one made here.
    #[arg(long)]
    pub cert_manager: bool,

    /// Tag of the webhook and controller images.
    #[arg(long, value_name = "TAG", default_value = images::TAG)]
    pub image_tag: String,

    /// Registry and path of the images, e.g. registry.example.com/multicloud.
    #[arg(long, value_name = "REPOSITORY", default_value = images::REPOSITORY)]
    pub image_repository: String,

    /// Make a new self-signed certificate even if the installed one is still valid.
    #[arg(long, conflicts_with = "cert_manager")]
    pub renew_certificate: bool,

    /// Print what would be applied instead of applying it.
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: also print the self-signed certificate's Secret, private key included,
    /// and its CA in the webhooks.
    #[arg(long, requires = "dry_run", conflicts_with = "cert_manager")]
    pub include_private_key: bool,

    /// Format of --dry-run's output.
    #[arg(short, long, default_value = "yaml", requires = "dry_run", value_parser = formats(&[OutputFormat::Yaml, OutputFormat::Json]))]
    pub output: OutputFormat,

    #[command(flatten)]
    pub connection: Connection,
}

/// Flags of `uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Uninstall even though instances exist. Their Karmada control planes are left running, as
    /// with deletionPolicy Retain; the instances themselves are gone with the CRD.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub connection: Connection,
}

impl InstallArgs {
    /// Installs.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        if self.dry_run {
            return self.dry_run(ctx).await;
        }
        let client = ctx.client().await?;
        let certificates = self.certificates(&client).await?;
        let options = self.options(certificates.clone(), serves_policy_v1(&client).await?);
        let mut out = String::new();
        for object in install_set(&options)? {
            let applied = apply::apply(&client, &object).await?;
            let verb = match applied {
                Applied::Created => "created",
                Applied::Configured => "configured",
                Applied::Unchanged => "unchanged",
            };
            out.push_str(&format!("{} {verb}\n", describe(&object)));
        }
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        let operator = crds
            .get_opt(&karmada_crd_name())
            .await
            .map_err(|e| CmdError::kube("failed to look for karmada-operator's CRD", e))?;
        if operator.is_none() {
            ctx.warnings.push(format!(
                "karmada-operator is not installed ({} is missing): instances will stay Pending \
                 until it is. Install it, e.g. `helm repo add karmada-charts \
                 https://raw.githubusercontent.com/karmada-io/karmada/master/charts && helm install \
                 karmada-operator karmada-charts/karmada-operator -n karmada-system \
                 --create-namespace` (see https://karmada.io/docs/installation/install-karmada-operator)",
                karmada_crd_name()
            ));
        }
        let certificate = match certificates {
            Certificates::CertManager => "issued by cert-manager".to_owned(),
            Certificates::SelfSigned(pki) => format!("self-signed, valid until {}", pki.not_after),
            // Only --dry-run withholds the certificate; an install always has one.
            Certificates::Withheld => "missing".to_owned(),
        };
        out.push_str(&format!(
            "multicloud is installed in namespace {SYSTEM_NAMESPACE} (webhook certificate {certificate}).\n"
        ));
        Ok(Output::text(out))
    }

    async fn dry_run(&self, ctx: &Context) -> Result<Output, CmdError> {
        // The PodDisruptionBudget API depends on the cluster; ask it when one answers quickly.
        let pdb_v1 = match tokio::time::timeout(PROBE_TIMEOUT, async {
            let client = ctx.client().await?;
            serves_policy_v1(&client).await
        })
        .await
        {
            Ok(Ok(v1)) => v1,
            _ => true,
        };
        let certificates = if self.cert_manager {
            Certificates::CertManager
        } else if self.include_private_key {
            Certificates::SelfSigned(certs::generate(certs::service_names(
                WEBHOOK,
                SYSTEM_NAMESPACE,
            ))?)
        } else {
            ctx.warnings.push(WITHHELD.to_owned());
            Certificates::Withheld
        };
        let withheld = matches!(certificates, Certificates::Withheld);
        let objects = install_set(&self.options(certificates, pdb_v1))?;
        let text = match self.output {
            OutputFormat::Json => to_json(&list_value(objects))?,
            _ if withheld => format!("{WITHHELD_COMMENT}{}", yaml_stream(&objects)?),
            _ => yaml_stream(&objects)?,
        };
        Ok(Output::text(text))
    }

    fn options(&self, certificates: Certificates, pdb_v1: bool) -> Options {
        Options {
            image_repository: self.image_repository.clone(),
            image_tag: self.image_tag.clone(),
            certificates,
            pdb_v1,
        }
    }

    /// cert-manager, or the installed self-signed certificate while it is valid, or a new one.
    async fn certificates(&self, client: &Client) -> Result<Certificates, CmdError> {
        if self.cert_manager {
            let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
            let present = crds
                .get_opt("certificates.cert-manager.io")
                .await
                .map_err(|e| CmdError::kube("failed to look for cert-manager's CRDs", e))?;
            if present.is_none() {
                return Err(CmdError::msg(
                    "cert-manager is not installed (no certificates.cert-manager.io CRD); install \
                     it (https://cert-manager.io/docs/installation/) or leave out --cert-manager \
                     for a self-signed certificate",
                ));
            }
            return Ok(Certificates::CertManager);
        }
        let secrets: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
        let existing = secrets.get_opt(WEBHOOK_TLS_SECRET).await.map_err(|e| {
            CmdError::kube(
                format!("failed to read Secret {SYSTEM_NAMESPACE}/{WEBHOOK_TLS_SECRET}"),
                e,
            )
        })?;
        if !self.renew_certificate
            && let Some(pki) = existing
                .as_ref()
                .and_then(|s| certs::reusable(s, Timestamp::now()))
        {
            return Ok(Certificates::SelfSigned(pki));
        }
        // A renewal: the pods change over to the new certificate one by one, some time after
        // the Secret changed; until then the caBundle must trust the CA they serve now too.
        let pki = certs::generate(certs::service_names(WEBHOOK, SYSTEM_NAMESPACE))?
            .replacing(existing.as_ref());
        Ok(Certificates::SelfSigned(pki))
    }
}

/// Whether the cluster serves `policy/v1` (PodDisruptionBudget GA, Kubernetes 1.21+).
async fn serves_policy_v1(client: &Client) -> Result<bool, CmdError> {
    match client.list_api_group_resources("policy/v1").await {
        Ok(resources) => Ok(resources
            .resources
            .iter()
            .any(|r| r.name == "poddisruptionbudgets")),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(false),
        Err(e) => Err(CmdError::kube(
            "failed to ask the cluster which APIs it serves",
            e,
        )),
    }
}

impl UninstallArgs {
    /// Uninstalls.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        // No CRD, no instances.
        let remaining = instances::list_if_installed(&client)
            .await?
            .unwrap_or_default();
        if !remaining.is_empty() && !self.force {
            let names: Vec<&str> = remaining.iter().map(|i| i.name()).collect();
            return Err(CmdError::msg(format!(
                "{} instance(s) exist: {}; delete them first (`kubectl multicloud delete {}`), or \
                 pass --force to uninstall anyway and leave their Karmada control planes running",
                names.len(),
                names.join(", "),
                names.join(" ")
            )));
        }
        // Everything the install set can hold; the self-signed Secret stands in for either source.
        let options = Options {
            pdb_v1: serves_policy_v1(&client).await.unwrap_or(true),
            ..Options::released(Certificates::CertManager)
        };
        let mut objects = install_set(&options)?;
        objects.push(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": { "name": WEBHOOK_TLS_SECRET, "namespace": SYSTEM_NAMESPACE },
        }));
        objects.reverse();
        // The webhooks and the controller go first, so nothing acts on what follows; the CRD and
        // the namespace last.
        let last = |kind: &str| matches!(kind, "CustomResourceDefinition" | "Namespace");
        objects.sort_by_key(|o| last(o["kind"].as_str().unwrap_or_default()));
        let mut out = String::new();
        for object in &objects {
            if object["kind"] == "CustomResourceDefinition" {
                release(&client, &remaining).await?;
            }
            if apply::delete(&client, object).await? {
                out.push_str(&format!("{} deleted\n", describe(object)));
            }
        }
        out.push_str("multicloud is uninstalled.\n");
        Ok(Output::text(out))
    }
}

/// Removes the controller's finalizer from instances left by `--force`, now that no controller
/// will carry out their deletion policy, so that deleting the CRD does not hang on them.
async fn release(
    client: &Client,
    remaining: &[multicloud_api::MulticloudInstance],
) -> Result<(), CmdError> {
    let api = instances::api(client);
    for instance in remaining {
        let finalizers: Vec<&String> = instance
            .metadata
            .finalizers
            .iter()
            .flatten()
            .filter(|f| f.as_str() != FINALIZER)
            .collect();
        let patch = serde_json::json!({ "metadata": { "finalizers": finalizers } });
        if let Err(err) = api
            .patch(
                instance.name(),
                &PatchParams::default(),
                &Patch::Merge(&patch),
            )
            .await
        {
            let err = CmdError::kube(
                format!("failed to release instance `{}`", instance.name()),
                err,
            );
            if err.api_code() != Some(404) {
                return Err(CmdError::msg(report_line(&err)));
            }
        }
    }
    Ok(())
}
