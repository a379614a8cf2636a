use serde_json::json;

use super::*;
use crate::names::KarmadaObjects;
use crate::observed::COMPONENTS;
use crate::testing;

fn karmada(reason: &str, message: &str) -> Karmada {
    serde_json::from_value(json!({
        "apiVersion": "operator.karmada.io/v1alpha1", "kind": "Karmada",
        "metadata": {"name": "demo", "namespace": "k-demo"},
        "spec": {},
        "status": {"conditions": [{
            "type": "Ready", "status": "False", "reason": reason, "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"
        }]}
    }))
    .expect("valid Karmada")
}

fn workloads(ready: &[&str]) -> Vec<Workload> {
    let objects = KarmadaObjects::new("demo");
    COMPONENTS
        .iter()
        .filter(|c| c.always)
        .map(|c| Workload {
            desired: Some(1),
            ready: i32::from(ready.contains(&c.suffix)),
            images: vec!["x:v1".into()],
            ..Workload::missing(*c, &objects)
        })
        .collect()
}

fn bound() -> Result<Vec<ClaimObservation>, String> {
    Ok(vec![ClaimObservation {
        name: "etcd-data-demo-karmada-etcd-0".into(),
        phase: Some("Bound".into()),
        last_event: None,
    }])
}

fn state(steps: &[Step], id: StepId) -> (StepState, String) {
    let step = steps.iter().find(|s| s.id == id).expect("step present");
    (step.state, step.detail.clone())
}

#[test]
fn steps_follow_the_operator_order() {
    let instance = testing::instance("demo");
    let cr = karmada("Progressing", "init");
    let seen = Seen {
        instance: &instance,
        karmada: Some(&cr),
        claims: bound(),
        workloads: WorkloadObservation::Read(workloads(&["etcd"])),
    };
    let ids: Vec<StepId> = steps(&seen).iter().map(|s| s.id).collect();
    assert_eq!(
        ids,
        [
            StepId::KarmadaCreated,
            StepId::Crds,
            StepId::EtcdStorage,
            StepId::Etcd,
            StepId::Apiserver,
            StepId::AggregatedApiserver,
            StepId::Components,
            StepId::Ready
        ]
    );
    let all = steps(&seen);
    assert_eq!(
        state(&all, StepId::Crds).0,
        StepState::Done,
        "etcd ready proves the CRDs"
    );
    assert_eq!(state(&all, StepId::Etcd).0, StepState::Done);
    assert_eq!(state(&all, StepId::Apiserver).0, StepState::Waiting);
}

#[test]
fn a_failed_create_of_the_etcd_pods_is_named_not_the_claim() {
    let mut instance = testing::instance("demo");
    instance.spec.etcd.storage.type_ = StorageType::EmptyDir;
    let cr = karmada("Failed", "waiting for karmada-etcd to ready timeout");
    let mut seen_workloads = workloads(&[]);
    seen_workloads[0].warning = Some(
        "FailedCreate: create Pod demo-karmada-etcd-0 in StatefulSet demo-karmada-etcd failed"
            .into(),
    );
    let seen = Seen {
        instance: &instance,
        karmada: Some(&cr),
        claims: Ok(Vec::new()),
        workloads: WorkloadObservation::Read(seen_workloads),
    };
    let all = steps(&seen);
    assert!(all.iter().all(|s| s.id != StepId::EtcdStorage));
    let (etcd, detail) = state(&all, StepId::Etcd);
    assert_eq!(etcd, StepState::Failing);
    assert!(detail.contains("FailedCreate"), "{detail}");
}

#[test]
fn a_failed_crd_download_is_named_as_such() {
    let instance = testing::instance("demo");
    let cr = karmada(
        "Failed",
        "failed to download CRD tar, err: Get \"https://github.com/...\": dial tcp: i/o timeout",
    );
    let seen = Seen {
        instance: &instance,
        karmada: Some(&cr),
        claims: Ok(Vec::new()),
        workloads: WorkloadObservation::Read(workloads(&[])),
    };
    let all = steps(&seen);
    let (crds, detail) = state(&all, StepId::Crds);
    assert_eq!(crds, StepState::Failing);
    assert!(
        detail.contains("could not fetch the Karmada CRDs"),
        "{detail}"
    );
    assert!(!is_crd_failure("waiting for karmada-etcd to ready timeout"));
}

#[test]
fn a_pending_claim_with_a_provisioning_failure_is_failing() {
    let instance = testing::instance("demo");
    let cr = karmada("Progressing", "init");
    let seen = Seen {
        instance: &instance,
        karmada: Some(&cr),
        claims: Ok(vec![ClaimObservation {
            name: "etcd-data-demo-karmada-etcd-0".into(),
            phase: Some("Pending".into()),
            last_event: Some("ProvisioningFailed: storageclass \"gold\" not found".into()),
        }]),
        workloads: WorkloadObservation::Read(workloads(&[])),
    };
    let (claims, detail) = state(&steps(&seen), StepId::EtcdStorage);
    assert_eq!(claims, StepState::Failing);
    assert!(detail.contains("gold"), "{detail}");
}
