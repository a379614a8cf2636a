//! The install steps of an instance, in karmada-operator's order (`operator/pkg/init.go`), and
//! how far the install got, from an [`Observation`]. `create --wait` shows them as they
//! complete. The CRD, aggregated apiserver and component steps are read by
//! [`multicloud_api::observed::steps`], as `diagnose` reads them.

use multicloud_api::observed::steps::{Seen, StepId as ApiStep, StepState as ApiState, steps};
use multicloud_api::observed::{ClaimObservation, WorkloadObservation};
use multicloud_api::{MulticloudInstanceStatus, Phase, StorageType};

use crate::observe::{Claim, Observation, Workload};

/// One install step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The webhooks admitted the instance.
    Admitted,
    /// The controller created the Karmada CR.
    KarmadaCreated,
    /// karmada-operator fetched the Karmada CRDs (its first task).
    Crds,
    /// karmada-operator's etcd PVCs are Bound.
    PvcsBound,
    /// The etcd StatefulSet has all its replicas ready.
    EtcdReady,
    /// The karmada apiserver Deployment is available.
    ApiserverAvailable,
    /// The karmada aggregated apiserver Deployment is available.
    AggregatedApiserverAvailable,
    /// The controllers, scheduler and webhook are available.
    ComponentsAvailable,
    /// The instance is Running.
    Ready,
}

impl Step {
    /// Every step, in install order.
    pub const ALL: [Step; 9] = [
        Step::Admitted,
        Step::KarmadaCreated,
        Step::Crds,
        Step::PvcsBound,
        Step::EtcdReady,
        Step::ApiserverAvailable,
        Step::AggregatedApiserverAvailable,
        Step::ComponentsAvailable,
        Step::Ready,
    ];

    /// The step as the progress display names it.
    pub fn title(self) -> &'static str {
        match self {
            Step::Admitted => "instance admitted",
            Step::KarmadaCreated => "Karmada CR created",
            Step::Crds => ApiStep::Crds.title(),
            Step::PvcsBound => "etcd PVCs bound",
            Step::EtcdReady => "etcd ready",
            Step::ApiserverAvailable => "karmada apiserver available",
            Step::AggregatedApiserverAvailable => ApiStep::AggregatedApiserver.title(),
            Step::ComponentsAvailable => ApiStep::Components.title(),
            Step::Ready => "Ready",
        }
    }
}

/// A step and what is known of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepState {
    /// The step.
    pub step: Step,
    /// Whether it is complete.
    pub done: bool,
    /// What is happening (or what it came to), in words.
    pub detail: Option<String>,
}

/// Where the install stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Still installing.
    InProgress,
    /// Running.
    Running,
    /// Failed, with the reason from the Ready condition.
    Failed(String),
}

/// The steps and the outcome implied by `observed`.
pub fn assess(observed: &Observation) -> (Vec<StepState>, Outcome) {
    let status = observed.instance.status.clone().unwrap_or_default();
    let ready_text = status
        .condition("Ready")
        .map(|c| format!("{}: {}", c.reason, c.message))
        .filter(|t| t.len() > 2);
    let outcome = outcome(&status, ready_text.as_deref());
    let management = observed.management.as_ref();
    let unreachable = management
        .err()
        .map(|why| format!("management cluster unreachable: {why}"));
    let karmada = karmada_step(observed, ready_text.as_deref());
    let (crds, aggregated, components) = operator_steps(observed);
    let claims = claims_step(observed, karmada.0, crds.0, unreachable.as_deref());
    let etcd = workload_step(
        management.ok().map(|m| &m.etcd),
        "StatefulSet",
        &unreachable,
    );
    let apiserver = workload_step(
        management.ok().map(|m| &m.apiserver),
        "Deployment",
        &unreachable,
    );
    let phase = status
        .phase
        .map(|p| p.to_string())
        .unwrap_or_else(|| "Pending".into());
    let last = match (&outcome, &ready_text) {
        (Outcome::Running, _) => (true, None),
        (_, Some(text)) => (false, Some(format!("phase {phase}; {text}"))),
        (_, None) => (false, Some(format!("phase {phase}"))),
    };
    let raw = [
        (true, None),
        karmada,
        crds,
        claims,
        etcd,
        apiserver,
        aggregated,
        components,
        last,
    ];
    (proven(raw), outcome)
}

/// Running (Ready not False), Failed with the Ready condition's words, or still installing.
fn outcome(status: &MulticloudInstanceStatus, ready_text: Option<&str>) -> Outcome {
    let ready = status.condition("Ready");
    match status.phase {
        Some(Phase::Running) if ready.is_none_or(|c| c.is_true()) => Outcome::Running,
        Some(Phase::Failed) => {
            Outcome::Failed(ready_text.unwrap_or("the instance is Failed").to_owned())
        }
        _ => Outcome::InProgress,
    }
}

/// Whether the Karmada CR exists (or why not).
fn karmada_step(observed: &Observation, ready_text: Option<&str>) -> Raw {
    match (&observed.karmada_crd, &observed.karmada) {
        (Ok(false), _) => (
            false,
            Some("karmada-operator's CRD is not installed".to_owned()),
        ),
        (_, Ok(Some(_))) => (true, None),
        (_, Ok(None)) => (
            false,
            Some(
                ready_text
                    .unwrap_or("waiting for the controller")
                    .to_owned(),
            ),
        ),
        (_, Err(why)) => (false, Some(why.clone())),
    }
}

/// Whether etcd's storage is there: every PVC Bound, or, with nothing to provision, the CR
/// made and the operator past the CRDs, which only its own progress proves (the CRD step done,
/// or an etcd StatefulSet it made). The CR alone proves nothing: a ValidationError stops the
/// operator before its first task.
fn claims_step(
    observed: &Observation,
    karmada_made: bool,
    crds_done: bool,
    unreachable: Option<&str>,
) -> Raw {
    let management = observed.management.as_ref();
    match (observed.instance.spec.etcd.storage.type_, management) {
        (StorageType::PersistentVolumeClaim, Ok(m)) => match &m.claims {
            Ok(claims) => claims_bound(claims),
            Err(why) => (false, Some(why.clone())),
        },
        (StorageType::PersistentVolumeClaim, Err(_)) => (false, unreachable.map(str::to_owned)),
        (other, _) => {
            let etcd_made = management.is_ok_and(|m| matches!(m.etcd, Ok(Some(_))));
            (
                karmada_made && (crds_done || etcd_made),
                Some(format!("{other} storage, no PVC")),
            )
        }
    }
}

/// `n/m Bound`, and what the first claim not Bound waits for.
fn claims_bound(claims: &[Claim]) -> Raw {
    let bound = claims.iter().filter(|c| c.bound()).count();
    let waiting = claims
        .iter()
        .find(|c| !c.bound())
        .map(|c| match (&c.phase, &c.event) {
            (None, _) => format!("PVC {} not created yet", c.name),
            (Some(phase), Some(event)) => format!("PVC {} is {phase}: {event}", c.name),
            (Some(phase), None) => format!("PVC {} is {phase}", c.name),
        });
    let counted = format!("{bound}/{} Bound", claims.len());
    (
        bound == claims.len() && !claims.is_empty(),
        Some(waiting.map_or(counted.clone(), |w| format!("{counted}; {w}"))),
    )
}

/// Whether a workload (`what`: its kind) is up, from what was read of it.
fn workload_step(
    part: Option<&Result<Option<Workload>, String>>,
    what: &str,
    unreachable: &Option<String>,
) -> Raw {
    match part {
        None => (false, unreachable.clone()),
        Some(Err(why)) => (false, Some(why.clone())),
        Some(Ok(None)) => (false, Some(format!("{what} not created yet"))),
        Some(Ok(Some(w))) => (
            w.up,
            Some(match &w.message {
                Some(message) if !w.up => format!("{}/{} ready; {message}", w.ready, w.desired),
                _ => format!("{}/{} ready", w.ready, w.desired),
            }),
        ),
    }
}

/// The steps, each done when seen done or when a later one is: the operator got that far.
fn proven(raw: [Raw; 9]) -> Vec<StepState> {
    let mut later_done = false;
    let mut states: Vec<StepState> = Step::ALL
        .iter()
        .zip(raw)
        .rev()
        .map(|(&step, (done, detail))| {
            let proven = later_done && !done;
            later_done |= done;
            StepState {
                step,
                done: later_done,
                // Its own observation lags behind the proof; showing it would contradict "done".
                detail: if proven { None } else { detail },
            }
        })
        .collect();
    states.reverse();
    states
}

type Raw = (bool, Option<String>);

/// The steps only the shared reading knows: the CRDs, and the components after the apiserver.
fn operator_steps(observed: &Observation) -> (Raw, Raw, Raw) {
    let management = observed.management.as_ref().ok();
    let claims = management
        .and_then(|m| m.claims.as_ref().ok())
        .map(|claims| {
            claims
                .iter()
                .map(|c| ClaimObservation {
                    name: c.name.clone(),
                    phase: c.phase.clone(),
                    last_event: c.event.clone(),
                })
                .collect()
        })
        .ok_or_else(|| "not read".to_owned());
    let workloads = match management.map(|m| &m.components) {
        Some(Ok(components)) if !components.is_empty() => {
            WorkloadObservation::Read(components.clone())
        }
        Some(Err(why)) => WorkloadObservation::Unreachable(why.clone()),
        _ => WorkloadObservation::NotRead,
    };
    let read = matches!(workloads, WorkloadObservation::Read(_));
    let seen = Seen {
        instance: &observed.instance,
        karmada: observed.karmada.as_ref().ok().and_then(Option::as_ref),
        claims,
        workloads,
    };
    let all = steps(&seen);
    let pick = |id: ApiStep, needs_workloads: bool| -> Raw {
        match all.iter().find(|s| s.id == id) {
            Some(step) if step.state == ApiState::Done && (read || !needs_workloads) => {
                (true, Some(step.detail.clone()))
            }
            // Not looked at: only a later step can prove it.
            Some(_) if needs_workloads && !read => (false, None),
            Some(step) => (false, Some(step.detail.clone())),
            None => (false, None),
        }
    };
    (
        pick(ApiStep::Crds, false),
        pick(ApiStep::AggregatedApiserver, true),
        pick(ApiStep::Components, true),
    )
}

#[cfg(test)]
mod tests;
