use multicloud_api::Phase;
use multicloud_api::instance::StorageType;
use multicloud_api::karmada::{KarmadaStatus, SecretRef, render};
use multicloud_api::testing;

use super::*;

const NOW: &str = "2025-01-02T03:04:05Z";
const EARLIER: &str = "2025-01-01T00:00:00Z";

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
            Phase::Failed,
            "False",
            "Failed",
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
        let derived = derive(&instance(), &observe(cr.as_ref(), bound()), NOW);
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
fn failed_instance_carries_the_operator_message_in_ready() {
    let cr = karmada(Some(("False", "Failed", "etcd statefulset timed out")));
    let derived = derive(&instance(), &observe(Some(&cr), bound()), NOW);
    let ready = condition_of(&derived, READY);
    assert_eq!(ready.reason, "Failed");
    assert_eq!(ready.message, "etcd statefulset timed out");
    assert_eq!(
        condition_of(&derived, KARMADA_READY).message,
        "etcd statefulset timed out"
    );
}

#[test]
fn running_instance_points_at_the_admin_kubeconfig() {
    let cr = karmada(Some(("True", "Completed", "")));
    let derived = derive(&instance(), &observe(Some(&cr), bound()), NOW);
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
        Some(multicloud_api::instance::DEFAULT_KARMADA_VERSION)
    );
    assert_eq!(derived.observed_generation, Some(3));
}

#[test]
fn completed_for_an_older_generation_is_still_provisioning() {
    let mut cr = karmada(Some(("True", "Completed", "")));
    cr.metadata.generation = Some(2);
    if let Some(status) = cr.status.as_mut() {
        status.observed_generation = Some(1);
    }
    let derived = derive(&instance(), &observe(Some(&cr), bound()), NOW);
    assert_eq!(derived.phase, Some(Phase::Provisioning));
    assert_eq!(condition_of(&derived, KARMADA_READY).reason, "Progressing");
}

#[test]
fn pending_claim_shows_its_event_in_storage_ready_and_ready() {
    let event = "ProvisioningFailed: storageclass.storage.k8s.io \"gold\" not found";
    let cr = karmada(Some(("False", "Progressing", "waiting for etcd")));
    let storage = StorageObservation::Claims(vec![claim("Pending", Some(event))]);
    let derived = derive(&instance(), &observe(Some(&cr), storage), NOW);
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
    assert!(derive(&ha, &observe(None, StorageObservation::NotRequested), NOW).high_availability);
    let mut host = instance();
    host.spec.etcd.storage.type_ = StorageType::HostPath;
    assert!(
        !derive(&host, &observe(None, StorageObservation::NotRequested), NOW).high_availability
    );
}

#[test]
fn unchanged_conditions_keep_their_transition_time() {
    let cr = karmada(Some(("True", "Completed", "")));
    let first = derive(&instance(), &observe(Some(&cr), bound()), EARLIER);
    let mut stored = instance();
    stored.status = Some(first.clone());
    let again = derive(&stored, &observe(Some(&cr), bound()), NOW);
    assert_eq!(
        again, first,
        "deriving from the same observation changes nothing"
    );

    let failed = karmada(Some(("False", "Failed", "boom")));
    let changed = derive(&stored, &observe(Some(&failed), bound()), NOW);
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
    stored.status = Some(derive(&stored, &observation, EARLIER));
    assert_eq!(stored.status.as_ref().map(|s| s.member_clusters), Some(2));

    observation.members = MemberObservation::Unreachable("connection refused".into());
    let derived = derive(&stored, &observation, NOW);
    assert_eq!(derived.member_clusters, 2);
    let reachable = condition_of(&derived, KARMADA_API_REACHABLE);
    assert_eq!(reachable.status, "False");
    assert!(reachable.message.contains("connection refused"));

    observation.members = MemberObservation::NotCounted;
    stored.status = Some(derived.clone());
    assert_eq!(
        derive(&stored, &observation, NOW),
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
    let derived = derive(&instance(), &observation, NOW);
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
    observation.deleting = Some("waiting for the Karmada CR k-demo/demo to be removed".into());
    let derived = derive(&instance(), &observation, NOW);
    assert_eq!(derived.phase, Some(Phase::Deleting));
    assert_eq!(condition_of(&derived, READY).reason, "Deleting");
}
