use multicloud_api::{Phase, StorageType};

use super::*;
use crate::fixtures::{
    claim, healthy, healthy_management, instance, karmada, phase, storage, workload,
};
use crate::observe::Observation;

fn verdicts(observed: &Observation) -> Vec<(&'static str, Verdict)> {
    checklist(observed)
        .iter()
        .map(|c| (c.step, c.verdict))
        .collect()
}

fn first_problem(observed: &Observation) -> Check {
    checklist(observed)
        .into_iter()
        .find(|c| c.verdict != Verdict::Ok)
        .expect("a problem")
}

#[test]
fn healthy_instance_passes_every_step_in_install_order() {
    assert_eq!(
        verdicts(&healthy("demo")),
        [
            ("management cluster reachable", Verdict::Ok),
            ("Karmada CRDs downloaded", Verdict::Ok),
            ("StorageClass present", Verdict::Ok),
            ("etcd PVCs bound", Verdict::Ok),
            ("etcd StatefulSet ready", Verdict::Ok),
            ("karmada apiserver Deployment available", Verdict::Ok),
            ("Karmada CR ready", Verdict::Ok),
            ("karmada-operator CRD present", Verdict::Ok),
        ]
    );
}

#[test]
fn pending_pvc_is_the_first_problem_with_its_event_and_a_fix() {
    let mut observed = healthy("demo");
    observed.instance = phase(
        instance("demo", 10),
        Phase::Provisioning,
        "ClaimPending",
        "",
    );
    let mut management = healthy_management(vec![claim(
        "etcd-data-demo-karmada-etcd-0",
        Some("Pending"),
        Some("ExternalProvisioning: waiting for a volume to be created by example.com/disk"),
    )]);
    management.etcd = Ok(Some(workload(0, 1)));
    observed.management = Ok(management);
    let problem = first_problem(&observed);
    assert_eq!(problem.step, "etcd PVCs bound");
    assert_eq!(problem.verdict, Verdict::Failed);
    assert_eq!(
        problem.cause.as_deref(),
        Some(
            "PVC etcd-data-demo-karmada-etcd-0 is Pending: ExternalProvisioning: waiting for a volume to be created by example.com/disk"
        )
    );
    assert!(
        problem
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("provisioner")),
        "{problem:?}"
    );
}

#[test]
fn missing_default_class_names_the_classes_it_has() {
    let mut observed = healthy("demo");
    if let Ok(management) = observed.management.as_mut() {
        management.storage_classes = Ok(vec![multicloud_api::clusters::StorageClassInfo::new(
            "slow", false,
        )]);
    }
    let problem = first_problem(&observed);
    assert_eq!(problem.step, "StorageClass present");
    assert_eq!(problem.detail, "no default StorageClass (it has: slow)");
    assert!(
        problem
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("is-default-class"))
    );
}

#[test]
fn unreachable_management_cluster_fails_first_and_skips_what_needs_it() {
    let mut observed = healthy("demo");
    observed.instance.spec.management_cluster = "edge-1".into();
    observed.management = Err("connection refused".into());
    let checks = checklist(&observed);
    assert_eq!(checks[0].verdict, Verdict::Failed);
    assert_eq!(checks[0].cause.as_deref(), Some("connection refused"));
    assert!(
        checks[0]
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("Secret multicloud-system/edge-1"))
    );
    assert_eq!(
        checks[2].verdict,
        Verdict::Waiting,
        "the StorageClass is not checked"
    );
    assert_eq!(checks.len(), 5, "PVC and workload checks need the cluster");
}

#[test]
fn missing_operator_crd_fails_with_how_to_install_it() {
    let mut observed = healthy("demo");
    observed.karmada_crd = Ok(false);
    observed.karmada = Ok(None);
    let checks = checklist(&observed);
    let crd = checks.last().expect("last check");
    assert_eq!(crd.verdict, Verdict::Failed);
    assert!(
        crd.fix
            .as_deref()
            .is_some_and(|f| f.contains("karmada-operator"))
    );
}

#[test]
fn hostpath_instances_need_no_class_nor_pvc() {
    let mut observed = healthy("lab");
    observed.instance = phase(
        storage(instance("lab", 10), StorageType::HostPath),
        Phase::Running,
        "Running",
        "",
    );
    let checks = checklist(&observed);
    assert_eq!(
        checks[2].detail,
        "HostPath storage needs none (not highly available)"
    );
    assert_eq!(checks[3].detail, "HostPath storage, no PVC");
}

#[test]
fn progressing_operator_is_waiting_not_failed() {
    let mut observed = healthy("demo");
    observed.karmada = Ok(Some(karmada(
        "demo",
        Some(("False", "Progressing", "installing")),
    )));
    let problem = first_problem(&observed);
    assert_eq!(
        (problem.step, problem.verdict),
        ("Karmada CR ready", Verdict::Waiting)
    );
}

#[test]
fn checklist_for_people_names_the_first_problem_with_cause_and_fix() {
    let mut observed = healthy("demo");
    observed.management = Err("connection refused".into());
    let diagnosis = Diagnosis {
        instance: "demo".into(),
        management_cluster: "local".into(),
        healthy: false,
        steps: checklist(&observed),
    };
    let text = render(&diagnosis, Style::plain());
    assert!(text.starts_with("Diagnosing instance demo on management cluster local:\n\n✗   management cluster reachable   `local` does not answer\n"), "{text}");
    assert!(
        text.contains(
            "\nFirst problem: management cluster reachable\n  cause: connection refused\n  fix:   "
        ),
        "{text}"
    );
}

#[test]
fn healthy_checklist_says_so() {
    let diagnosis = Diagnosis {
        instance: "demo".into(),
        management_cluster: "local".into(),
        healthy: true,
        steps: checklist(&healthy("demo")),
    };
    assert!(render(&diagnosis, Style::plain()).ends_with("\nHealthy: every step is done.\n"));
}

#[test]
fn a_failed_crd_download_is_named_as_such() {
    let mut observed = healthy("demo");
    if let Ok(Some(karmada)) = observed.karmada.as_mut() {
        karmada.status = Some(multicloud_api::testing::karmada_status(
            "False",
            "Failed",
            "failed to download CRD tar, err: dial tcp 140.82.112.3:443: i/o timeout",
        ));
    }
    let first = first_problem(&observed);
    assert_eq!(first.step, "Karmada CRDs downloaded");
    assert_eq!(first.verdict, Verdict::Failed);
    assert!(
        first
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("spec.crdTarball"))
    );
}

#[test]
fn a_deletion_that_cannot_finish_is_the_first_problem_with_the_way_out() {
    let mut observed = healthy("demo");
    observed.instance.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
            k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
        ));
    if let Some(status) = observed.instance.status.as_mut() {
        status.phase = Some(Phase::Deleting);
        for condition in &mut status.conditions {
            if condition.type_ == "Ready" {
                condition.status = "False".into();
                condition.reason = "OperatorNotRunning".into();
                condition.message = "karmada-operator is not running".into();
            }
        }
    }
    let first = first_problem(&observed);
    assert_eq!(first.step, "deletion can finish");
    assert_eq!(
        first.cause.as_deref(),
        Some("karmada-operator is not running")
    );
    assert!(
        first
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("--abandon-control-plane"))
    );
}
