//! What an instance makes: its namespace `k-<name>` in the global cluster (and on a remote
//! management cluster), for a remote management cluster a copy of that cluster's kubeconfig
//! Secret, and the Karmada CR.
//!
//! Each object is created (never applied over something that is there) and marked with the
//! instance's uid; only an object carrying that mark is updated, with server-side apply under our
//! field manager and only when it lacks what we want. An object of the same name that is not
//! ours makes the instance wait with a condition saying whose it is and the way out; the one
//! exception is a retained Karmada CR the instance explicitly adopts (see [`ownership`]).

use std::sync::Arc;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::Resource;
use kube::api::{Api, ObjectMeta, Patch, PatchParams, PostParams};
use kube::runtime::reflector::ObjectRef;
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::{Karmada, render};
use multicloud_api::keys::{
    FIELD_MANAGER, INSTANCE_UID_LABEL, KUBECONFIG_KEY, LOCAL_CLUSTER, RETAINED_FROM_ANNOTATION,
};
use multicloud_api::names;
use multicloud_runtime::kubeconfig::CheckedKubeconfig;
use multicloud_runtime::report::error_chain;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::diff::contains;
use super::host_path;
use super::ownership::{self, Maker, Place};
use crate::context::Context;
use crate::error::{Error, Result, is_status};
use crate::status::Blocker;

/// What applying left in place.
pub struct Applied {
    /// The instance's own Karmada CR as it now is, when it exists. A CR of its name that is not
    /// its own is never reported here, so its status is never mirrored.
    pub karmada: Option<Arc<Karmada>>,
    /// Why the instance could not be fully applied, if it could not.
    pub blocker: Option<Blocker>,
}

/// Whether a step may go on, or what the instance waits for.
type Step = std::result::Result<(), Blocker>;

/// Whose the namespace `k-<name>` turned out to be.
enum Claim {
    /// The instance's own (found with its mark, or just created).
    Ours,
    /// A former instance's, not adopted: why the instance waits.
    Former(Blocker),
    /// Someone else's, or not usable now: why the instance waits.
    Refused(Blocker),
}

/// Applies the namespaces, host cluster Secret and Karmada CR of `instance` where they differ.
pub async fn apply(ctx: &Context, instance: &MulticloudInstance) -> Result<Applied> {
    let name = instance.name();
    let namespace = names::namespace(name);
    let existing = ctx.karmada(&namespace, &names::karmada(name)).await?;
    let uid = instance.metadata.uid.clone().unwrap_or_default();
    // The Karmada CR of this name, if it is already ours.
    let own = existing
        .clone()
        .filter(|k| ownership::is_own(k.meta(), instance));
    let blocked = |blocker| Applied {
        karmada: own.clone(),
        blocker: Some(blocker),
    };
    if let Err(blocker) = markable(&namespace, &uid) {
        return Ok(blocked(blocker));
    }
    // The retained CR the instance explicitly takes over, if it asks to: with it, the namespaces
    // and Secret of that CR's former instance are taken over too.
    let adopting = own.is_none()
        && existing
            .as_deref()
            .is_some_and(|k| ownership::adoption_requested(instance, k));
    let found = Found {
        existing: existing.as_deref(),
        own: own.is_some(),
        adopting,
    };
    if let Err(blocker) = claim_global_namespace(ctx, instance, &namespace, &found).await? {
        return Ok(blocked(blocker));
    }
    let cluster = instance.spec.management_cluster.as_str();
    if cluster != LOCAL_CLUSTER
        && let Err(blocker) = prepare_management_cluster(ctx, instance, cluster, adopting).await?
    {
        return Ok(blocked(blocker));
    }
    apply_karmada(ctx, instance, existing, adopting, blocked).await
}

/// What was found of the instance's Karmada CR before anything was applied.
struct Found<'a> {
    /// The Karmada CR of the instance's name, whoever's it is.
    existing: Option<&'a Karmada>,
    /// Whether it is the instance's own.
    own: bool,
    /// Whether the instance takes it over (see [`ownership::adoption_requested`]).
    adopting: bool,
}

/// Whether the objects of an instance can be named and marked at all.
fn markable(namespace: &str, uid: &str) -> Step {
    if !names::is_dns1123_label(namespace) {
        return Err(Blocker {
            reason: "InvalidName",
            message: format!(
                "`{namespace}` is not a valid namespace name; instance names must be DNS-1123 \
                 labels of at most {} characters",
                names::MAX_INSTANCE_NAME_LENGTH
            ),
        });
    }
    if uid.is_empty() {
        // The API server gives every object a uid; without one nothing could be marked.
        return Err(Blocker {
            reason: "NoUid",
            message: "the instance has no metadata.uid yet".into(),
        });
    }
    Ok(())
}

/// Makes `namespace` in the global cluster the instance's own, or says why it waits.
async fn claim_global_namespace(
    ctx: &Context,
    instance: &MulticloudInstance,
    namespace: &str,
    found: &Found<'_>,
) -> Result<Step> {
    let cached = ctx.namespaces.get(&ObjectRef::new(namespace));
    let global = Api::<Namespace>::all(ctx.client.clone());
    match own_namespace(&global, cached, instance, Place::Global, found.adopting).await? {
        Claim::Ours => Ok(Ok(())),
        // The namespace of a former instance holding its retained Karmada CR: the CR is what
        // there is to decide about, and its message says how.
        Claim::Former(_) if found.existing.is_some() && !found.own => {
            let retained = found
                .existing
                .map(|k| ownership::karmada_not_adopted(instance.name(), k));
            Ok(Err(
                retained.unwrap_or_else(|| conflict_pending("the Karmada CR"))
            ))
        }
        Claim::Former(blocker) | Claim::Refused(blocker) => Ok(Err(blocker)),
    }
}

/// On a remote management `cluster`: the instance's own namespace there, and the copy of the
/// cluster's kubeconfig Secret that karmada-operator installs with.
async fn prepare_management_cluster(
    ctx: &Context,
    instance: &MulticloudInstance,
    cluster: &str,
    adopting: bool,
) -> Result<Step> {
    let remote = match ctx.clusters.client(cluster).await {
        Ok(client) => client,
        Err(blocker) => return Ok(Err(blocker)),
    };
    let namespaces = Api::<Namespace>::all(remote);
    let checked = tokio::time::timeout(
        ctx.settings.remote_timeout,
        own_namespace(
            &namespaces,
            None,
            instance,
            Place::Management(cluster),
            adopting,
        ),
    )
    .await;
    match checked {
        Ok(Ok(Claim::Ours)) => {}
        Ok(Ok(Claim::Former(blocker) | Claim::Refused(blocker))) => return Ok(Err(blocker)),
        Ok(Err(error)) => return Ok(Err(unreachable(cluster, &error_chain(&error)))),
        Err(_) => {
            let limit = ctx.settings.remote_timeout.as_secs();
            return Ok(Err(unreachable(
                cluster,
                &format!("no answer within {limit}s"),
            )));
        }
    }
    let kubeconfig = match ctx.clusters.kubeconfig(cluster) {
        Ok(kubeconfig) => kubeconfig,
        Err(blocker) => return Ok(Err(blocker)),
    };
    let namespace = names::namespace(instance.name());
    apply_host_secret(ctx, instance, &namespace, kubeconfig, adopting).await
}

/// Creates the instance's Karmada CR, or brings the `existing` one (when it is the instance's
/// own, or taken over) to what the instance renders; `blocked` wraps why it cannot.
async fn apply_karmada(
    ctx: &Context,
    instance: &MulticloudInstance,
    existing: Option<Arc<Karmada>>,
    adopting: bool,
    blocked: impl Fn(Blocker) -> Applied,
) -> Result<Applied> {
    let name = instance.name();
    let uid = instance.metadata.uid.clone().unwrap_or_default();
    let namespace = names::namespace(name);
    let mut desired = render(instance);
    desired
        .metadata
        .labels
        .get_or_insert_default()
        .extend(ownership::mark(name, &uid));
    let api: Api<Karmada> = Api::namespaced(ctx.client.clone(), &namespace);
    let karmada_name = names::karmada(name);
    if existing.is_none()
        && let Some(blocker) = host_path::conflict(ctx, instance).await?
    {
        return Ok(blocked(blocker));
    }
    let existing = match existing {
        Some(karmada) => karmada,
        None => match create_karmada(&api, &desired, &namespace, &karmada_name).await? {
            Created::Made(created) => return Ok(applied(created)),
            Created::Found(found) => found,
            Created::Blocked(blocker) => return Ok(blocked(blocker)),
        },
    };
    let current = match ownership::maker(existing.meta(), &uid) {
        Maker::This => existing,
        // Made by an earlier controller for this instance: the apply below adds the mark.
        _ if ownership::is_own(existing.meta(), instance) => existing,
        _ if adopting || ownership::adoption_requested(instance, &existing) => {
            tracing::info!(instance = name, "adopting the retained Karmada CR");
            let adopted = remark(&api, &karmada_name, existing.meta(), name, &uid, true).await?;
            Arc::new(adopted)
        }
        _ => return Ok(blocked(ownership::karmada_not_adopted(name, &existing))),
    };
    if holds(Some(current.as_ref()), &desired)? {
        return Ok(applied(current));
    }
    match server_side_apply(&api, &karmada_name, &desired, "Karmada CR").await {
        Ok(done) => Ok(applied(Arc::new(done))),
        Err(Error::Kube { source, .. }) if is_status(&source, 404) => {
            Ok(blocked(operator_missing()))
        }
        Err(error) => Err(error),
    }
}

/// Everything applied, the CR as it now is.
fn applied(karmada: Arc<Karmada>) -> Applied {
    Applied {
        karmada: Some(karmada),
        blocker: None,
    }
}

/// What creating the Karmada CR came to.
enum Created {
    /// Created now.
    Made(Arc<Karmada>),
    /// There was one after all, unseen by the watch (which sees only labelled CRs).
    Found(Arc<Karmada>),
    /// Why the instance waits.
    Blocked(Blocker),
}

/// Creates `desired`, the instance's Karmada CR `namespace/name`.
async fn create_karmada(
    api: &Api<Karmada>,
    desired: &Karmada,
    namespace: &str,
    name: &str,
) -> Result<Created> {
    match create(api, desired, "Karmada CR").await {
        Ok(Some(created)) => Ok(Created::Made(Arc::new(created))),
        Ok(None) => match api.get_opt(name).await {
            Ok(Some(found)) => Ok(Created::Found(Arc::new(found))),
            Ok(None) => Ok(Created::Blocked(conflict_pending("the Karmada CR"))),
            Err(e) => Err(Error::kube(format!("read Karmada {namespace}/{name}"), e)),
        },
        Err(Error::Kube { source, .. }) if is_status(&source, 404) => {
            Ok(Created::Blocked(operator_missing()))
        }
        Err(error) => Err(error),
    }
}

/// Makes sure the namespace `k-<name>` behind `api` is the instance's own: created and marked by
/// us when it is missing, left alone (and the instance waiting) when it is someone else's.
/// `cached` is what a watch saw of it, if anything; with `adopting`, a namespace of a former
/// instance (never a stranger's) is marked as ours.
async fn own_namespace(
    api: &Api<Namespace>,
    cached: Option<Arc<Namespace>>,
    instance: &MulticloudInstance,
    place: Place<'_>,
    adopting: bool,
) -> Result<Claim> {
    let name = instance.name();
    let uid = instance.metadata.uid.as_deref().unwrap_or_default();
    let namespace = names::namespace(name);
    let found = match cached {
        Some(found) => Some(found),
        None => api
            .get_opt(&namespace)
            .await
            .map_err(|e| Error::kube(format!("read namespace {namespace}"), e))?
            .map(Arc::new),
    };
    let Some(found) = found else {
        return create_namespace(api, name, uid, &namespace).await;
    };
    if found.metadata.deletion_timestamp.is_some() {
        return Ok(Claim::Refused(Blocker {
            reason: "NamespaceTerminating",
            message: format!(
                "namespace {namespace} is still being deleted; the instance is created again once \
                 it is gone"
            ),
        }));
    }
    match ownership::maker(&found.metadata, uid) {
        Maker::This => Ok(Claim::Ours),
        _ if ownership::is_own(&found.metadata, instance) => {
            tracing::info!(
                instance = name,
                ?place,
                "marking the namespace with the instance's uid"
            );
            remark(api, &namespace, &found.metadata, name, uid, false).await?;
            Ok(Claim::Ours)
        }
        Maker::Former(_) if adopting => {
            tracing::info!(
                instance = name,
                ?place,
                "adopting the namespace of the retained Karmada CR"
            );
            remark(api, &namespace, &found.metadata, name, uid, false).await?;
            Ok(Claim::Ours)
        }
        former @ Maker::Former(_) => Ok(Claim::Former(ownership::namespace_conflict(
            &namespace, place, &former,
        ))),
        other => Ok(Claim::Refused(ownership::namespace_conflict(
            &namespace, place, &other,
        ))),
    }
}

/// Creates `namespace`, marked as instance `name`'s (of `uid`).
async fn create_namespace(
    api: &Api<Namespace>,
    name: &str,
    uid: &str,
    namespace: &str,
) -> Result<Claim> {
    let desired = Namespace {
        metadata: marked_meta(name, uid, namespace, None),
        ..Namespace::default()
    };
    Ok(match create(api, &desired, "namespace").await? {
        Some(_) => Claim::Ours,
        None => Claim::Refused(conflict_pending("the namespace")),
    })
}

/// Copies the management cluster's kubeconfig into the instance namespace, where the Karmada CR's
/// `spec.hostCluster.secretRef` points karmada-operator: re-serialised from the checked value,
/// never the Secret's bytes, so nothing that client-go would read differently from kube (a merge
/// key, a duplicate, a second document) reaches karmada-operator. A Secret of that name that is
/// not ours is never overwritten.
async fn apply_host_secret(
    ctx: &Context,
    instance: &MulticloudInstance,
    namespace: &str,
    kubeconfig: CheckedKubeconfig,
    adopting: bool,
) -> Result<Step> {
    let name = instance.name();
    let uid = instance.metadata.uid.as_deref().unwrap_or_default();
    let secret_name = names::HOST_CLUSTER_SECRET;
    let desired = Secret {
        metadata: marked_meta(name, uid, secret_name, Some(namespace)),
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
    let existing = api
        .get_opt(secret_name)
        .await
        .map_err(|e| Error::kube(format!("read Secret {namespace}/{secret_name}"), e))?;
    let Some(existing) = existing else {
        return Ok(match create(&api, &desired, "host cluster Secret").await? {
            Some(_) => Ok(()),
            None => Err(conflict_pending("the host cluster Secret")),
        });
    };
    let ours = ownership::is_own(&existing.metadata, instance)
        || (adopting && matches!(ownership::maker(&existing.metadata, uid), Maker::Former(_)));
    if !ours {
        return Ok(Err(ownership::object_conflict(
            "Secret",
            namespace,
            secret_name,
        )));
    }
    if !holds(Some(&existing), &desired)? {
        server_side_apply(&api, secret_name, &desired, "host cluster Secret").await?;
    }
    Ok(Ok(()))
}

/// Metadata of an object made for `instance`: its name and the instance's mark.
fn marked_meta(instance: &str, uid: &str, name: &str, namespace: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        namespace: namespace.map(str::to_owned),
        labels: Some(ownership::mark(instance, uid)),
        ..ObjectMeta::default()
    }
}

/// Puts the instance's mark on an object of a former instance it adopts, only if the object is
/// still as it was read (its resourceVersion); `retained`: also drop the note that it was
/// retained.
async fn remark<K>(
    api: &Api<K>,
    name: &str,
    meta: &ObjectMeta,
    instance: &str,
    uid: &str,
    retained: bool,
) -> Result<K>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut patch = json!({"metadata": {
        "labels": ownership::mark(instance, uid),
        "resourceVersion": meta.resource_version,
    }});
    if retained {
        patch["metadata"]["annotations"] = json!({RETAINED_FROM_ANNOTATION: null});
    }
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .map_err(|e| Error::kube(format!("mark {name} with {INSTANCE_UID_LABEL}"), e))
}

/// Creates `desired`; `None` when an object of its name already exists (made meanwhile by
/// someone else, which must not be overwritten).
async fn create<K>(api: &Api<K>, desired: &K, what: &str) -> Result<Option<K>>
where
    K: Resource + Serialize + DeserializeOwned + Clone + std::fmt::Debug,
{
    let name = desired.meta().name.clone().unwrap_or_default();
    tracing::info!(name, what, "creating");
    let params = PostParams {
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PostParams::default()
    };
    match api.create(&params, desired).await {
        Ok(created) => Ok(Some(created)),
        Err(e) if is_status(&e, 409) => Ok(None),
        Err(e) => Err(Error::kube(format!("create {what} {name}"), e)),
    }
}

/// The wait after a create found its name taken since we looked.
fn conflict_pending(what: &str) -> Blocker {
    Blocker {
        reason: "ObjectConflict",
        message: format!(
            "{what} was created by someone else while the instance was being set up; checking \
             whose it is"
        ),
    }
}

fn unreachable(cluster: &str, why: &str) -> Blocker {
    Blocker {
        reason: "ManagementClusterUnreachable",
        message: format!(
            "management cluster `{cluster}` could not be asked for namespace checks ({why}); the \
             instance proceeds once it answers"
        ),
    }
}

fn operator_missing() -> Blocker {
    Blocker {
        reason: "KarmadaOperatorMissing",
        message: "the Karmada CRD (karmadas.operator.karmada.io) is not installed in the global \
                  cluster; install karmada-operator"
            .into(),
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
