//! `delete --abandon-control-plane`: the way out of a deletion that cannot finish.
//!
//! karmada-operator skips its teardown of a deleted Karmada CR whose label
//! `operator.karmada.io/disable-cascading-deletion` is anything but `"false"`, and then only
//! removes its finalizer (`operator/pkg/controller/karmada/controller.go`). With the operator
//! gone nobody removes it, so once the CR is being deleted with the label set, that one step is
//! taken here. Then everything that is still in the instance's namespace on the management
//! cluster is listed: that is what was left behind.

use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim, Secret, Service};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::{Client, Resource};
use multicloud_api::karmada::Karmada;
use multicloud_api::observed::operator::{DISABLE_CASCADING_DELETION_LABEL, FINALIZER};
use multicloud_api::{MulticloudInstance, StorageType, names};
use serde_json::json;

use crate::clusters::management_client;
use crate::context::Context;
use crate::error::{CmdError, one_line};

fn karmadas(client: &Client, name: &str) -> Api<Karmada> {
    Api::namespaced(client.clone(), &names::namespace(name))
}

/// Labels the instance's Karmada CR so that karmada-operator skips its teardown.
pub(super) async fn disable_teardown(client: &Client, name: &str) -> Result<(), CmdError> {
    let patch = json!({"metadata": {"labels": {DISABLE_CASCADING_DELETION_LABEL: "true"}}});
    match karmadas(client, name)
        .patch(
            &names::karmada(name),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
    {
        Ok(_) => Ok(()),
        // No Karmada CR (or no CRD): nothing to tear down.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(CmdError::kube(
            format!(
                "failed to label the Karmada CR of `{name}` with {DISABLE_CASCADING_DELETION_LABEL}"
            ),
            e,
        )),
    }
}

/// Once the controller has deleted the Karmada CR, removes karmada-operator's finalizer if the
/// operator has not (it would do only that, given the label).
pub(super) async fn release(
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<(), CmdError> {
    let api = karmadas(client, name);
    let karmada_name = names::karmada(name);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let karmada = match api.get_opt(&karmada_name).await {
            Ok(found) => found,
            Err(kube::Error::Api(status)) if status.code == 404 => None,
            Err(e) => {
                return Err(CmdError::kube(
                    format!("failed to read the Karmada CR of `{name}`"),
                    e,
                ));
            }
        };
        let Some(karmada) = karmada else {
            return Ok(());
        };
        let finalizers = karmada.meta().finalizers.clone().unwrap_or_default();
        if karmada.meta().deletion_timestamp.is_some() {
            if !finalizers.iter().any(|f| f == FINALIZER) {
                return Ok(());
            }
            // The resourceVersion guards the whole list: another's finalizer is never dropped.
            let remaining: Vec<&String> = finalizers.iter().filter(|f| *f != FINALIZER).collect();
            let patch = json!({"metadata": {
                "finalizers": remaining,
                "resourceVersion": karmada.meta().resource_version,
            }});
            match api
                .patch(
                    &karmada_name,
                    &PatchParams::default(),
                    &Patch::Merge(&patch),
                )
                .await
            {
                Ok(_) => return Ok(()),
                // Changed meanwhile (the operator removed it, or another finalizer moved): look again.
                Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409 | 422) => {}
                Err(e) => {
                    return Err(CmdError::kube(
                        format!("failed to remove {FINALIZER} from the Karmada CR of `{name}`"),
                        e,
                    ));
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(CmdError::msg(format!(
                "the controller has not deleted the Karmada CR of `{name}` in time; check that \
                 multicloud-controller runs, then run this again"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// What is still in the instance's namespace on its management cluster, one line each.
pub(super) async fn left_behind(
    ctx: &Context,
    global: &Client,
    instance: &MulticloudInstance,
) -> String {
    let name = instance.name();
    let cluster = &instance.spec.management_cluster;
    let namespace = names::namespace(name);
    let mut lines = Vec::new();
    if instance.spec.etcd.storage.type_ == StorageType::HostPath {
        let path = multicloud_api::karmada::host_path(instance);
        lines.push(format!(
            "  hostPath directory {path} on the node that ran etcd (remove it by hand)"
        ));
    }
    let client = match management_client(ctx, global, cluster).await {
        Ok(client) => client,
        Err(e) => {
            lines.push(format!(
                "  management cluster `{cluster}` could not be asked ({}); everything in its \
                 namespace {namespace} may remain",
                crate::error::report_line(&e)
            ));
            return render(cluster, &namespace, lines);
        }
    };
    match Api::<Namespace>::all(client.clone())
        .get_opt(&namespace)
        .await
    {
        Ok(None) => return render(cluster, &namespace, lines),
        Ok(Some(_)) => {}
        Err(e) => lines.push(format!("  namespace {namespace}: {}", one_line(&e))),
    }
    lines.extend(objects_in(&client, &namespace).await);
    if lines.is_empty() {
        lines.push(format!("  the empty namespace {namespace}"));
    }
    render(cluster, &namespace, lines)
}

/// The objects karmada-operator makes, still in `namespace`, one line each (or why a kind
/// could not be listed).
async fn objects_in(client: &Client, namespace: &str) -> Vec<String> {
    let kinds = [
        (
            "StatefulSet",
            names_of::<StatefulSet>(client, namespace).await,
        ),
        (
            "Deployment",
            names_of::<Deployment>(client, namespace).await,
        ),
        ("Service", names_of::<Service>(client, namespace).await),
        ("Secret", names_of::<Secret>(client, namespace).await),
        (
            "PersistentVolumeClaim",
            names_of::<PersistentVolumeClaim>(client, namespace).await,
        ),
    ];
    let mut lines = Vec::new();
    for (kind, found) in kinds {
        match found {
            Ok(found) => lines.extend(
                found
                    .into_iter()
                    .map(|n| format!("  {kind} {namespace}/{n}")),
            ),
            Err(e) => lines.push(format!("  {kind}s in {namespace}: {}", one_line(&e))),
        }
    }
    lines
}

/// The names of the `K`s in `namespace`.
async fn names_of<K>(client: &Client, namespace: &str) -> Result<Vec<String>, kube::Error>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned,
    K::DynamicType: Default,
{
    let list = Api::<K>::namespaced(client.clone(), namespace)
        .list(&ListParams::default())
        .await?;
    Ok(list
        .items
        .iter()
        .filter_map(|o| o.meta().name.clone())
        .collect())
}

fn render(cluster: &str, namespace: &str, lines: Vec<String>) -> String {
    if lines.is_empty() {
        return format!(
            "Nothing was left behind: namespace {namespace} is gone from management cluster `{cluster}`.\n"
        );
    }
    format!(
        "Left behind on management cluster `{cluster}`:\n{}\n",
        lines.join("\n")
    )
}
