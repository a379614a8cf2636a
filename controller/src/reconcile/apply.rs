//! What an instance makes in the global cluster: its namespace, for a remote management cluster
//! a copy of that cluster's kubeconfig Secret, and the Karmada CR. Each is applied with
//! server-side apply under our field manager, and only when what is there lacks what we want.

use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::{Karmada, render};
use multicloud_api::keys::{FIELD_MANAGER, INSTANCE_LABEL, KUBECONFIG_KEY, LOCAL_CLUSTER};
use multicloud_api::names;
use multicloud_runtime::kubeconfig::CheckedKubeconfig;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::diff::contains;
use crate::context::Context;
use crate::error::{Error, Result, is_status};
use crate::status::Blocker;

/// What applying left in place.
pub struct Applied {
    /// The Karmada CR as it now is, when it exists.
    pub karmada: Option<Arc<Karmada>>,
    /// Why the instance could not be fully applied, if it could not.
    pub blocker: Option<Blocker>,
}

/// Applies the namespace, host cluster Secret and Karmada CR of `instance` where they differ.
pub async fn apply(ctx: &Context, instance: &MulticloudInstance) -> Result<Applied> {
    let name = instance.name();
    let namespace = names::namespace(name);
    let existing = ctx.karmada(&namespace, &names::karmada(name)).await?;
    let blocked = |blocker| Applied {
        karmada: existing.clone(),
        blocker: Some(blocker),
    };
    if !names::is_dns1123_label(&namespace) {
        return Ok(blocked(Blocker {
            reason: "InvalidName",
            message: format!(
                "`{namespace}` is not a valid namespace name; instance names must be DNS-1123 \
                 labels of at most {} characters",
                names::MAX_INSTANCE_NAME_LENGTH
            ),
        }));
    }

    let stored_namespace = ctx.namespaces.get(&ObjectRef::new(&namespace));
    if stored_namespace
        .as_ref()
        .is_some_and(|ns| ns.metadata.deletion_timestamp.is_some())
    {
        return Ok(blocked(Blocker {
            reason: "NamespaceTerminating",
            message: format!(
                "namespace {namespace} is still being deleted; the instance is created again once \
                 it is gone"
            ),
        }));
    }
    let desired_namespace = Namespace {
        metadata: owned_meta(name, &namespace, None),
        ..Namespace::default()
    };
    if !holds(stored_namespace.as_deref(), &desired_namespace)? {
        let api: Api<Namespace> = Api::all(ctx.client.clone());
        server_side_apply(&api, &namespace, &desired_namespace, "namespace").await?;
    }

    if instance.spec.management_cluster != LOCAL_CLUSTER {
        match ctx.clusters.kubeconfig(&instance.spec.management_cluster) {
            Ok(kubeconfig) => apply_host_secret(ctx, name, &namespace, kubeconfig).await?,
            Err(blocker) => return Ok(blocked(blocker)),
        }
    }

    let desired = render(instance);
    if holds(existing.as_deref(), &desired)? {
        return Ok(Applied {
            karmada: existing,
            blocker: None,
        });
    }
    let api: Api<Karmada> = Api::namespaced(ctx.client.clone(), &namespace);
    match server_side_apply(
        &api,
        &desired.metadata.name.clone().unwrap_or_default(),
        &desired,
        "Karmada CR",
    )
    .await
    {
        Ok(applied) => Ok(Applied {
            karmada: Some(Arc::new(applied)),
            blocker: None,
        }),
        Err(Error::Kube { source, .. }) if is_status(&source, 404) => Ok(blocked(Blocker {
            reason: "KarmadaOperatorMissing",
            message:
                "the Karmada CRD (karmadas.operator.karmada.io) is not installed in the global \
                      cluster; install karmada-operator"
                    .into(),
        })),
        Err(error) => Err(error),
    }
}

/// Copies the management cluster's kubeconfig into the instance namespace, where the Karmada CR's
/// `spec.hostCluster.secretRef` points karmada-operator: re-serialised from the checked value,
/// never the Secret's bytes, so nothing that client-go would read differently from kube (a merge
/// key, a duplicate, a second document) reaches karmada-operator.
async fn apply_host_secret(
    ctx: &Context,
    instance: &str,
    namespace: &str,
    kubeconfig: CheckedKubeconfig,
) -> Result<()> {
    let desired = Secret {
        metadata: owned_meta(instance, names::HOST_CLUSTER_SECRET, Some(namespace)),
        type_: Some("Opaque".into()),
        data: Some(
            [(
                KUBECONFIG_KEY.to_owned(),
                ByteString(kubeconfig.to_yaml().into_bytes()),
            )]
            .into(),
        ),
        ..Secret::default()
    };
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let existing = api.get_opt(names::HOST_CLUSTER_SECRET).await.map_err(|e| {
        Error::kube(
            format!("read Secret {namespace}/{}", names::HOST_CLUSTER_SECRET),
            e,
        )
    })?;
    if !holds(existing.as_ref(), &desired)? {
        server_side_apply(
            &api,
            names::HOST_CLUSTER_SECRET,
            &desired,
            "host cluster Secret",
        )
        .await?;
    }
    Ok(())
}

/// Metadata of an object made for `instance`: its name and the instance label.
fn owned_meta(instance: &str, name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some([(INSTANCE_LABEL.to_owned(), instance.to_owned())].into()),
        ..ObjectMeta::default()
    }
}

/// Whether `existing` already holds every field of `desired`.
fn holds<K: Serialize>(existing: Option<&K>, desired: &K) -> Result<bool> {
    let Some(existing) = existing else {
        return Ok(false);
    };
    let encode = |object: &K| {
        serde_json::to_value(object).map_err(|source| Error::Encode {
            what: std::any::type_name::<K>().to_owned(),
            source,
        })
    };
    Ok(contains(&encode(existing)?, &encode(desired)?))
}

async fn server_side_apply<K>(api: &Api<K>, name: &str, desired: &K, what: &str) -> Result<K>
where
    K: Serialize + DeserializeOwned + Clone + std::fmt::Debug,
{
    tracing::info!(name, what, "applying");
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(desired),
    )
    .await
    .map_err(|e| Error::kube(format!("apply {what} {name}"), e))
}
