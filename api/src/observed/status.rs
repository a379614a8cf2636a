//! The status of an instance, derived from what was observed and nothing else.
//!
//! [`derive`] is a pure function: the controller gathers an [`Observation`] and writes the result
//! only when it differs from the stored status. Condition transition times are carried over
//! whenever a condition's status did not change, so deriving twice from the same observation
//! gives the same status and the controller makes no write at steady state.
//!
//! The phase follows karmada-operator's `Ready` condition as [`OperatorReport`] reads it, with two
//! corrections the operator's own behaviour calls for: a `Failed` run is retried by the operator,
//! so it is still `Provisioning` (with the failure and a count) until the install's deadline; and
//! a re-run resets the condition to `Progressing`, so a `Running` instance stays `Running` while
//! every component workload still serves.

use std::time::Duration;

use k8s_openapi::jiff::{SignedDuration, Timestamp};

use super::components::{self, Workload};
use super::operator::OperatorReport;
use super::{
    FALSE, KARMADA_API_REACHABLE, KARMADA_READY, MemberObservation, Observation, READY, TRUE,
    UNKNOWN, UPGRADING, WorkloadObservation, condition,
};
use crate::instance::{InstallProgress, KarmadaRef};
use crate::rules::assess_availability;
use crate::{Condition, MulticloudInstance, MulticloudInstanceStatus, ObjectRef, Phase};

/// The time and the install time limit a status is derived with.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    /// Now.
    pub now: Timestamp,
    /// How long an install (or a spec change) may take before it is reported `Failed`.
    pub install_timeout: Duration,
}

impl Clock {
    fn stamp(&self) -> String {
        rfc3339(self.now)
    }
}

/// RFC 3339 at second precision, as Kubernetes writes times.
pub fn rfc3339(time: Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// The status `instance` should have given `observed` at `clock`.
pub fn derive(
    instance: &MulticloudInstance,
    observed: &Observation<'_>,
    clock: Clock,
) -> MulticloudInstanceStatus {
    let previous = instance.status.clone().unwrap_or_default();
    let generation = instance.metadata.generation;
    let name = instance.name();
    let namespace = crate::names::namespace(name);
    let karmada_name = crate::names::karmada(name);
    let version = instance.spec.karmada.version.as_str();

    let report = OperatorReport::read(observed.karmada);
    let workloads = observed.workloads.read();
    let serving = workloads.is_some_and(components::all_serving);
    let install = install_progress(instance, &previous, &report, serving, clock);
    let reading = read_install(
        &report, &previous, workloads, &install, clock, &namespace, name,
    );
    let phase = if observed.deleting.is_some() {
        Phase::Deleting
    } else {
        reading.phase
    };
    let storage_ready = observed.storage.condition();
    let upgrading = upgrading_condition(&observed.workloads, version, &previous);
    let (member_clusters, reachable) = members(&observed.members, &previous, phase);
    let ready = ready_condition(
        phase,
        observed,
        &reading.karmada_ready,
        &storage_ready,
        &upgrading,
        &reachable,
    );

    let mut conditions = vec![ready, reading.karmada_ready, storage_ready];
    conditions.extend(reachable);
    conditions.extend(upgrading);
    for condition in &mut conditions {
        let carried = previous
            .condition(&condition.type_)
            .filter(|old| old.status == condition.status)
            .and_then(|old| old.last_transition_time.clone());
        condition.last_transition_time = Some(carried.unwrap_or_else(|| clock.stamp()));
        condition.observed_generation = generation;
    }

    MulticloudInstanceStatus {
        phase: Some(phase),
        high_availability: assess_availability(&instance.spec).high_availability,
        member_clusters,
        karmada: Some(KarmadaRef {
            namespace: namespace.clone(),
            name: karmada_name,
            version: Some(version.to_owned()),
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
        install: Some(install),
    }
}

/// The install of the current generation: when it began, its deadline, its failures so far.
fn install_progress(
    instance: &MulticloudInstance,
    previous: &MulticloudInstanceStatus,
    report: &OperatorReport,
    serving: bool,
    clock: Clock,
) -> InstallProgress {
    let generation = instance.metadata.generation.unwrap_or_default();
    // A running instance that stops serving is being installed again: its clock starts now.
    let fell = previous.phase == Some(Phase::Running)
        && !serving
        && !matches!(report, OperatorReport::Completed(_));
    let mut install = match &previous.install {
        Some(install) if install.generation == generation && !fell => install.clone(),
        carried => {
            // The first install begins at the instance's creation; a later change, now.
            let started = match (carried, &instance.metadata.creation_timestamp) {
                (None, Some(created)) if !fell => created.0,
                _ => clock.now,
            };
            InstallProgress {
                generation,
                started: rfc3339(started),
                deadline: rfc3339(deadline_of(started, clock.install_timeout)),
                failures: 0,
                last_failure: None,
            }
        }
    };
    if let Some(started) = parse(&install.started) {
        install.deadline = rfc3339(deadline_of(started, clock.install_timeout));
    }
    if let OperatorReport::Failed { mark, .. } = report
        && install.last_failure.as_ref() != Some(mark)
    {
        install.failures = install.failures.saturating_add(1);
        install.last_failure = Some(mark.clone());
    }
    install
}

fn deadline_of(started: Timestamp, limit: Duration) -> Timestamp {
    let limit = SignedDuration::try_from(limit).unwrap_or(SignedDuration::MAX);
    started.checked_add(limit).unwrap_or(Timestamp::MAX)
}

fn parse(time: &str) -> Option<Timestamp> {
    time.parse().ok()
}

struct InstallReading {
    phase: Phase,
    karmada_ready: Condition,
}

/// The phase the operator's report, the workloads and the install's deadline imply, and the
/// `KarmadaReady` condition.
fn read_install(
    report: &OperatorReport,
    previous: &MulticloudInstanceStatus,
    workloads: Option<&[Workload]>,
    install: &InstallProgress,
    clock: Clock,
    namespace: &str,
    name: &str,
) -> InstallReading {
    let reading = |phase, status, reason: &str, message: String| InstallReading {
        phase,
        karmada_ready: condition(KARMADA_READY, status, reason, message),
    };
    let cr = format!("{namespace}/{name}");
    let serving = workloads.is_some_and(components::all_serving);
    let status_of = |report: &OperatorReport| match report {
        OperatorReport::Other { status, .. } if status == TRUE || status == UNKNOWN => {
            if status == TRUE { TRUE } else { UNKNOWN }
        }
        _ => FALSE,
    };
    let stays_running = previous.phase == Some(Phase::Running) && serving;
    let expired = parse(&install.deadline).is_some_and(|deadline| clock.now > deadline);
    let timeout = human(clock.install_timeout);
    let limit = format!(
        "the instance is reported Failed if not installed by {} (--install-timeout {timeout} \
         since {})",
        install.deadline, install.started
    );
    let failures = match install.failures {
        0 => String::new(),
        1 => "; karmada-operator failed once and retries".to_owned(),
        n => format!("; karmada-operator failed {n} times and retries"),
    };
    let timed_out = |last: &str| {
        reading(
            Phase::Failed,
            FALSE,
            "InstallTimedOut",
            format!(
                "karmada-operator has not installed the Karmada CR {cr} within {timeout} (since \
                 {}){failures}; it last said: {last}; `kubectl multicloud diagnose {name}` names \
                 the step it is stuck at",
                install.started
            ),
        )
    };
    match report {
        OperatorReport::NoKarmada => reading(
            Phase::Pending,
            FALSE,
            report.reason(),
            format!("the Karmada CR {cr} has not been created yet"),
        ),
        OperatorReport::Silent => reading(
            Phase::Pending,
            UNKNOWN,
            report.reason(),
            format!(
                "karmada-operator has not reported on the Karmada CR {cr} yet; check that \
                 karmada-operator is running in the global cluster"
            ),
        ),
        OperatorReport::Refused { reason, message } => reading(
            Phase::Failed,
            FALSE,
            reason,
            format!("karmada-operator refuses the Karmada CR {cr} and will not retry: {message}"),
        ),
        OperatorReport::Completed(_) => {
            reading(Phase::Running, TRUE, report.reason(), report.message())
        }
        OperatorReport::Failed { message, .. } if stays_running => reading(
            Phase::Running,
            FALSE,
            "Retrying",
            format!(
                "karmada-operator's last run failed ({message}){failures}; every component \
                 still serves"
            ),
        ),
        _ if stays_running => reading(
            Phase::Running,
            FALSE,
            "Reconciling",
            format!(
                "karmada-operator is running its install again ({}); every component still \
                 serves",
                report.message()
            ),
        ),
        _ if expired => timed_out(&report.message()),
        OperatorReport::Failed { message, .. } => reading(
            Phase::Provisioning,
            FALSE,
            "Retrying",
            format!("karmada-operator's last run failed: {message}{failures}; {limit}"),
        ),
        _ => reading(
            Phase::Provisioning,
            status_of(report),
            report.reason(),
            format!("{}{failures}; {limit}", report.message()),
        ),
    }
}

/// `Upgrading`: whether every karmada-versioned component runs the requested version.
fn upgrading_condition(
    workloads: &WorkloadObservation,
    version: &str,
    previous: &MulticloudInstanceStatus,
) -> Option<Condition> {
    let Some(workloads) = workloads.read() else {
        return previous.condition(UPGRADING).cloned();
    };
    if !workloads.iter().any(Workload::exists) {
        return None;
    }
    let behind = components::behind(workloads, version);
    Some(if behind.is_empty() {
        condition(
            UPGRADING,
            FALSE,
            "AtRequestedVersion",
            format!("every karmada component runs {version}"),
        )
    } else {
        condition(
            UPGRADING,
            TRUE,
            "Upgrading",
            format!(
                "waiting for every karmada component to run {version}; not yet: {}",
                behind.join(", ")
            ),
        )
    })
}

/// The member count and `KarmadaAPIReachable`.
fn members(
    members: &MemberObservation,
    previous: &MulticloudInstanceStatus,
    phase: Phase,
) -> (i32, Option<Condition>) {
    match members {
        MemberObservation::Counted(count) => (
            *count,
            Some(condition(
                KARMADA_API_REACHABLE,
                TRUE,
                "Reachable",
                format!("the instance's Karmada API answers; {count} member cluster(s) joined"),
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
            previous
                .condition(KARMADA_API_REACHABLE)
                .cloned()
                .or_else(|| {
                    (phase == Phase::Running).then(|| {
                        condition(
                            KARMADA_API_REACHABLE,
                            UNKNOWN,
                            "NotAskedYet",
                            "the instance's Karmada API has not been asked yet".into(),
                        )
                    })
                }),
        ),
    }
}

/// `Ready`: true only while running and the Karmada API is not known to be unreachable;
/// otherwise the first thing in the way, in install order.
fn ready_condition(
    phase: Phase,
    observed: &Observation<'_>,
    karmada: &Condition,
    storage: &Condition,
    upgrading: &Option<Condition>,
    reachable: &Option<Condition>,
) -> Condition {
    if let Some(deleting) = &observed.deleting {
        return match &deleting.stuck {
            Some(stuck) => condition(READY, FALSE, stuck.reason, stuck.message.clone()),
            None => condition(READY, FALSE, "Deleting", deleting.waiting.clone()),
        };
    }
    if phase == Phase::Running {
        if let Some(unreachable) = reachable.as_ref().filter(|c| c.status == FALSE) {
            return condition(
                READY,
                FALSE,
                "KarmadaAPIUnreachable",
                unreachable.message.clone(),
            );
        }
        let api = match reachable {
            Some(c) if c.status == TRUE => "its Karmada API answers",
            _ => "its Karmada API has not been asked yet",
        };
        if let Some(upgrade) = upgrading.as_ref().filter(|c| c.status == TRUE) {
            return condition(
                READY,
                TRUE,
                "Upgrading",
                format!(
                    "the Karmada control plane is running, {api}; {}",
                    upgrade.message
                ),
            );
        }
        return condition(
            READY,
            TRUE,
            "Running",
            format!("the Karmada control plane is running, {api}"),
        );
    }
    if phase != Phase::Failed {
        if let Some(blocker) = &observed.blocker {
            return condition(READY, FALSE, blocker.reason, blocker.message.clone());
        }
        if storage.status == FALSE {
            return condition(READY, FALSE, &storage.reason, storage.message.clone());
        }
        if let Some(stuck) = observed
            .workloads
            .read()
            .and_then(|w| components::counted(w).find(|w| w.warning.is_some() && !w.complete()))
        {
            return condition(
                READY,
                FALSE,
                "WorkloadNotReady",
                format!("{}; {}", stuck.summary(), karmada.message),
            );
        }
    }
    condition(READY, FALSE, &karmada.reason, karmada.message.clone())
}

/// `90s`, `5m`, `1h30m`.
fn human(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match (seconds / 3600, seconds % 3600 / 60, seconds % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
