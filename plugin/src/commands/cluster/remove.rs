//! `cluster remove`: unregisters a management cluster no instance uses.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams};
use multicloud_api::keys::{CLUSTER_LABEL, LOCAL_CLUSTER, SYSTEM_NAMESPACE};

use super::ClusterRemoveArgs;
use crate::context::Context;
use crate::error::CmdError;
use crate::instances;
use crate::output::Output;

impl ClusterRemoveArgs {
    pub(super) async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let name = self.name.as_str();
        if name == LOCAL_CLUSTER {
            return Err(CmdError::msg(
                "`local` is the global cluster itself and cannot be removed",
            ));
        }
        let global = ctx.client().await?;
        let using: Vec<String> = instances::list(&global, None)
            .await?
            .iter()
            .filter(|i| i.spec.management_cluster == name)
            .map(|i| i.name().to_owned())
            .collect();
        if !using.is_empty() {
            return Err(CmdError::msg(format!(
                "management cluster `{name}` runs {} instance(s): {}; delete them first \
                 (`kubectl multicloud delete {}`)",
                using.len(),
                using.join(", "),
                using.join(" ")
            )));
        }
        let api: Api<Secret> = Api::namespaced(global, SYSTEM_NAMESPACE);
        match api.get_opt(name).await.map_err(|e| {
            CmdError::kube(
                format!("failed to read Secret {SYSTEM_NAMESPACE}/{name}"),
                e,
            )
        })? {
            Some(secret)
                if secret
                    .metadata
                    .labels
                    .as_ref()
                    .and_then(|l| l.get(CLUSTER_LABEL))
                    .is_some_and(|v| v == "true") => {}
            _ => {
                return Err(CmdError::msg(format!(
                    "management cluster `{name}` is not registered; `kubectl multicloud cluster list` shows those that are"
                )));
            }
        }
        api.delete(name, &DeleteParams::default())
            .await
            .map_err(|e| {
                CmdError::kube(
                    format!("failed to delete Secret {SYSTEM_NAMESPACE}/{name}"),
                    e,
                )
            })?;
        if self.output.is_some() {
            return Ok(Output::text(format!("secret/{name}\n")));
        }
        Ok(Output::text(format!("management cluster {name} removed\n")))
    }
}
