//! `cluster add`: checks the cluster answers, shows its StorageClasses, and stores a
//! self-contained kubeconfig of it in its Secret.

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use multicloud_api::clusters::{StorageClassInfo, registration_secret};
use multicloud_api::keys::{FIELD_MANAGER, SYSTEM_NAMESPACE};
use multicloud_api::rules::check_cluster_name;

use super::ClusterAddArgs;
use super::flatten::flatten;
use crate::clusters::storage_classes;
use crate::context::{Context, check_kubeconfig, read_kubeconfig};
use crate::error::{CmdError, one_line};
use crate::output::Output;

impl ClusterAddArgs {
    pub(super) async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let name = self.name.as_str();
        let violations = check_cluster_name(name);
        if !violations.is_empty() {
            return Err(CmdError::Invalid {
                headline: format!("`{name}` cannot name a management cluster:"),
                reasons: violations.iter().map(ToString::to_string).collect(),
            });
        }
        let (path, context, deprecated) = self.member();
        for warning in deprecated {
            ctx.warnings.push(warning.to_owned());
        }
        ctx.flush_warnings();
        let Some(path) = path else {
            return Err(CmdError::msg(
                "name the added cluster's kubeconfig with --cluster-kubeconfig FILE",
            ));
        };
        let kubeconfig = read_kubeconfig(path)?;
        let text = flatten(&kubeconfig, context)?;
        let what = format!("cluster `{name}`");
        // The webhook's rule for the Secret, applied before anything is stored.
        let checked = check_kubeconfig(&text, &what)?;
        let client = ctx.client_from_checked(&checked, &what).await?;
        let server = checked.target().server.clone();
        let version = client.apiserver_version().await.map_err(|e| {
            CmdError::kube(
                format!("cannot reach cluster `{name}` at {server}; nothing was registered"),
                e,
            )
        })?;
        let classes = storage_classes(&client).await;

        let global = ctx.client().await?;
        store(&global, name, &checked.to_yaml(), self.overwrite).await?;
        if self.output.is_some() {
            return Ok(Output::text(format!("secret/{name}\n")));
        }
        let mut out = format!(
            "management cluster {name} added: {server} (Kubernetes {})\n",
            version.git_version
        );
        match classes {
            Ok(classes) if classes.is_empty() => out.push_str(&format!(
                "StorageClasses: none. Instances with PVC storage on {name} will be denied until \
                 one is installed; meanwhile use --host-path (not highly available).\n"
            )),
            Ok(classes) => {
                out.push_str(&format!("StorageClasses: {}\n", describe_classes(&classes)))
            }
            Err(err) => out.push_str(&format!(
                "StorageClasses: cannot be listed ({}); the webhook needs to list them with this \
                 kubeconfig\n",
                one_line(&err)
            )),
        }
        Ok(Output::text(out))
    }
}

/// Creates (or with `overwrite`, replaces) the cluster's Secret.
async fn store(
    global: &Client,
    name: &str,
    kubeconfig: &str,
    overwrite: bool,
) -> Result<(), CmdError> {
    let secret = registration_secret(name, kubeconfig);
    let api: Api<Secret> = Api::namespaced(global.clone(), SYSTEM_NAMESPACE);
    let context = format!("failed to store Secret {SYSTEM_NAMESPACE}/{name}");
    let result = if overwrite {
        let mut applied = secret.clone();
        applied.metadata.namespace = None;
        let value = serde_json::json!({ "apiVersion": "v1", "kind": "Secret", "metadata": applied.metadata, "type": applied.type_, "data": applied.data });
        api.patch(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&value),
        )
        .await
        .map(drop)
    } else {
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_owned()),
            ..PostParams::default()
        };
        api.create(&params, &secret).await.map(drop)
    };
    result.map_err(|e| match &e {
        kube::Error::Api(status) if status.code == 409 => CmdError::msg(format!(
            "management cluster `{name}` is already registered; pass --overwrite to replace its kubeconfig"
        )),
        kube::Error::Api(status) if status.code == 404 => CmdError::msg(format!(
            "namespace {SYSTEM_NAMESPACE} does not exist; run `kubectl multicloud install` first"
        )),
        _ => CmdError::kube(context, e),
    })
}

pub(super) fn describe_classes(classes: &[StorageClassInfo]) -> String {
    classes
        .iter()
        .map(|c| {
            let mut notes = Vec::new();
            if c.default {
                notes.push("default".to_owned());
            }
            if let Some(mode) = &c.volume_binding_mode {
                notes.push(mode.clone());
            }
            if notes.is_empty() {
                c.name.clone()
            } else {
                format!("{} ({})", c.name, notes.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
