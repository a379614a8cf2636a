//! `create NAME`: builds the instance from flags, runs the admission rules on it with what can be
//! learnt of its management cluster, sends it, and with `--wait` follows the install.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, ValueEnum};
use kube::api::PostParams;
use multicloud_api::instance::CrdTarball;
use multicloud_api::keys::{FIELD_MANAGER, LOCAL_CLUSTER};
use multicloud_api::rules::{Operation, Request, admit};
use multicloud_api::{
    DeletionPolicy, EtcdSpec, EtcdStorage, KarmadaSpec, MulticloudInstance, MulticloudInstanceSpec,
    StorageType,
};

use crate::clusters::{AssumeReady, Learned};
use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{Connection, OutputFormat, formats};
use crate::instances;
use crate::output::{Output, emit, object_value};
use crate::wait;

/// `--dry-run` modes, as kubectl's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    /// Check and print locally; send nothing.
    Client,
    /// Send with dryRun: the API server and the webhooks check it, nothing is stored.
    Server,
}

/// Flags of `create`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    kubectl multicloud create demo --etcd-replicas 3 --wait\n  \
    kubectl multicloud create edge --management-cluster edge-1 --storage-class fast\n  \
    kubectl multicloud create lab --host-path            # not highly available\n  \
    kubectl multicloud create demo --dry-run=client -o yaml")]
pub struct CreateArgs {
    /// Instance name; its virtual cluster is `k-NAME`.
    pub name: String,

    /// Cluster whose nodes run the control plane: `local` or one added with `cluster add`.
    #[arg(long, value_name = "CLUSTER", default_value = LOCAL_CLUSTER)]
    pub management_cluster: String,

    /// StorageClass of etcd's PVCs; default: the management cluster's default class.
    #[arg(long, value_name = "CLASS", conflicts_with_all = ["host_path", "ephemeral"])]
    pub storage_class: Option<String>,

    /// Size of each etcd PVC (default 5Gi).
    #[arg(long, value_name = "SIZE", conflicts_with_all = ["host_path", "ephemeral"])]
    pub storage_size: Option<String>,

    /// Keep etcd's data in a node directory (default /var/lib/multicloud/k-NAME/etcd): no
    /// StorageClass needed, but not highly available.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "", conflicts_with = "ephemeral")]
    pub host_path: Option<String>,

    /// Keep etcd's data in an emptyDir, lost when the pod restarts (for tests).
    #[arg(long)]
    pub ephemeral: bool,

    /// etcd members: 1, 3, 5 or 7 (3 or more with PVC storage is highly available).
    #[arg(long, value_name = "N")]
    pub etcd_replicas: Option<i32>,

    /// karmada release every component runs, e.g. v1.18.2 (the default).
    #[arg(long, value_name = "VERSION")]
    pub karmada_version: Option<String>,

    /// Pull every image from this registry (host[:port][/path]) instead of docker.io and
    /// registry.k8s.io.
    #[arg(long, value_name = "REGISTRY")]
    pub image_registry: Option<String>,

    /// Download the Karmada CRDs (a release's crds.tar.gz) from this http(s) URL instead of
    /// GitHub.
    #[arg(long, value_name = "URL")]
    pub crd_tarball_url: Option<String>,

    /// An extra name (DNS name or IP) of the Karmada API server certificate, e.g. the address
    /// `kubeconfig --server` will use (repeatable; fixed at creation).
    #[arg(long = "cert-san", value_name = "NAME")]
    pub cert_sans: Vec<String>,

    /// A human-friendly alias shown by list and describe.
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,

    /// Keep the Karmada control plane when the instance is deleted (deletionPolicy Retain).
    #[arg(long)]
    pub retain_karmada: bool,

    /// Labels of the instance, e.g. `--label team=payments` (repeatable).
    #[arg(long = "label", value_name = "KEY=VALUE", value_parser = parse_label)]
    pub labels: Vec<(String, String)>,

    /// Only check: `client` sends nothing; `server` lets the API server and webhooks check.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: Option<DryRun>,

    /// Print the instance instead of a message.
    #[arg(short, long, value_parser = formats(&[OutputFormat::Yaml, OutputFormat::Json, OutputFormat::Name]))]
    pub output: Option<OutputFormat>,

    /// Wait until the instance is Running, showing each install step.
    #[arg(long)]
    pub wait: bool,

    /// How long --wait waits.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = multicloud_api::duration::parse, requires = "wait")]
    pub timeout: Duration,

    /// Send without running the admission rules here first (the webhook still runs them).
    #[arg(long)]
    pub skip_client_checks: bool,

    #[command(flatten)]
    pub connection: Connection,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

impl CreateArgs {
    /// The instance the flags describe.
    pub fn instance(&self) -> MulticloudInstance {
        let defaults = MulticloudInstanceSpec::default();
        let type_ = if self.ephemeral {
            StorageType::EmptyDir
        } else if self.host_path.is_some() {
            StorageType::HostPath
        } else {
            StorageType::PersistentVolumeClaim
        };
        let spec = MulticloudInstanceSpec {
            virtual_cluster_name: None,
            management_cluster: self.management_cluster.clone(),
            display_name: self.display_name.clone(),
            karmada: KarmadaSpec {
                version: self
                    .karmada_version
                    .clone()
                    .unwrap_or(defaults.karmada.version),
                image_registry: self.image_registry.clone(),
                crd_tarball: self.crd_tarball_url.clone().map(|url| CrdTarball { url }),
                cert_sans: self.cert_sans.clone(),
            },
            etcd: EtcdSpec {
                replicas: self.etcd_replicas.unwrap_or(defaults.etcd.replicas),
                storage: EtcdStorage {
                    type_,
                    storage_class_name: self.storage_class.clone(),
                    size: self.storage_size.clone(),
                    host_path: self.host_path.clone().filter(|p| !p.is_empty()),
                },
            },
            deletion_policy: if self.retain_karmada {
                DeletionPolicy::Retain
            } else {
                DeletionPolicy::Delete
            },
        };
        let mut instance = MulticloudInstance::new(&self.name, spec);
        if !self.labels.is_empty() {
            instance.metadata.labels =
                Some(self.labels.iter().cloned().collect::<BTreeMap<_, _>>());
        }
        instance
    }

    /// Creates.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let instance = self.instance();
        let name = self.name.as_str();
        let client = match (self.dry_run, ctx.client().await) {
            (_, Ok(client)) => Some(client),
            // A client-side dry run works without a cluster, on the rules alone.
            (Some(DryRun::Client), Err(_)) => None,
            (_, Err(err)) => return Err(err),
        };
        let mut admitted = instance.clone();
        if !self.skip_client_checks || self.dry_run == Some(DryRun::Client) {
            admitted = self.check(ctx, client.as_ref(), &instance).await?;
        }
        let client = match (self.dry_run, client) {
            (Some(DryRun::Client), _) | (_, None) => {
                return self.print(&admitted, "created (dry run)");
            }
            (_, Some(client)) => client,
        };
        let params = PostParams {
            dry_run: self.dry_run == Some(DryRun::Server),
            field_manager: Some(FIELD_MANAGER.to_owned()),
        };
        let created = instances::api(&client)
            .create(&params, &instance)
            .await
            .map_err(|e| CmdError::kube(format!("failed to create instance `{name}`"), e))?;
        if self.dry_run == Some(DryRun::Server) {
            return self.print(&created, "created (server dry run)");
        }
        if !self.wait {
            return self.print(&created, "created");
        }
        ctx.flush_warnings();
        eprintln!(
            "{} created; waiting for it to be Running (up to {})",
            instances::resource_name(name),
            crate::duration::human_duration(self.timeout)
        );
        let running = wait::until_running(ctx, &client, name, self.timeout).await?;
        let mut output = self.print(&running, "is Running")?;
        if self.output.is_none() {
            output.text.push_str(&format!(
                "Virtual cluster {}; its kubeconfig: kubectl multicloud kubeconfig {name}\n",
                running
                    .spec
                    .virtual_cluster_name
                    .as_deref()
                    .unwrap_or_default()
            ));
        }
        Ok(output)
    }

    /// Runs the admission rules with what can be learnt of the management clusters; returns
    /// the instance as the webhook would store it.
    async fn check(
        &self,
        ctx: &Context,
        client: Option<&kube::Client>,
        instance: &MulticloudInstance,
    ) -> Result<MulticloudInstance, CmdError> {
        let request = Request {
            operation: Operation::Create,
            uid: multicloud_api::rules::OFFLINE_UID,
            object: Some(instance),
            old_object: None,
        };
        let admission = match client {
            Some(client) => {
                let learned = Learned::for_instance(ctx, client, instance).await;
                admit(&request, &learned)
            }
            None => admit(&request, &AssumeReady(instance)),
        }
        .map_err(|e| CmdError::with_source("the client-side check failed", e))?;
        if !admission.decision.allowed() {
            return Err(CmdError::Invalid {
                headline: format!(
                    "instance `{}` would be denied; nothing was sent (the webhook runs the same \
                     rules):",
                    self.name
                ),
                reasons: admission
                    .decision
                    .violations
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            });
        }
        for warning in admission.decision.warnings {
            ctx.warnings.push(warning);
        }
        Ok(admission.object.unwrap_or_else(|| instance.clone()))
    }

    fn print(&self, instance: &MulticloudInstance, verb: &str) -> Result<Output, CmdError> {
        let name = instances::resource_name(instance.name());
        let text = match self.output {
            Some(format) => emit(format, &object_value(instance)?, |_| {
                Ok(format!("{name}\n"))
            })?,
            None => format!("{name} {verb}\n"),
        };
        Ok(Output::text(text))
    }
}

#[cfg(test)]
mod tests;
