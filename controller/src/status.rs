//! The status of an instance, derived from what the controller observed and nothing else.
//!
//! [`derive`] is a pure function: the reconciler gathers an [`Observation`] (the Karmada CR, the
//! etcd PVCs on the management cluster, the member count) and writes the result only when it
//! differs from the stored status. Condition transition times are carried over from the previous
//! status whenever a condition's status did not change, so deriving twice from the same
//! observation gives the same status and the controller makes no write at steady state.

use multicloud_api::instance::KarmadaRef;
use multicloud_api::karmada::Karmada;
use multicloud_api::rules::assess_availability;
use multicloud_api::{Condition, MulticloudInstance, MulticloudInstanceStatus, ObjectRef, Phase};

mod storage;
#[cfg(test)]
mod tests;

pub use storage::{ClaimObservation, StorageObservation};

/// Condition: the instance as a whole is usable.
pub const READY: &str = "Ready";
/// Condition: karmada-operator reports the control plane installed.
pub const KARMADA_READY: &str = "KarmadaReady";
/// Condition: etcd has its storage.
pub const STORAGE_READY: &str = "StorageReady";
/// Condition: the instance's own Karmada API answered the last member count.
pub const KARMADA_API_REACHABLE: &str = "KarmadaAPIReachable";

const TRUE: &str = "True";
const FALSE: &str = "False";
const UNKNOWN: &str = "Unknown";

/// Reasons karmada-operator writes on the Karmada CR's `Ready` condition.
mod operator_reason {
    pub const PROGRESSING: &str = "Progressing";
    pub const FAILED: &str = "Failed";
    pub const VALIDATION_ERROR: &str = "ValidationError";
}

/// Something that keeps the controller from creating what the instance needs, e.g. a management
/// cluster that is not registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// One CamelCase word.
    pub reason: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The member count of the instance's own Karmada API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberObservation {
    /// Not counted since the controller started (or the instance is not running).
    NotCounted,
    /// `clusters.cluster.karmada.io` objects in the instance's Karmada API.
    Counted(i32),
    /// The instance's Karmada API could not be reached; why.
    Unreachable(String),
}

/// Everything the status is derived from.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The instance's Karmada CR, when it exists.
    pub karmada: Option<&'a Karmada>,
    /// The etcd storage on the management cluster.
    pub storage: StorageObservation,
    /// The member count.
    pub members: MemberObservation,
    /// Why the controller cannot make progress, if it cannot.
    pub blocker: Option<Blocker>,
    /// While the deletion policy is carried out: what is being waited for.
    pub deleting: Option<String>,
}

/// The status `instance` should have given `observed`; `now` (RFC 3339) stamps conditions whose
/// status changed.
pub fn derive(
    instance: &MulticloudInstance,
    observed: &Observation<'_>,
    now: &str,
) -> MulticloudInstanceStatus {
    let previous = instance.status.clone().unwrap_or_default();
    let generation = instance.metadata.generation;
    let name = instance.name();
    let namespace = multicloud_api::names::namespace(name);
    let karmada_name = multicloud_api::names::karmada(name);

    let (karmada_phase, karmada_ready) =
        karmada_condition(observed.karmada, &namespace, &karmada_name);
    let storage_ready = observed.storage.condition();
    let phase = if observed.deleting.is_some() {
        Phase::Deleting
    } else {
        karmada_phase
    };
    let ready = ready_condition(phase, observed, &karmada_ready, &storage_ready);

    let (member_clusters, reachable) = match &observed.members {
        MemberObservation::Counted(count) => (
            *count,
            Some(condition(
                KARMADA_API_REACHABLE,
                TRUE,
                "Reachable",
                format!("{count} member cluster(s) joined"),
            )),
        ),
        MemberObservation::Unreachable(why) => (
            previous.member_clusters,
            Some(condition(
                KARMADA_API_REACHABLE,
                FALSE,
                "Unreachable",
                format!(
                    "the instance's Karmada API could not be reached ({why}); memberClusters \
                     shows the last count"
                ),
            )),
        ),
        MemberObservation::NotCounted => (
            previous.member_clusters,
            previous.condition(KARMADA_API_REACHABLE).cloned(),
        ),
    };

    let mut conditions = vec![ready, karmada_ready, storage_ready];
    conditions.extend(reachable);
    for condition in &mut conditions {
        let carried = previous
            .condition(&condition.type_)
            .filter(|old| old.status == condition.status)
            .and_then(|old| old.last_transition_time.clone());
        condition.last_transition_time = Some(carried.unwrap_or_else(|| now.to_owned()));
        condition.observed_generation = generation;
    }

    MulticloudInstanceStatus {
        phase: Some(phase),
        high_availability: assess_availability(&instance.spec).high_availability,
        member_clusters,
        karmada: Some(KarmadaRef {
            namespace: namespace.clone(),
            name: karmada_name,
            version: Some(instance.spec.karmada.version.clone()),
        }),
        kubeconfig_secret_ref: observed
            .karmada
            .and_then(|k| k.status.as_ref())
            .and_then(|s| s.secret_ref.as_ref())
            .filter(|r| !r.name.is_empty())
            .map(|r| ObjectRef {
                namespace: if r.namespace.is_empty() {
                    namespace.clone()
                } else {
                    r.namespace.clone()
                },
                name: r.name.clone(),
            }),
        observed_generation: generation,
        conditions,
    }
}

/// The phase karmada-operator's report implies, and the `KarmadaReady` condition mirroring it.
fn karmada_condition(karmada: Option<&Karmada>, namespace: &str, name: &str) -> (Phase, Condition) {
    let Some(karmada) = karmada else {
        return (
            Phase::Pending,
            condition(
                KARMADA_READY,
                FALSE,
                "NotCreated",
                format!("the Karmada CR {namespace}/{name} has not been created yet"),
            ),
        );
    };
    let status = karmada.status.as_ref();
    let Some(ready) = status.and_then(|s| s.ready()) else {
        return (
            Phase::Pending,
            condition(
                KARMADA_READY,
                UNKNOWN,
                "WaitingForOperator",
                format!(
                    "karmada-operator has not reported on the Karmada CR {namespace}/{name} yet; \
                     check that karmada-operator is running in the global cluster"
                ),
            ),
        );
    };
    let stale = match (
        status.and_then(|s| s.observed_generation),
        karmada.metadata.generation,
    ) {
        (Some(observed), Some(current)) => observed < current,
        _ => false,
    };
    let reason = if ready.reason.is_empty() {
        "NoReason"
    } else {
        ready.reason.as_str()
    };
    let message = if ready.message.is_empty() {
        format!("karmada-operator reports {reason}")
    } else {
        ready.message.clone()
    };
    let phase = match (ready.status.as_str(), reason) {
        (_, operator_reason::FAILED | operator_reason::VALIDATION_ERROR) => Phase::Failed,
        (TRUE, _) if !stale => Phase::Running,
        _ => Phase::Provisioning,
    };
    if stale && ready.status == TRUE {
        // The operator's `Completed` describes the previous spec (e.g. before a version change).
        return (
            phase,
            condition(
                KARMADA_READY,
                UNKNOWN,
                operator_reason::PROGRESSING,
                format!(
                    "karmada-operator has not yet acted on the latest change of the Karmada CR \
                     {namespace}/{name}"
                ),
            ),
        );
    }
    let status = match ready.status.as_str() {
        TRUE => TRUE,
        FALSE => FALSE,
        _ => UNKNOWN,
    };
    (phase, condition(KARMADA_READY, status, reason, message))
}

/// `Ready`: true only while running; otherwise the first thing in the way, in install order.
fn ready_condition(
    phase: Phase,
    observed: &Observation<'_>,
    karmada: &Condition,
    storage: &Condition,
) -> Condition {
    if let Some(waiting) = &observed.deleting {
        return condition(READY, FALSE, "Deleting", waiting.clone());
    }
    if phase == Phase::Running {
        return condition(
            READY,
            TRUE,
            "Running",
            "the Karmada control plane is running".into(),
        );
    }
    if phase != Phase::Failed {
        if let Some(blocker) = &observed.blocker {
            return condition(READY, FALSE, blocker.reason, blocker.message.clone());
        }
        if storage.status == FALSE {
            return condition(READY, FALSE, &storage.reason, storage.message.clone());
        }
    }
    condition(READY, FALSE, &karmada.reason, karmada.message.clone())
}

fn condition(type_: &str, status: &str, reason: &str, message: String) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        last_transition_time: None,
        observed_generation: None,
    }
}
