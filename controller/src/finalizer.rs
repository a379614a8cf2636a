//! The deletion policy, carried out while our finalizer holds the instance.
//!
//! Hand-rolled rather than kube-runtime's `finalizer` function so that the instance can report the
//! `Deleting` phase, and what it waits for, while the Karmada CR and the namespace go away.
//! Owner references are not used: the garbage collector would delete a retained Karmada CR.

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, RemoveOperation, TestOperation};
use k8s_openapi::api::core::v1::{Namespace, PersistentVolumeClaim};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{FINALIZER, LOCAL_CLUSTER, RETAINED_FROM_ANNOTATION};
use multicloud_api::names::KarmadaObjects;
use multicloud_api::{DeletionPolicy, MulticloudInstance, names};
use multicloud_runtime::report::error_chain;
use serde_json::json;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::reconcile::ownership;

/// Whether the instance carries our finalizer.
pub fn is_held(instance: &MulticloudInstance) -> bool {
    finalizers(instance).iter().any(|f| f == FINALIZER)
}

fn finalizers(instance: &MulticloudInstance) -> &[String] {
    instance.metadata.finalizers.as_deref().unwrap_or_default()
}

/// Adds our finalizer, so the instance cannot disappear before its deletion policy is honoured.
pub async fn hold(ctx: &Context, instance: &MulticloudInstance) -> Result<()> {
    let current = finalizers(instance);
    let patch = if current.is_empty() {
        // Nothing to test against: the resourceVersion precondition guards the whole list.
        Patch::Merge(json!({
            "metadata": {
                "finalizers": [FINALIZER],
                "resourceVersion": instance.metadata.resource_version,
            }
        }))
    } else {
        Patch::Json(json_patch::Patch(vec![
            test_finalizers(current),
            PatchOperation::Add(AddOperation {
                path: PointerBuf::from_tokens(["metadata", "finalizers", "-"]),
                value: json!(FINALIZER),
            }),
        ]))
    };
    patch_instance(ctx, instance, patch, "add the finalizer to").await
}

/// Removes our finalizer: the API server then deletes the instance.
pub async fn release(ctx: &Context, instance: &MulticloudInstance) -> Result<()> {
    let current = finalizers(instance);
    let Some(index) = current.iter().position(|f| f == FINALIZER) else {
        return Ok(());
    };
    let patch = Patch::Json(json_patch::Patch(vec![
        test_finalizers(current),
        PatchOperation::Remove(RemoveOperation {
            path: PointerBuf::from_tokens([
                "metadata".to_owned(),
                "finalizers".to_owned(),
                index.to_string(),
            ]),
        }),
    ]));
    patch_instance(ctx, instance, patch, "remove the finalizer from").await
}

/// A test that the finalizer list is still what we read, so we never drop another's finalizer.
fn test_finalizers(current: &[String]) -> PatchOperation {
    PatchOperation::Test(TestOperation {
        path: PointerBuf::from_tokens(["metadata", "finalizers"]),
        value: json!(current),
    })
}

async fn patch_instance(
    ctx: &Context,
    instance: &MulticloudInstance,
    patch: Patch<serde_json::Value>,
    what: &str,
) -> Result<()> {
    let api: Api<MulticloudInstance> = Api::all(ctx.client.clone());
    let name = instance.name();
    api.patch(name, &PatchParams::default(), &patch)
        .await
        .map_err(|e| Error::kube(format!("{what} instance {name}"), e))?;
    Ok(())
}

/// Progress of the deletion policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleanup {
    /// Everything the policy asks is done; the finalizer may go.
    Done,
    /// Waiting for something to go away; what, in words.
    Waiting(String),
}

/// Takes the next step of the instance's deletion policy. Only what carries the instance's uid
/// is annotated or deleted: a namespace or Karmada CR of its name that is not its own (the reason
/// it waited) is left exactly as it was.
pub async fn clean_up(ctx: &Context, instance: &MulticloudInstance) -> Result<Cleanup> {
    let namespace = names::namespace(instance.name());
    let karmadas: Api<Karmada> = Api::namespaced(ctx.client.clone(), &namespace);
    let karmada = own_karmada(&karmadas, instance).await?;
    match instance.spec.deletion_policy {
        DeletionPolicy::Retain => {
            if let Some(karmada) = karmada {
                mark_retained(&karmadas, karmada, instance.name()).await?;
            }
            Ok(Cleanup::Done)
        }
        DeletionPolicy::Delete => {
            if let Some(karmada) = karmada {
                return delete_karmada(&karmadas, &karmada, instance.name()).await;
            }
            // karmada-operator's teardown removes workloads, Services and Secrets but never the
            // etcd PVCs or the namespace (operator/pkg/deinit.go `DefaultDeInitTasks`;
            // operator/pkg/tasks/deinit/component.go `runRemoveEtcd` deletes the StatefulSet and
            // its Services only): on the management cluster they are ours to remove.
            let cluster = instance.spec.management_cluster.as_str();
            if cluster != LOCAL_CLUSTER
                && let Some(waiting) = clean_up_management_cluster(ctx, instance, cluster).await
            {
                return Ok(Cleanup::Waiting(waiting));
            }
            match remove_namespace(ctx.client.clone(), instance, None).await? {
                Some(waiting) => Ok(Cleanup::Waiting(waiting)),
                None => Ok(Cleanup::Done),
            }
        }
    }
}

/// The instance's own Karmada CR, if there is one.
async fn own_karmada(
    karmadas: &Api<Karmada>,
    instance: &MulticloudInstance,
) -> Result<Option<Karmada>> {
    let karmada_name = names::karmada(instance.name());
    let karmada = match karmadas.get_opt(&karmada_name).await {
        Ok(found) => found,
        // Without the Karmada CRD there is no Karmada CR to delete or retain.
        Err(e) if crate::error::is_status(&e, 404) => None,
        Err(e) => {
            let namespace = names::namespace(instance.name());
            return Err(Error::kube(
                format!("read Karmada {namespace}/{karmada_name}"),
                e,
            ));
        }
    };
    Ok(karmada.filter(|k| ownership::is_own(&k.metadata, instance)))
}

/// Annotates the retained `karmada` with the instance `name` it was made for, once.
async fn mark_retained(karmadas: &Api<Karmada>, karmada: Karmada, name: &str) -> Result<()> {
    let annotations = karmada.metadata.annotations.unwrap_or_default();
    if annotations
        .get(RETAINED_FROM_ANNOTATION)
        .map(String::as_str)
        == Some(name)
    {
        return Ok(());
    }
    let (namespace, karmada_name) = (names::namespace(name), names::karmada(name));
    // A merge patch, not an apply: an apply of only this annotation would give up our
    // ownership of the spec fields, and the API server would remove them.
    let patch = json!({"metadata": {"annotations": {RETAINED_FROM_ANNOTATION: name}}});
    karmadas
        .patch(&karmada_name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|e| Error::kube(format!("annotate Karmada {namespace}/{karmada_name}"), e))?;
    Ok(())
}

/// Deletes the instance's `karmada` (once) and waits for karmada-operator to tear it down.
async fn delete_karmada(karmadas: &Api<Karmada>, karmada: &Karmada, name: &str) -> Result<Cleanup> {
    let (namespace, karmada_name) = (names::namespace(name), names::karmada(name));
    if karmada.metadata.deletion_timestamp.is_none() {
        tracing::info!(instance = name, "deleting Karmada CR");
        karmadas
            .delete(&karmada_name, &DeleteParams::background())
            .await
            .map_err(|e| Error::kube(format!("delete Karmada {namespace}/{karmada_name}"), e))?;
    }
    Ok(Cleanup::Waiting(format!(
        "waiting for karmada-operator to tear down and remove the Karmada CR \
         {namespace}/{karmada_name}"
    )))
}

/// Removes the instance's namespace and etcd PVCs from the remote management `cluster`;
/// what the deletion waits for, until they are gone.
async fn clean_up_management_cluster(
    ctx: &Context,
    instance: &MulticloudInstance,
    cluster: &str,
) -> Option<String> {
    let namespace = names::namespace(instance.name());
    let remote = match ctx.clusters.client(cluster).await {
        Ok(client) => client,
        Err(blocker) => {
            return Some(format!(
                "cannot remove namespace {namespace} and its etcd PVCs from management cluster \
                 `{cluster}`: {}",
                blocker.message
            ));
        }
    };
    let removal = remove_namespace(remote, instance, Some(cluster));
    match tokio::time::timeout(ctx.settings.remote_timeout, removal).await {
        Ok(Ok(waiting)) => waiting,
        Ok(Err(error)) => Some(format!(
            "cannot remove namespace {namespace} and its etcd PVCs from management cluster \
             `{cluster}` ({}); deletion goes on once it answers",
            error_chain(&error)
        )),
        Err(_) => Some(format!(
            "management cluster `{cluster}` did not answer within {}s while removing namespace \
             {namespace}; deletion goes on once it answers",
            ctx.settings.remote_timeout.as_secs()
        )),
    }
}

/// Deletes the etcd PVCs and then the namespace `k-<name>` behind `client`, if that namespace
/// carries the instance's uid; `None` once there is nothing of ours left, else what it waits for.
async fn remove_namespace(
    client: Client,
    instance: &MulticloudInstance,
    cluster: Option<&str>,
) -> Result<Option<String>> {
    let name = instance.name();
    let namespace = names::namespace(name);
    let place = cluster.map_or_else(String::new, |c| format!(" on management cluster `{c}`"));
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let found = namespaces
        .get_opt(&namespace)
        .await
        .map_err(|e| Error::kube(format!("read namespace {namespace}{place}"), e))?;
    let Some(found) = found else {
        return Ok(None);
    };
    if !ownership::is_own(&found.metadata, instance) {
        // Not ours (it made the instance wait, or belongs to a retained instance): untouched.
        return Ok(None);
    }
    let objects = KarmadaObjects::for_instance(name);
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client, &namespace);
    let listed = claims
        .list_metadata(&ListParams::default())
        .await
        .map_err(|e| Error::kube(format!("list the PVCs of {namespace}{place}"), e))?;
    for claim in &listed.items {
        let claim_name = claim.metadata.name.as_deref().unwrap_or_default();
        if objects.is_etcd_pvc(claim_name) && claim.metadata.deletion_timestamp.is_none() {
            tracing::info!(instance = name, pvc = claim_name, "deleting etcd PVC");
            match claims.delete(claim_name, &DeleteParams::background()).await {
                Ok(_) => {}
                Err(e) if crate::error::is_status(&e, 404) => {}
                Err(e) => {
                    return Err(Error::kube(
                        format!("delete PVC {namespace}/{claim_name}{place}"),
                        e,
                    ));
                }
            }
        }
    }
    if found.metadata.deletion_timestamp.is_none() {
        tracing::info!(instance = name, cluster, "deleting namespace");
        namespaces
            .delete(&namespace, &DeleteParams::background())
            .await
            .map_err(|e| Error::kube(format!("delete namespace {namespace}{place}"), e))?;
    }
    Ok(Some(format!(
        "waiting for namespace {namespace}{place} to be removed"
    )))
}
