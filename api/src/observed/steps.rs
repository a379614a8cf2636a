//! The install of an instance as karmada-operator carries it out, step by step, and how far it
//! got: what `diagnose` walks and `create --wait` shows.
//!
//! The order is the operator's (`operator/pkg/init.go` `NewInitJob`): CRDs
//! (`pkg/tasks/init/crd.go`, downloaded from `spec.crdTarball`), certificates and the namespace,
//! etcd (`pkg/tasks/init/etcd.go`, whose PVCs come from the StatefulSet's volume claim template),
//! the karmada apiserver, the aggregated apiserver, then the other components
//! (`pkg/tasks/init/component.go`) and the wait for them (`pkg/tasks/init/wait.go`). Each step
//! is judged by what its own objects say: a PVC's phase and events, a workload's ready replicas
//! and its Warning events (a StatefulSet whose pods cannot be created says `FailedCreate`), and
//! the operator's message.

use super::components::{self, Workload};
use super::operator::OperatorReport;
use super::storage::ClaimObservation;
use super::{READY, WorkloadObservation};
use crate::instance::StorageType;
use crate::karmada::Karmada;
use crate::{MulticloudInstance, Phase};

/// One step of the install.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepId {
    /// The controller created the Karmada CR.
    KarmadaCreated,
    /// The operator fetched and unpacked the Karmada CRDs.
    Crds,
    /// etcd's PVCs are Bound (PVC storage only).
    EtcdStorage,
    /// The etcd StatefulSet has its members ready.
    Etcd,
    /// The karmada apiserver Deployment serves.
    Apiserver,
    /// The karmada aggregated apiserver Deployment serves.
    AggregatedApiserver,
    /// The remaining components serve.
    Components,
    /// The instance is Running.
    Ready,
}

impl StepId {
    /// The step's title.
    pub fn title(self) -> &'static str {
        match self {
            Self::KarmadaCreated => "Karmada CR created",
            Self::Crds => "Karmada CRDs prepared",
            Self::EtcdStorage => "etcd PVCs bound",
            Self::Etcd => "etcd ready",
            Self::Apiserver => "karmada apiserver available",
            Self::AggregatedApiserver => "karmada aggregated apiserver available",
            Self::Components => "karmada controllers, scheduler and webhook available",
            Self::Ready => "Ready",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    /// Complete.
    Done,
    /// Not complete; nothing says it is broken.
    Waiting,
    /// Something says it is broken (it may still be retried).
    Failing,
}

/// A step and what its objects say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Which step.
    pub id: StepId,
    /// Where it stands.
    pub state: StepState,
    /// What was found, in words.
    pub detail: String,
}

/// Everything the steps are judged on.
#[derive(Debug, Clone)]
pub struct Seen<'a> {
    /// The instance, with the status the controller wrote.
    pub instance: &'a MulticloudInstance,
    /// The Karmada CR, when it exists.
    pub karmada: Option<&'a Karmada>,
    /// The etcd PVCs (PVC storage), or why they could not be read.
    pub claims: Result<Vec<ClaimObservation>, String>,
    /// The component workloads.
    pub workloads: WorkloadObservation,
}

/// Whether the operator's message is about the CRD tarball (`crd.go`'s errors).
pub fn is_crd_failure(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "crd tar",
        "download-crds",
        "prepare-crds",
        "crds.tar.gz",
        "[unpack]",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// Every step, in the operator's order. A later step being done proves the earlier ones.
pub fn steps(seen: &Seen<'_>) -> Vec<Step> {
    let report = OperatorReport::read(seen.karmada);
    let failing_message = match &report {
        OperatorReport::Failed { message, .. } | OperatorReport::Refused { message, .. } => {
            Some(message.as_str())
        }
        _ => None,
    };
    let step = |id, state, detail: String| Step { id, state, detail };
    let mut raw = Vec::new();
    raw.push(match seen.karmada {
        Some(_) => step(StepId::KarmadaCreated, StepState::Done, "exists".into()),
        None => step(
            StepId::KarmadaCreated,
            StepState::Waiting,
            ready_message(seen.instance).unwrap_or_else(|| "waiting for the controller".into()),
        ),
    });
    raw.push(match failing_message.filter(|m| is_crd_failure(m)) {
        Some(message) => step(
            StepId::Crds,
            StepState::Failing,
            format!("karmada-operator could not fetch the Karmada CRDs: {message}"),
        ),
        None => step(
            StepId::Crds,
            StepState::Waiting,
            "karmada-operator fetches them from spec.crdTarball".into(),
        ),
    });
    if seen.instance.spec.etcd.storage.type_ == StorageType::PersistentVolumeClaim {
        raw.push(claims_step(&seen.claims));
    }
    let workloads = seen.workloads.read();
    let of = |suffixes: &[&str]| -> Vec<&Workload> {
        workloads
            .map(|w| {
                components::counted(w)
                    .filter(|w| suffixes.contains(&w.component.suffix))
                    .collect()
            })
            .unwrap_or_default()
    };
    let unread = match &seen.workloads {
        WorkloadObservation::Unreachable(why) => why.clone(),
        _ => "not looked at".into(),
    };
    raw.push(workloads_step(StepId::Etcd, &of(&["etcd"]), &unread));
    raw.push(workloads_step(
        StepId::Apiserver,
        &of(&["apiserver"]),
        &unread,
    ));
    raw.push(workloads_step(
        StepId::AggregatedApiserver,
        &of(&["aggregated-apiserver"]),
        &unread,
    ));
    raw.push(workloads_step(
        StepId::Components,
        &of(&[
            "kube-controller-manager",
            "controller-manager",
            "scheduler",
            "webhook",
            "metrics-adapter",
            "search",
        ]),
        &unread,
    ));
    let status = seen.instance.status.as_ref();
    let running = status.is_some_and(|s| {
        s.phase == Some(Phase::Running) && s.condition(READY).is_none_or(|c| c.is_true())
    });
    let phase = status
        .and_then(|s| s.phase)
        .map_or("Pending".to_owned(), |p| p.to_string());
    raw.push(if running {
        step(StepId::Ready, StepState::Done, "Running".into())
    } else {
        step(
            StepId::Ready,
            if phase == "Failed" {
                StepState::Failing
            } else {
                StepState::Waiting
            },
            match ready_message(seen.instance) {
                Some(text) => format!("phase {phase}; {text}"),
                None => format!("phase {phase}"),
            },
        )
    });
    // A later step done proves the earlier ones (the operator got that far).
    let mut later_done = false;
    for step in raw.iter_mut().rev() {
        if step.state == StepState::Done {
            later_done = true;
        } else if later_done {
            step.state = StepState::Done;
        }
    }
    raw
}

fn ready_message(instance: &MulticloudInstance) -> Option<String> {
    instance
        .status
        .as_ref()
        .and_then(|s| s.condition(READY))
        .filter(|c| !c.reason.is_empty() || !c.message.is_empty())
        .map(|c| format!("{}: {}", c.reason, c.message))
}

fn claims_step(claims: &Result<Vec<ClaimObservation>, String>) -> Step {
    let step = |state, detail| Step {
        id: StepId::EtcdStorage,
        state,
        detail,
    };
    let claims = match claims {
        Ok(claims) => claims,
        Err(why) => return step(StepState::Waiting, why.clone()),
    };
    let bound = claims.iter().filter(|c| c.is("Bound")).count();
    let counted = format!("{bound}/{} Bound", claims.len());
    match claims.iter().find(|c| !c.is("Bound")) {
        None if !claims.is_empty() => step(StepState::Done, counted),
        None => step(StepState::Waiting, counted),
        Some(claim) => match (&claim.phase, &claim.last_event) {
            (None, _) => step(
                StepState::Waiting,
                format!("{counted}; PVC {} not created yet", claim.name),
            ),
            (Some(phase), Some(event)) => step(
                if event.starts_with("WaitForFirstConsumer")
                    || phase == "Pending" && event.starts_with("ExternalProvisioning")
                {
                    StepState::Waiting
                } else {
                    StepState::Failing
                },
                format!("{counted}; PVC {} is {phase}: {event}", claim.name),
            ),
            (Some(phase), None) => step(
                StepState::Waiting,
                format!("{counted}; PVC {} is {phase}", claim.name),
            ),
        },
    }
}

fn workloads_step(id: StepId, workloads: &[&Workload], unread: &str) -> Step {
    let step = |state, detail| Step { id, state, detail };
    if workloads.is_empty() {
        return step(StepState::Waiting, unread.to_owned());
    }
    if let Some(broken) = workloads
        .iter()
        .find(|w| !w.complete() && w.warning.is_some())
    {
        return step(StepState::Failing, broken.summary());
    }
    if let Some(missing) = workloads.iter().find(|w| !w.exists()) {
        return step(StepState::Waiting, missing.summary());
    }
    if let Some(down) = workloads.iter().find(|w| !w.serving()) {
        return step(StepState::Waiting, down.summary());
    }
    let summary: Vec<String> = workloads.iter().map(|w| w.summary()).collect();
    step(StepState::Done, summary.join(", "))
}

#[cfg(test)]
mod tests;
