//! The install steps of an instance, in order, and how far the install got, from an
//! [`Observation`]. `create --wait` shows them as they complete.

use multicloud_api::{Phase, StorageType};

use crate::observe::Observation;

/// One install step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The webhooks admitted the instance.
    Admitted,
    /// The controller created the Karmada CR.
    KarmadaCreated,
    /// karmada-operator's etcd PVCs are Bound.
    PvcsBound,
    /// The etcd StatefulSet has all its replicas ready.
    EtcdReady,
    /// The karmada apiserver Deployment is available.
    ApiserverAvailable,
    /// The instance is Running.
    Ready,
}

impl Step {
    /// Every step, in install order.
    pub const ALL: [Step; 6] = [
        Step::Admitted,
        Step::KarmadaCreated,
        Step::PvcsBound,
        Step::EtcdReady,
        Step::ApiserverAvailable,
        Step::Ready,
    ];

    /// The step as the progress display names it.
    pub fn title(self) -> &'static str {
        match self {
            Step::Admitted => "instance admitted",
            Step::KarmadaCreated => "Karmada CR created",
            Step::PvcsBound => "etcd PVCs bound",
            Step::EtcdReady => "etcd ready",
            Step::ApiserverAvailable => "karmada apiserver available",
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
    let instance = &observed.instance;
    let status = instance.status.clone().unwrap_or_default();
    let ready = status.condition("Ready");
    let ready_text = ready
        .map(|c| format!("{}: {}", c.reason, c.message))
        .filter(|t| t.len() > 2);
    let outcome = match status.phase {
        Some(Phase::Running) if ready.is_none_or(|c| c.is_true()) => Outcome::Running,
        Some(Phase::Failed) => Outcome::Failed(
            ready_text
                .clone()
                .unwrap_or_else(|| "the instance is Failed".to_owned()),
        ),
        _ => Outcome::InProgress,
    };
    let management = observed.management.as_ref();
    let unreachable = management
        .as_ref()
        .err()
        .map(|why| format!("management cluster unreachable: {why}"));

    let karmada = match (&observed.karmada_crd, &observed.karmada) {
        (Ok(false), _) => (
            false,
            Some("karmada-operator's CRD is not installed".to_owned()),
        ),
        (_, Ok(Some(_))) => (true, None),
        (_, Ok(None)) => (
            false,
            ready_text
                .clone()
                .or(Some("waiting for the controller".into())),
        ),
        (_, Err(why)) => (false, Some(why.clone())),
    };
    let storage = instance.spec.etcd.storage.type_;
    let claims = match (storage, management) {
        (StorageType::PersistentVolumeClaim, Ok(m)) => match &m.claims {
            Ok(claims) => {
                let bound = claims.iter().filter(|c| c.bound()).count();
                let waiting =
                    claims
                        .iter()
                        .find(|c| !c.bound())
                        .map(|c| match (&c.phase, &c.event) {
                            (None, _) => format!("PVC {} not created yet", c.name),
                            (Some(phase), Some(event)) => {
                                format!("PVC {} is {phase}: {event}", c.name)
                            }
                            (Some(phase), None) => format!("PVC {} is {phase}", c.name),
                        });
                let counted = format!("{bound}/{} Bound", claims.len());
                (
                    bound == claims.len() && !claims.is_empty(),
                    Some(waiting.map_or(counted.clone(), |w| format!("{counted}; {w}"))),
                )
            }
            Err(why) => (false, Some(why.clone())),
        },
        (StorageType::PersistentVolumeClaim, Err(_)) => (false, unreachable.clone()),
        // Nothing to provision, though nothing proves the operator got here before the CR exists.
        (other, _) => (karmada.0, Some(format!("{other} storage, no PVC"))),
    };
    let workload =
        |part: Option<&Result<Option<crate::observe::Workload>, String>>, what: &str| match part {
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
        };
    let etcd = workload(management.ok().map(|m| &m.etcd), "StatefulSet");
    let apiserver = workload(management.ok().map(|m| &m.apiserver), "Deployment");
    let phase = status
        .phase
        .map(|p| p.to_string())
        .unwrap_or_else(|| "Pending".into());
    let last = match (&outcome, &ready_text) {
        (Outcome::Running, _) => (true, None),
        (_, Some(text)) => (false, Some(format!("phase {phase}; {text}"))),
        (_, None) => (false, Some(format!("phase {phase}"))),
    };

    let raw = [(true, None), karmada, claims, etcd, apiserver, last];
    // A later step being done proves the earlier ones (the operator got that far).
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
    (states, outcome)
}

#[cfg(test)]
mod tests;
