//! Instance names against every name karmada-operator derives from them.

use super::*;
use crate::names::{self, MAX_INSTANCE_NAME_LENGTH, MAX_KARMADA_INSTANCE_NAME_LENGTH, NameKind};

/// A name of `len` characters, with "karmada" in it or not.
fn name_of(len: usize, with_karmada: bool) -> String {
    let stem = if with_karmada { "my-karmada-" } else { "my-" };
    format!("{stem}{}", "x".repeat(len - stem.len()))
}

fn name_violation(name: &str) -> Option<String> {
    let decision = admit_create(&instance(name), &local_with_default_class()).decision;
    match denied_fields(&decision).as_slice() {
        [] => None,
        ["metadata.name"] => Some(decision.message()),
        other => panic!("{name}: unexpected fields {other:?}"),
    }
}

#[test]
fn every_name_derived_from_the_longest_admitted_names_is_valid() {
    for (with_karmada, longest) in [
        (false, MAX_INSTANCE_NAME_LENGTH),
        (true, MAX_KARMADA_INSTANCE_NAME_LENGTH),
    ] {
        let name = name_of(longest, with_karmada);
        assert_eq!(name.len(), longest);
        assert_eq!(name_violation(&name), None, "{name} is admitted");
        let derived = names::derived_names(&name);
        let prefix = if with_karmada {
            name.clone()
        } else {
            format!("{name}-karmada")
        };
        // Every name the operator makes, spelled out (operator/pkg/util/naming.go callers).
        let expected: Vec<(NameKind, String)> = [
            (NameKind::Namespace, format!("k-{name}")),
            (NameKind::Karmada, name.clone()),
        ]
        .into_iter()
        .chain(
            [
                (NameKind::StatefulSet, "etcd"),
                (NameKind::Service, "etcd"),
                (NameKind::Service, "etcd-client"),
                (NameKind::PodDisruptionBudget, "etcd"),
                (NameKind::Deployment, "apiserver"),
                (NameKind::Service, "apiserver"),
                (NameKind::PodDisruptionBudget, "apiserver"),
                (NameKind::Deployment, "aggregated-apiserver"),
                (NameKind::Service, "aggregated-apiserver"),
                (NameKind::PodDisruptionBudget, "aggregated-apiserver"),
                (NameKind::Deployment, "kube-controller-manager"),
                (NameKind::PodDisruptionBudget, "kube-controller-manager"),
                (NameKind::Deployment, "controller-manager"),
                (NameKind::PodDisruptionBudget, "controller-manager"),
                (NameKind::Deployment, "scheduler"),
                (NameKind::PodDisruptionBudget, "scheduler"),
                (NameKind::Deployment, "descheduler"),
                (NameKind::PodDisruptionBudget, "descheduler"),
                (NameKind::Deployment, "webhook"),
                (NameKind::Service, "webhook"),
                (NameKind::PodDisruptionBudget, "webhook"),
                (NameKind::Deployment, "metrics-adapter"),
                (NameKind::Service, "metrics-adapter"),
                (NameKind::PodDisruptionBudget, "metrics-adapter"),
                (NameKind::Deployment, "search"),
                (NameKind::Service, "search"),
                (NameKind::PodDisruptionBudget, "search"),
                (NameKind::Secret, "admin-config"),
                (NameKind::Secret, "cert"),
                (NameKind::Secret, "etcd-cert"),
                (NameKind::Secret, "webhook-cert"),
                (NameKind::Secret, "aggregated-apiserver-config"),
                (NameKind::Secret, "kube-controller-manager-config"),
                (NameKind::Secret, "controller-manager-config"),
                (NameKind::Secret, "scheduler-config"),
                (NameKind::Secret, "descheduler-config"),
                (NameKind::Secret, "webhook-config"),
                (NameKind::Secret, "metrics-adapter-config"),
                (NameKind::Secret, "search-config"),
            ]
            .into_iter()
            .map(|(kind, suffix)| (kind, format!("{prefix}-{suffix}"))),
        )
        .chain([
            (NameKind::Pod, format!("{prefix}-etcd-6")),
            (
                NameKind::PersistentVolumeClaim,
                format!("etcd-data-{prefix}-etcd-6"),
            ),
        ])
        .collect();
        let got: Vec<(NameKind, String)> =
            derived.iter().map(|d| (d.kind, d.name.clone())).collect();
        assert_eq!(got, expected);
        for d in &derived {
            assert!(d.fits(), "{} {} ({})", d.kind, d.name, d.name.len());
            if d.kind == NameKind::Service {
                assert!(names::is_dns1035_label(&d.name), "{}", d.name);
            }
        }
        // The longest Service is exactly full: one character more cannot fit.
        let full = format!("{prefix}-aggregated-apiserver");
        assert_eq!(full.len(), 63, "{full}");
        assert_eq!(
            names::KarmadaObjects::for_instance(&name).etcd_pvc(6),
            format!("etcd-data-{prefix}-etcd-6")
        );
    }
}

#[test]
fn one_character_more_is_denied_with_the_limit_and_the_reason() {
    let name = name_of(MAX_INSTANCE_NAME_LENGTH + 1, false);
    let message = name_violation(&name).expect("denied");
    for part in [
        "has 35 characters, at most 34 are allowed",
        "42 when the name contains \"karmada\"",
        &format!("Service `{name}-karmada-aggregated-apiserver` (64 characters)"),
        "a Service name is a DNS-1035 label of at most 63 characters",
    ] {
        assert!(message.contains(part), "{part}: {message}");
    }
    let name = name_of(MAX_KARMADA_INSTANCE_NAME_LENGTH + 1, true);
    let message = name_violation(&name).expect("denied");
    assert!(
        message.contains(&format!(
            "Service `{name}-aggregated-apiserver` (64 characters)"
        )),
        "{message}"
    );
    // Without "karmada", 42 characters are still too many.
    assert!(name_violation(&name_of(MAX_KARMADA_INSTANCE_NAME_LENGTH, false)).is_some());
}

#[test]
fn a_forty_character_name_would_also_break_the_etcd_statefulset() {
    let name = name_of(40, false);
    let message = name_violation(&name).expect("denied");
    assert!(message.contains("has 40 characters"), "{message}");
    let statefulset = names::KarmadaObjects::for_instance(&name).etcd_statefulset();
    assert_eq!(statefulset.len(), 53);
    let derived = names::derived_names(&name);
    assert!(
        derived
            .iter()
            .any(|d| d.kind == NameKind::StatefulSet && d.name == statefulset && !d.fits())
    );
}

#[test]
fn a_name_starting_with_a_digit_is_denied_because_services_need_a_letter() {
    let message = name_violation("1abc").expect("denied");
    assert!(message.contains("DNS-1035"), "{message}");
    assert!(message.contains("starting with a letter"), "{message}");
    assert!(message.contains("`1abc-karmada-etcd`"), "{message}");
}
