//! The deletion policy, carried out while our finalizer holds the instance.
//!
//! Hand-rolled rather than kube-runtime's `finalizer` function so that the instance can report the
//! `Deleting` phase, and what it waits for, while the Karmada CR and the namespace go away.
//! Owner references are not used: the garbage collector would delete a retained Karmada CR.

use std::collections::BTreeMap;

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, RemoveOperation, TestOperation};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{FINALIZER, INSTANCE_LABEL, RETAINED_FROM_ANNOTATION};
use multicloud_api::{DeletionPolicy, MulticloudInstance, names};
use serde_json::json;

use crate::context::Context;
use crate::error::{Error, Result};

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

/// Takes the next step of the instance's deletion policy.
pub async fn clean_up(ctx: &Context, instance: &MulticloudInstance) -> Result<Cleanup> {
    let name = instance.name();
    let namespace = names::namespace(name);
    let karmada_name = names::karmada(name);
    let karmadas: Api<Karmada> = Api::namespaced(ctx.client.clone(), &namespace);
    let karmada = match karmadas.get_opt(&karmada_name).await {
        Ok(found) => found,
        // Without the Karmada CRD there is no Karmada CR to delete or retain.
        Err(e) if crate::error::is_status(&e, 404) => None,
        Err(e) => {
            return Err(Error::kube(
                format!("read Karmada {namespace}/{karmada_name}"),
                e,
            ));
        }
    };
    match instance.spec.deletion_policy {
        DeletionPolicy::Retain => {
            if let Some(karmada) = karmada {
                let annotations = karmada.metadata.annotations.unwrap_or_default();
                if annotations
                    .get(RETAINED_FROM_ANNOTATION)
                    .map(String::as_str)
                    != Some(name)
                {
                    // A merge patch, not an apply: an apply of only this annotation would give up
                    // our ownership of the spec fields, and the API server would remove them.
                    let patch =
                        json!({"metadata": {"annotations": {RETAINED_FROM_ANNOTATION: name}}});
                    karmadas
                        .patch(&karmada_name, &PatchParams::default(), &Patch::Merge(patch))
                        .await
                        .map_err(|e| {
                            Error::kube(format!("annotate Karmada {namespace}/{karmada_name}"), e)
                        })?;
                }
            }
            Ok(Cleanup::Done)
        }
        DeletionPolicy::Delete => {
            if let Some(karmada) = karmada {
                if karmada.metadata.deletion_timestamp.is_none() {
                    tracing::info!(instance = name, "deleting Karmada CR");
                    karmadas
                        .delete(&karmada_name, &DeleteParams::background())
                        .await
                        .map_err(|e| {
                            Error::kube(format!("delete Karmada {namespace}/{karmada_name}"), e)
                        })?;
                }
                return Ok(Cleanup::Waiting(format!(
                    "waiting for karmada-operator to tear down and remove the Karmada CR \
                     {namespace}/{karmada_name}"
                )));
            }
            let namespaces: Api<Namespace> = Api::all(ctx.client.clone());
            let found = namespaces
                .get_opt(&namespace)
                .await
                .map_err(|e| Error::kube(format!("read namespace {namespace}"), e))?;
            match found {
                Some(ns) if made_for(ns.metadata.labels.as_ref(), name) => {
                    if ns.metadata.deletion_timestamp.is_none() {
                        tracing::info!(instance = name, "deleting namespace");
                        namespaces
                            .delete(&namespace, &DeleteParams::background())
                            .await
                            .map_err(|e| Error::kube(format!("delete namespace {namespace}"), e))?;
                    }
                    Ok(Cleanup::Waiting(format!(
                        "waiting for namespace {namespace} to be removed"
                    )))
                }
                _ => Ok(Cleanup::Done),
            }
        }
    }
}

fn made_for(labels: Option<&BTreeMap<String, String>>, instance: &str) -> bool {
    labels
        .and_then(|l| l.get(INSTANCE_LABEL))
        .map(String::as_str)
        == Some(instance)
}
