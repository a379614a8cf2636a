//! The rules against AdmissionReviews exactly as real kube-apiservers (v1.20 and v1.32) sent them.

use std::path::PathBuf;

use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_api::kube::core::admission::{
    AdmissionRequest, AdmissionReview, Operation as KubeOp,
};
use multicloud_api::rules::{self, Operation, Request};

fn fixture(version: &str, file: &str) -> AdmissionRequest<MulticloudInstance> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/admission")
        .join(version)
        .join(file);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    let review: AdmissionReview<MulticloudInstance> =
        serde_json::from_str(&text).expect("fixture decodes as a MulticloudInstance review");
    review.try_into().expect("review has a request")
}

fn request(req: &AdmissionRequest<MulticloudInstance>) -> Request<'_> {
    let operation = match req.operation {
        KubeOp::Create => Operation::Create,
        KubeOp::Update => Operation::Update,
        KubeOp::Delete => Operation::Delete,
        KubeOp::Connect => panic!("no CONNECT fixtures"),
    };
    Request {
        operation,
        uid: &req.uid,
        object: req.object.as_ref(),
        old_object: req.old_object.as_ref(),
    }
}

/// The fixture cluster had StorageClass `fast`; give `local` a default class too.
fn clusters() -> ClusterCatalog {
    ClusterCatalog::local(ClusterState::ready(vec![
        StorageClassInfo::new("fast", false),
        StorageClassInfo::new("standard", true),
    ]))
}

const VERSIONS: [&str; 2] = ["v1.20", "v1.32"];

#[test]
fn every_create_and_update_fixture_is_admitted_after_mutation() {
    for version in VERSIONS {
        for file in [
            "01-mutate-create.json",
            "02-validate-create.json",
            "03-mutate-update.json",
            "04-validate-update.json",
            "07-mutate-update.json",
            "08-validate-update.json",
            "09-mutate-create-dryrun.json",
            "10-validate-create-dryrun.json",
            "12-validate-create.json",
        ] {
            let req = fixture(version, file);
            let admission = rules::admit(&request(&req), &clusters()).expect("admission runs");
            assert!(
                admission.decision.allowed(),
                "{version}/{file}: {}",
                admission.decision.message()
            );
            let object = admission.object.expect("object");
            assert_eq!(
                object.spec.virtual_cluster_name,
                Some(format!("k-{}", req.name)),
                "{version}/{file}"
            );
        }
    }
}

#[test]
fn the_replica_change_fixture_is_denied_as_karmada_operator_cannot_apply_it() {
    // `kubectl patch ... replicas: 5` of a 3-member instance (the README of testdata/admission).
    for version in VERSIONS {
        for file in ["05-mutate-update.json", "06-validate-update.json"] {
            let req = fixture(version, file);
            let decision = rules::admit(&request(&req), &clusters())
                .expect("admission runs")
                .decision;
            let fields: Vec<&str> = decision
                .violations
                .iter()
                .map(|v| v.field.as_str())
                .collect();
            assert_eq!(fields, ["spec.etcd.replicas"], "{version}/{file}");
            assert!(
                decision.message().contains("was \"3\", now \"5\""),
                "{version}/{file}: {}",
                decision.message()
            );
        }
    }
}

#[test]
fn create_fixture_is_patched_to_ha_with_three_pvc_replicas() {
    for version in VERSIONS {
        let req = fixture(version, "01-mutate-create.json");
        let decision = rules::mutate(&request(&req), &ClusterCatalog::default());
        let object = req.object.as_ref().expect("object");
        let patched = rules::apply(object, &decision.patch).expect("patch applies");
        let labels = patched.metadata.labels.unwrap_or_default();
        let annotations = patched.metadata.annotations.unwrap_or_default();
        assert_eq!(
            patched.spec.virtual_cluster_name.as_deref(),
            Some("k-demo"),
            "{version}"
        );
        assert_eq!(
            labels
                .get("multicloud.dev/virtual-cluster")
                .map(String::as_str),
            Some("k-demo")
        );
        assert_eq!(
            annotations
                .get("multicloud.dev/high-availability")
                .map(String::as_str),
            Some("true")
        );
        assert!(
            !annotations.contains_key("multicloud.dev/high-availability-reason"),
            "{version}"
        );
    }
}

#[test]
fn generate_name_fixture_is_denied_on_the_mutating_side() {
    for version in VERSIONS {
        let req = fixture(version, "11-mutate-create.json");
        assert!(req.name.is_empty());
        let decision = rules::mutate(&request(&req), &ClusterCatalog::default());
        assert!(!decision.allowed(), "{version}");
        assert!(decision.message().contains("generateName"), "{version}");
    }
}

#[test]
fn dry_run_fixtures_decide_exactly_like_real_ones() {
    for version in VERSIONS {
        let dry = fixture(version, "09-mutate-create-dryrun.json");
        let real = fixture(version, "01-mutate-create.json");
        assert!(dry.dry_run && !real.dry_run);
        let dry_patch = rules::mutate(&request(&dry), &ClusterCatalog::default()).patch;
        let real_patch = rules::mutate(&request(&real), &ClusterCatalog::default()).patch;
        // Same spec, different names: the patches have the same shape.
        assert_eq!(dry_patch.len(), real_patch.len(), "{version}");
    }
}

#[test]
fn delete_fixtures_carry_the_old_object_and_are_admitted() {
    for version in VERSIONS {
        for file in ["13-mutate-delete.json", "14-validate-delete.json"] {
            let req = fixture(version, file);
            assert!(
                req.object.is_none() && req.old_object.is_some(),
                "{version}/{file}"
            );
            assert!(
                rules::validate(&request(&req), &clusters()).allowed(),
                "{version}/{file}"
            );
            assert!(
                rules::mutate(&request(&req), &ClusterCatalog::default())
                    .patch
                    .is_empty()
            );
        }
    }
}
