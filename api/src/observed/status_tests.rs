use std::time::Duration;

use super::*;
use crate::Phase;
use crate::instance::StorageType;
use crate::karmada::{Karmada, KarmadaStatus, SecretRef, render};
use crate::names::KarmadaObjects;
use crate::observed::{
    Blocker, ClaimObservation, DeletionObservation, KARMADA_API_REACHABLE, KARMADA_READY,
    MemberObservation, STORAGE_READY, StorageObservation, Stuck, Workload,
};
use crate::testing;

const NOW: &str = "2025-01-02T03:04:05Z";
const EARLIER: &str = "2025-01-01T00:00:00Z";

fn at(time: &str) -> Clock {
    Clock {
        now: time.parse().expect("valid time"),
        install_timeout: Duration::from_secs(1800),
    }
}

/// Every component of an install, each with `ready` ready replicas and images at `version`.
fn workloads(ready: i32, version: &str) -> WorkloadObservation {
    let objects = KarmadaObjects::new("demo");
    WorkloadObservation::Read(
        super::super::COMPONENTS
            .iter()
            .filter(|c| c.always)
            .map(|c| Workload {
                desired: Some(1),
                ready,
                images: vec![format!("docker.io/karmada/{}:{version}", c.suffix)],
                ..Workload::missing(*c, &objects)
            })
            .collect(),
    )
}

fn instance() -> MulticloudInstance {
    let mut instance = testing::instance("demo");
    instance.metadata.generation = Some(3);
    instance
}

fn karmada(ready: Option<(&str, &str, &str)>) -> Karmada {
    let mut karmada = render(&instance());
    karmada.status = ready.map(|(status, reason, message)| KarmadaStatus {
        secret_ref: (status == "True").then(|| SecretRef {
            namespace: "k-demo".into(),
            name: "demo-karmada-admin-config".into(),
        }),
        ..testing::karmada_status(status, reason, message)
    });
    karmada
}

fn bound() -> StorageObservation {
    StorageObservation::Claims(vec![claim("Bound", None)])
}

fn claim(phase: &str, last_event: Option<&str>) -> ClaimObservation {
    ClaimObservation {
        name: "etcd-data-demo-karmada-etcd-0".into(),
        phase: Some(phase.to_owned()).filter(|p| !p.is_empty()),
        last_event: last_event.map(str::to_owned),
    }
}

fn observe(karmada: Option<&Karmada>, storage: StorageObservation) -> Observation<'_> {
    Observation {
        karmada,
        storage,
        workloads: WorkloadObservation::NotRead,
        members: MemberObservation::NotCounted,
        blocker: None,
        deleting: None,
    }
}

fn condition_of<'a>(status: &'a MulticloudInstanceStatus, type_: &str) -> &'a Condition {
    status
        .condition(type_)
        .unwrap_or_else(|| panic!("condition {type_} missing from {status:?}"))
}

#[test]
fn karmada_ready_condition_decides_the_phase() {
    let table = [
        (None, Phase::Pending, "False", "NotCreated"),
        (Some(None), Phase::Pending, "Unknown", "WaitingForOperator"),
        (
            Some(Some(("False", "Progressing", "installing etcd"))),
            Phase::Provisioning,
            "False",
            "Progressing",
        ),
        (
            Some(Some(("True", "Completed", ""))),
            Phase::Running,
            "True",
            "Completed",
        ),
        (
            Some(Some(("False", "Failed", "etcd timed out"))),
            Phase::Provisioning,
            "False",
            "Retrying",
        ),
        (
            Some(Some(("False", "ValidationError", "bad spec"))),
            Phase::Failed,
            "False",
            "ValidationError",
        ),
        (
            Some(Some(("Unknown", "", ""))),
            Phase::Provisioning,
            "Unknown",
            "NoReason",
        ),
    ];
    for (cr, phase, status, reason) in table {
        let cr = cr.map(karmada);
        let derived = derive(&instance(), &observe(cr.as_ref(), bound()), at(NOW));
        assert_eq!(derived.phase, Some(phase), "for {cr:?}");
        let ready = condition_of(&derived, KARMADA_READY);
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            (status, reason),
            "for {cr:?}"
        );
        assert_eq!(
            condition_of(&derived, READY).is_true(),
            phase == Phase::Running
        );
    }
}

#[test]
fn a_failed_run_is_still_installing_with_the_message_and_a_count() {
    let cr = karmada(Some(("False", "Failed", "etcd statefulset timed out")));
    let derived = derive(&instance(), &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(derived.phase, Some(Phase::Provisioning));
    let ready = condition_of(&derived, READY);
    assert_eq!(ready.reason, "Retrying");
    assert!(
        ready.message.contains("etcd statefulset timed out"),
        "{}",
        ready.message
    );
    assert!(
        ready.message.contains("failed once and retries"),
        "{}",
        ready.message
    );
    let install = derived.install.clone().expect("install progress");
    assert_eq!(install.failures, 1);
    assert!(
        ready
            .message
            .contains(&format!("Failed if not installed by {}", install.deadline)),
        "the deadline is visible: {}",
        ready.message
    );

    // The same failure read again is not counted again; the next run's failure is.
    let mut stored = instance();
    stored.status = Some(derived);
    let again = derive(&stored, &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(again.install.as_ref().map(|i| i.failures), Some(1));
    let mut next = cr.clone();
    if let Some(condition) = next.status.as_mut().and_then(|s| s.conditions.first_mut()) {
        condition.last_transition_time = Some("2025-01-02T03:10:00Z".into());
    }
    let counted = derive(&stored, &observe(Some(&next), bound()), at(NOW));
    assert_eq!(counted.install.as_ref().map(|i| i.failures), Some(2));
    assert!(
        condition_of(&counted, READY)
            .message
            .contains("failed 2 times")
    );
}

#[test]
fn an_install_past_its_deadline_is_failed_and_says_so() {
    let mut created = instance();
    created.metadata.creation_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            "2025-01-02T02:00:00Z".parse().expect("valid time"),
        ));
    let cr = karmada(Some((
        "False",
        "Progressing",
        "karmada init job is in progressing",
    )));
    let derived = derive(&created, &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(derived.phase, Some(Phase::Failed));
    let ready = condition_of(&derived, READY);
    assert_eq!(ready.reason, "InstallTimedOut");
    assert!(ready.message.contains("within 30m"), "{}", ready.message);
    assert_eq!(
        derived.install.map(|i| i.deadline).as_deref(),
        Some("2025-01-02T02:30:00Z")
    );
}

#[test]
fn a_validation_error_is_final() {
    let cr = karmada(Some(("False", "ValidationError", "bad spec")));
    let derived = derive(&instance(), &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(derived.phase, Some(Phase::Failed));
    assert!(
        condition_of(&derived, READY)
            .message
            .contains("will not retry")
    );
}

#[test]
fn a_rerun_keeps_a_running_instance_running_while_its_components_serve() {
    let done = karmada(Some(("True", "Completed", "")));
    let mut observation = observe(Some(&done), bound());
    observation.workloads = workloads(1, "v1.13.0");
    let mut stored = instance();
    stored.status = Some(derive(&stored, &observation, at(EARLIER)));
    assert_eq!(
        stored.status.as_ref().and_then(|s| s.phase),
        Some(Phase::Running)
    );

    let rerun = karmada(Some((
        "False",
        "Progressing",
        "karmada init job is in progressing",
    )));
    observation.karmada = Some(&rerun);
    let derived = derive(&stored, &observation, at(NOW));
    assert_eq!(derived.phase, Some(Phase::Running));
    assert_eq!(condition_of(&derived, KARMADA_READY).reason, "Reconciling");
    assert!(condition_of(&derived, READY).is_true());

    observation.workloads = workloads(0, "v1.13.0");
    let down = derive(&stored, &observation, at(NOW));
    assert_eq!(down.phase, Some(Phase::Provisioning), "no component serves");
}

#[test]
fn a_version_change_is_upgrading_until_every_component_runs_it() {
    let done = karmada(Some(("True", "Completed", "")));
    let mut upgraded = instance();
    upgraded.spec.karmada.version = "v1.14.0".into();
    let mut observation = observe(Some(&done), bound());
    observation.workloads = workloads(1, "v1.13.0");
    let derived = derive(&upgraded, &observation, at(NOW));
    let upgrading = condition_of(&derived, UPGRADING);
    assert_eq!(
        (upgrading.status.as_str(), upgrading.reason.as_str()),
        ("True", "Upgrading")
    );
    assert!(
        upgrading.message.contains("webhook (v1.13.0)"),
        "{}",
        upgrading.message
    );
    assert_eq!(condition_of(&derived, READY).reason, "Upgrading");

    observation.workloads = workloads(1, "v1.14.0");
    let derived = derive(&upgraded, &observation, at(NOW));
    assert_eq!(condition_of(&derived, UPGRADING).status, "False");
    assert_eq!(condition_of(&derived, READY).reason, "Running");
}

#[test]
fn the_karmada_api_answers_only_once_it_did() {
    let done = karmada(Some(("True", "Completed", "")));
    let mut observation = observe(Some(&done), bound());
    let derived = derive(&instance(), &observation, at(NOW));
    let reachable = condition_of(&derived, KARMADA_API_REACHABLE);
    assert_eq!(
        (reachable.status.as_str(), reachable.reason.as_str()),
        ("Unknown", "NotAskedYet")
    );
    assert!(
        condition_of(&derived, READY)
            .message
            .contains("not been asked yet")
    );
    observation.members = MemberObservation::Unreachable("connection refused".into());
    let unreachable = derive(&instance(), &observation, at(NOW));
    let ready = condition_of(&unreachable, READY);
    assert_eq!(
        (ready.status.as_str(), ready.reason.as_str()),
        ("False", "KarmadaAPIUnreachable")
    );
    observation.members = MemberObservation::Counted(0);
    let answered = derive(&instance(), &observation, at(NOW));
    assert!(
        condition_of(&answered, READY)
            .message
            .contains("its Karmada API answers")
    );
}

#[test]
fn running_instance_points_at_the_admin_kubeconfig() {
    let cr = karmada(Some(("True", "Completed", "")));
    let derived = derive(&instance(), &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(
        derived.kubeconfig_secret_ref,
        Some(ObjectRef {
            namespace: "k-demo".into(),
            name: "demo-karmada-admin-config".into()
        })
    );
    let karmada_ref = derived.karmada.expect("karmada ref");
    assert_eq!(
        (karmada_ref.namespace.as_str(), karmada_ref.name.as_str()),
        ("k-demo", "demo")
    );
    assert_eq!(
        karmada_ref.version.as_deref(),
        Some(crate::instance::DEFAULT_KARMADA_VERSION)
    );
    assert_eq!(derived.observed_generation, Some(3));
}

#[test]
fn pending_claim_shows_its_event_in_storage_ready_and_ready() {
    let event = "ProvisioningFailed: storageclass.storage.k8s.io \"gold\" not found";
    let cr = karmada(Some(("False", "Progressing", "waiting for etcd")));
    let storage = StorageObservation::Claims(vec![claim("Pending", Some(event))]);
    let derived = derive(&instance(), &observe(Some(&cr), storage), at(NOW));
    let storage_ready = condition_of(&derived, STORAGE_READY);
    assert_eq!(storage_ready.status, "False");
    assert_eq!(storage_ready.reason, "ClaimPending");
    assert!(
        storage_ready.message.contains(event),
        "{}",
        storage_ready.message
    );
    assert!(
        storage_ready
            .message
            .contains("etcd-data-demo-karmada-etcd-0")
    );
    assert_eq!(condition_of(&derived, READY).message, storage_ready.message);
}

#[test]
fn storage_ready_follows_claims_and_storage_type() {
    let table = [
        (
            StorageObservation::NodeLocal(StorageType::HostPath),
            "True",
            "HostPath",
        ),
        (
            StorageObservation::NodeLocal(StorageType::EmptyDir),
            "True",
            "EmptyDir",
        ),
        (
            StorageObservation::NotRequested,
            "Unknown",
            "WaitingForKarmada",
        ),
        (
            StorageObservation::Unreachable("timed out".into()),
            "Unknown",
            "ManagementClusterUnreachable",
        ),
        (bound(), "True", "Bound"),
        (
            StorageObservation::Claims(vec![claim("", None)]),
            "Unknown",
            "WaitingForClaims",
        ),
        (
            StorageObservation::Claims(vec![claim("Bound", None), claim("Lost", None)]),
            "False",
            "ClaimLost",
        ),
        (
            StorageObservation::Claims(vec![claim("Pending", None)]),
            "False",
            "ClaimPending",
        ),
    ];
    for (storage, status, reason) in table {
        let condition = storage.condition();
        assert_eq!(
            (condition.status.as_str(), condition.reason.as_str()),
            (status, reason),
            "{storage:?}"
        );
    }
}

#[test]
fn high_availability_needs_claims_and_three_members() {
    let mut ha = instance();
    ha.spec.etcd.replicas = 3;
    assert!(
        derive(
            &ha,
            &observe(None, StorageObservation::NotRequested),
            at(NOW)
        )
        .high_availability
    );
    let mut host = instance();
    host.spec.etcd.storage.type_ = StorageType::HostPath;
    assert!(
        !derive(
            &host,
            &observe(None, StorageObservation::NotRequested),
            at(NOW)
        )
        .high_availability
    );
}

#[test]
fn unchanged_conditions_keep_their_transition_time() {
    let cr = karmada(Some(("True", "Completed", "")));
    let first = derive(&instance(), &observe(Some(&cr), bound()), at(EARLIER));
    let mut stored = instance();
    stored.status = Some(first.clone());
    let again = derive(&stored, &observe(Some(&cr), bound()), at(NOW));
    assert_eq!(
        again, first,
        "deriving from the same observation changes nothing"
    );

    let failed = karmada(Some(("False", "Failed", "boom")));
    let changed = derive(&stored, &observe(Some(&failed), bound()), at(NOW));
    assert_eq!(
        condition_of(&changed, READY)
            .last_transition_time
            .as_deref(),
        Some(NOW)
    );
    assert_eq!(
        condition_of(&changed, STORAGE_READY)
            .last_transition_time
            .as_deref(),
        Some(EARLIER)
    );
}

#[test]
fn unreachable_karmada_api_keeps_the_last_member_count() {
    let cr = karmada(Some(("True", "Completed", "")));
    let mut stored = instance();
    let mut observation = observe(Some(&cr), bound());
    observation.members = MemberObservation::Counted(2);
    stored.status = Some(derive(&stored, &observation, at(EARLIER)));
    assert_eq!(stored.status.as_ref().map(|s| s.member_clusters), Some(2));

    observation.members = MemberObservation::Unreachable("connection refused".into());
    let derived = derive(&stored, &observation, at(NOW));
    assert_eq!(derived.member_clusters, 2);
    let reachable = condition_of(&derived, KARMADA_API_REACHABLE);
    assert_eq!(reachable.status, "False");
    assert!(reachable.message.contains("connection refused"));

    observation.members = MemberObservation::NotCounted;
    stored.status = Some(derived.clone());
    assert_eq!(
        derive(&stored, &observation, at(NOW)),
        derived,
        "an uncounted restart changes nothing"
    );
}

#[test]
fn blocker_explains_a_pending_instance() {
    let mut observation = observe(None, StorageObservation::NotRequested);
    observation.blocker = Some(Blocker {
        reason: "ManagementClusterNotRegistered",
        message: "register edge-1".into(),
    });
    let derived = derive(&instance(), &observation, at(NOW));
    assert_eq!(derived.phase, Some(Phase::Pending));
    let ready = condition_of(&derived, READY);
    assert_eq!(
        (ready.reason.as_str(), ready.message.as_str()),
        ("ManagementClusterNotRegistered", "register edge-1")
    );
}

#[test]
fn deletion_in_progress_is_the_deleting_phase() {
    let cr = karmada(Some(("True", "Completed", "")));
    let mut observation = observe(Some(&cr), bound());
    observation.deleting = Some(DeletionObservation {
        waiting: "waiting for the Karmada CR k-demo/demo to be removed".into(),
        stuck: None,
    });
    let derived = derive(&instance(), &observation, at(NOW));
    assert_eq!(derived.phase, Some(Phase::Deleting));
    assert_eq!(condition_of(&derived, READY).reason, "Deleting");

    observation.deleting = Some(DeletionObservation {
        waiting: "waiting for the Karmada CR k-demo/demo to be removed".into(),
        stuck: Some(Stuck {
            reason: "OperatorNotRunning",
            message: "karmada-operator is not running".into(),
        }),
    });
    let stuck = derive(&instance(), &observation, at(NOW));
    assert_eq!(stuck.phase, Some(Phase::Deleting));
    assert_eq!(condition_of(&stuck, READY).reason, "OperatorNotRunning");
}
