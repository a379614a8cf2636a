use multicloud_api::{Phase, StorageType};

use super::*;
use crate::fixtures::{claim, healthy, healthy_management, instance, phase, storage, workload};

fn done(states: &[StepState]) -> Vec<bool> {
    states.iter().map(|s| s.done).collect()
}

#[test]
fn running_instance_has_every_step_done() {
    let (states, outcome) = assess(&healthy("demo"));
    assert_eq!(outcome, Outcome::Running);
    assert_eq!(done(&states), [true; 9]);
    assert_eq!(states.iter().map(|s| s.step).collect::<Vec<_>>(), Step::ALL);
}

#[test]
fn pending_pvc_stops_at_pvcs_bound_with_its_event() {
    let mut observed = healthy("demo");
    observed.instance = phase(
        instance("demo", 10),
        Phase::Provisioning,
        "ClaimPending",
        "PVC is Pending",
    );
    let mut management = healthy_management(vec![claim(
        "etcd-data-demo-karmada-etcd-0",
        Some("Pending"),
        Some("ProvisioningFailed: no such class"),
    )]);
    management.etcd = Ok(Some(workload(0, 1)));
    management.apiserver = Ok(None);
    observed.management = Ok(management);
    let (states, outcome) = assess(&observed);
    assert_eq!(outcome, Outcome::InProgress);
    assert_eq!(
        done(&states),
        [true, true, false, false, false, false, false, false, false]
    );
    assert_eq!(
        states[3].detail.as_deref(),
        Some(
            "0/1 Bound; PVC etcd-data-demo-karmada-etcd-0 is Pending: ProvisioningFailed: no such class"
        )
    );
}

#[test]
fn a_later_step_done_proves_the_earlier_ones() {
    let mut observed = healthy("demo");
    observed.instance = phase(instance("demo", 10), Phase::Provisioning, "Progressing", "");
    // The PVC could not be read, but etcd is ready: the PVCs are bound.
    if let Ok(management) = observed.management.as_mut() {
        management.claims = Err("forbidden".into());
        management.apiserver = Ok(Some(workload(0, 1)));
    }
    let (states, _) = assess(&observed);
    assert_eq!(
        done(&states),
        [true, true, true, true, true, false, false, false, false]
    );
}

#[test]
fn failed_phase_ends_with_the_ready_reason() {
    let mut observed = healthy("demo");
    observed.instance = phase(
        instance("demo", 10),
        Phase::Failed,
        "Failed",
        "etcd image not found",
    );
    let (_, outcome) = assess(&observed);
    assert_eq!(
        outcome,
        Outcome::Failed("Failed: etcd image not found".into())
    );
}

#[test]
fn node_local_storage_needs_no_pvc() {
    let mut observed = healthy("lab");
    observed.instance = phase(
        storage(instance("lab", 10), StorageType::HostPath),
        Phase::Pending,
        "",
        "",
    );
    if let Ok(management) = observed.management.as_mut() {
        management.etcd = Ok(None);
        management.apiserver = Ok(None);
    }
    // The CR alone proves nothing of the operator's progress (a ValidationError stops it
    // before its first task), so neither the CRD step nor the storage step is done yet.
    let (states, _) = assess(&observed);
    assert_eq!(
        states[3].detail.as_deref(),
        Some("HostPath storage, no PVC")
    );
    assert_eq!(
        done(&states),
        [true, true, false, false, false, false, false, false, false]
    );
    // An etcd StatefulSet the operator made, not ready yet: it is past the CRDs and storage.
    if let Ok(management) = observed.management.as_mut() {
        management.etcd = Ok(Some(workload(0, 1)));
    }
    let (states, _) = assess(&observed);
    assert_eq!(
        done(&states),
        [true, true, true, true, false, false, false, false, false]
    );
    observed.karmada = Ok(None);
    let (states, _) = assess(&observed);
    assert_eq!(
        done(&states),
        [true, false, false, false, false, false, false, false, false]
    );
}

#[test]
fn missing_operator_crd_is_named_at_the_karmada_step() {
    let mut observed = healthy("demo");
    observed.instance = phase(instance("demo", 10), Phase::Pending, "", "");
    observed.karmada_crd = Ok(false);
    observed.karmada = Ok(None);
    observed.management = Err("unreachable".into());
    let (states, _) = assess(&observed);
    assert_eq!(
        states[1].detail.as_deref(),
        Some("karmada-operator's CRD is not installed")
    );
    assert_eq!(
        states[4].detail.as_deref(),
        Some("management cluster unreachable: unreachable")
    );
}

#[test]
fn a_failed_crd_download_is_shown_at_its_own_step_and_does_not_end_the_wait() {
    let mut observed = healthy("demo");
    observed.instance = phase(instance("demo", 10), Phase::Provisioning, "Retrying", "");
    if let Ok(Some(karmada)) = observed.karmada.as_mut() {
        karmada.status = Some(multicloud_api::testing::karmada_status(
            "False",
            "Failed",
            "failed to download CRD tar, err: i/o timeout",
        ));
    }
    if let Ok(management) = observed.management.as_mut() {
        management.claims = Ok(Vec::new());
        management.etcd = Ok(None);
        management.apiserver = Ok(None);
    }
    let (states, outcome) = assess(&observed);
    assert_eq!(outcome, Outcome::InProgress, "karmada-operator retries");
    assert_eq!(states[2].step, Step::Crds);
    assert!(!states[2].done);
    assert!(
        states[2]
            .detail
            .as_deref()
            .is_some_and(|d| d.contains("could not fetch the Karmada CRDs")),
        "{:?}",
        states[2]
    );
}
