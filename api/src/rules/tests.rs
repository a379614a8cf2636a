//! The admission rules, one behaviour per test.

use super::*;
use crate::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use crate::instance::{DeletionPolicy, MulticloudInstanceStatus, StorageType};
use crate::keys::*;
use crate::testing::{instance, local_with_default_class};

/// The uid of every admission request in these tests.
const UID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e8f7a6b5c4d";

fn create(object: &MulticloudInstance) -> Request<'_> {
    Request {
        operation: Operation::Create,
        uid: UID,
        object: Some(object),
        old_object: None,
    }
}

fn update<'a>(old: &'a MulticloudInstance, new: &'a MulticloudInstance) -> Request<'a> {
    Request {
        operation: Operation::Update,
        uid: UID,
        object: Some(new),
        old_object: Some(old),
    }
}

/// The instance as the API server would store it after the mutating webhook.
fn admitted(object: &MulticloudInstance) -> MulticloudInstance {
    apply(
        object,
        &mutate(&create(object), &ClusterCatalog::default()).patch,
    )
    .expect("patch applies")
}

fn denied_fields(decision: &Decision) -> Vec<&str> {
    decision
        .violations
        .iter()
        .map(|v| v.field.as_str())
        .collect()
}

fn admit_create(object: &MulticloudInstance, clusters: &ClusterCatalog) -> Admission {
    admit(&create(object), clusters).expect("admission runs")
}

fn host_path(name: &str) -> MulticloudInstance {
    let mut mci = instance(name);
    mci.spec.etcd.storage.type_ = StorageType::HostPath;
    mci
}

#[test]
fn mutation_sets_virtual_cluster_name_label_and_ha_annotations() {
    let stored = admitted(&instance("demo"));
    assert_eq!(stored.spec.virtual_cluster_name.as_deref(), Some("k-demo"));
    let labels = stored.metadata.labels.expect("labels");
    assert_eq!(
        labels.get(VIRTUAL_CLUSTER_LABEL).map(String::as_str),
        Some("k-demo")
    );
    let annotations = stored.metadata.annotations.expect("annotations");
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_ANNOTATION)
            .map(String::as_str),
        Some("false")
    );
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_REASON_ANNOTATION)
            .map(String::as_str),
        Some(NotHaReason::TooFewReplicas.message())
    );
}

#[test]
fn mutation_is_idempotent_so_reinvocation_changes_nothing() {
    for mut mci in [instance("demo"), host_path("hp"), instance("ha")] {
        mci.spec.etcd.replicas = if mci.name() == "ha" { 3 } else { 1 };
        let stored = admitted(&mci);
        assert!(
            mutate(&create(&stored), &ClusterCatalog::default())
                .patch
                .is_empty(),
            "second patch for {}",
            mci.name()
        );
    }
}

#[test]
fn mutation_adds_keys_to_existing_maps_and_escapes_slashes() {
    let mut mci = instance("demo");
    mci.metadata.labels = Some([("team".to_owned(), "a".to_owned())].into());
    mci.metadata.annotations = Some([("example.com/note".to_owned(), "hi".to_owned())].into());
    let patch = mutate(&create(&mci), &ClusterCatalog::default()).patch;
    let json = serde_json::to_string(&patch).expect("serialises");
    assert!(
        json.contains("/metadata/labels/multicloud.dev~1virtual-cluster"),
        "{json}"
    );
    let stored = apply(&mci, &patch).expect("applies");
    let annotations = stored.metadata.annotations.expect("annotations");
    assert_eq!(
        annotations.get("example.com/note").map(String::as_str),
        Some("hi")
    );
    assert_eq!(
        stored
            .metadata
            .labels
            .expect("labels")
            .get("team")
            .map(String::as_str),
        Some("a")
    );
}

#[test]
fn highly_available_instance_is_annotated_true_without_reason() {
    let mut mci = instance("demo");
    mci.spec.etcd.replicas = 3;
    mci.metadata.annotations = Some(
        [(
            HIGH_AVAILABILITY_REASON_ANNOTATION.to_owned(),
            "stale".to_owned(),
        )]
        .into(),
    );
    let stored = admitted(&mci);
    let annotations = stored.metadata.annotations.expect("annotations");
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_ANNOTATION)
            .map(String::as_str),
        Some("true")
    );
    assert!(!annotations.contains_key(HIGH_AVAILABILITY_REASON_ANNOTATION));
}

#[test]
fn host_path_instance_gets_default_path_not_ha_annotation_and_a_warning() {
    let admission = admit_create(
        &host_path("demo"),
        &ClusterCatalog::local(ClusterState::ready(vec![])),
    );
    assert!(
        admission.decision.allowed(),
        "{}",
        admission.decision.message()
    );
    let stored = admission.object.expect("object");
    assert_eq!(
        stored.spec.etcd.storage.host_path.as_deref(),
        Some("/var/lib/multicloud/k-demo-0a1b2c3d/etcd"),
        "fresh per creation: the request uid's first 8 hex digits"
    );
    let annotations = stored.metadata.annotations.expect("annotations");
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_ANNOTATION)
            .map(String::as_str),
        Some("false")
    );
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_REASON_ANNOTATION)
            .map(String::as_str),
        Some(NotHaReason::HostPath.message())
    );
    assert_eq!(admission.decision.warnings.len(), 1);
    assert!(admission.decision.warnings[0].contains("not highly available"));
}

#[test]
fn empty_dir_instance_warns_that_data_is_lost_on_restart() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.type_ = StorageType::EmptyDir;
    let admission = admit_create(&mci, &local_with_default_class());
    assert!(admission.decision.allowed());
    assert!(admission.decision.warnings[0].contains("lost when the pod restarts"));
}

#[test]
fn pvc_instance_with_fewer_than_three_replicas_is_warned_it_is_not_ha() {
    let admission = admit_create(&instance("demo"), &local_with_default_class());
    assert!(admission.decision.allowed());
    assert_eq!(admission.decision.warnings.len(), 1);
    assert!(
        admission.decision.warnings[0].contains("not highly available (fewer than 3 etcd replicas"),
        "{:?}",
        admission.decision.warnings
    );
}

#[test]
fn pvc_instance_with_three_replicas_gets_no_warning() {
    let mut demo = instance("demo");
    demo.spec.etcd.replicas = 3;
    let admission = admit_create(&demo, &local_with_default_class());
    assert!(admission.decision.allowed());
    assert!(admission.decision.warnings.is_empty());
}

#[test]
fn denies_pvc_without_any_storage_class_and_names_the_fix() {
    let clusters = ClusterCatalog::local(ClusterState::ready(vec![]));
    let decision = admit_create(&instance("demo"), &clusters).decision;
    assert_eq!(
        denied_fields(&decision),
        ["spec.etcd.storage.storageClassName"]
    );
    let message = decision.message();
    assert!(
        message.contains("management cluster `local` has no StorageClass (it has: none)"),
        "{message}"
    );
    assert!(
        message.contains("--storage-class") && message.contains("--host-path"),
        "{message}"
    );
}

#[test]
fn denies_pvc_without_default_storage_class_and_lists_classes() {
    let clusters = ClusterCatalog::local(ClusterState::ready(vec![
        StorageClassInfo::new("slow", false),
        StorageClassInfo::new("fast", false),
    ]));
    let message = admit_create(&instance("demo"), &clusters)
        .decision
        .message();
    assert!(
        message.contains("no default StorageClass (it has: slow, fast)"),
        "{message}"
    );
    assert!(message.contains(DEFAULT_CLASS_ANNOTATION), "{message}");
}

#[test]
fn admits_pvc_with_default_storage_class() {
    assert!(
        admit_create(&instance("demo"), &local_with_default_class())
            .decision
            .allowed()
    );
}

#[test]
fn admits_pvc_with_named_existing_class_even_without_default() {
    let clusters = ClusterCatalog::local(ClusterState::ready(vec![StorageClassInfo::new(
        "fast", false,
    )]));
    let mut mci = instance("demo");
    mci.spec.etcd.storage.storage_class_name = Some("fast".into());
    assert!(admit_create(&mci, &clusters).decision.allowed());
}

#[test]
fn denies_pvc_naming_a_missing_class() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.storage_class_name = Some("gold".into());
    let message = admit_create(&mci, &local_with_default_class())
        .decision
        .message();
    assert!(
        message.contains("StorageClass `gold` does not exist"),
        "{message}"
    );
    assert!(message.contains("standard (default), fast"), "{message}");
}

#[test]
fn empty_storage_class_name_means_the_default_class() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.storage_class_name = Some(String::new());
    assert!(
        admit_create(&mci, &local_with_default_class())
            .decision
            .allowed()
    );
}

#[test]
fn host_path_needs_no_storage_class() {
    let clusters = ClusterCatalog::local(ClusterState::ready(vec![]));
    assert!(
        admit_create(&host_path("demo"), &clusters)
            .decision
            .allowed()
    );
}

#[test]
fn denies_relative_host_path_and_dot_dot() {
    for path in [
        "var/lib/etcd",
        "/var/../etc",
        "/data/..",
        "/var/lib/multicloud/k-demo/../k-x",
    ] {
        let mut mci = host_path("demo");
        mci.spec.etcd.storage.host_path = Some(path.into());
        let decision = admit_create(&mci, &local_with_default_class()).decision;
        assert_eq!(
            denied_fields(&decision),
            ["spec.etcd.storage.hostPath"],
            "{path}"
        );
    }
}

#[test]
fn denies_host_path_with_more_than_one_replica() {
    let mut mci = host_path("demo");
    mci.spec.etcd.replicas = 3;
    let decision = admit_create(&mci, &local_with_default_class()).decision;
    assert_eq!(denied_fields(&decision), ["spec.etcd.replicas"]);
    assert!(decision.message().contains("exactly 1 etcd replica"));
}

#[test]
fn denies_even_or_out_of_range_replicas() {
    for replicas in [0, 2, 4, 9, -1] {
        let mut mci = instance("demo");
        mci.spec.etcd.replicas = replicas;
        let decision = admit_create(&mci, &local_with_default_class()).decision;
        assert_eq!(
            denied_fields(&decision),
            ["spec.etcd.replicas"],
            "{replicas}"
        );
    }
    for replicas in [1, 3, 5, 7] {
        let mut mci = instance("demo");
        mci.spec.etcd.replicas = replicas;
        assert!(
            admit_create(&mci, &local_with_default_class())
                .decision
                .allowed(),
            "{replicas}"
        );
    }
}

#[test]
fn denies_storage_fields_that_do_not_fit_the_type() {
    let mut mci = host_path("demo");
    mci.spec.etcd.storage.storage_class_name = Some("fast".into());
    mci.spec.etcd.storage.size = Some("1Gi".into());
    let decision = admit_create(&mci, &local_with_default_class()).decision;
    assert_eq!(
        denied_fields(&decision),
        [
            "spec.etcd.storage.storageClassName",
            "spec.etcd.storage.size"
        ]
    );
    let mut pvc = instance("demo");
    pvc.spec.etcd.storage.host_path = Some("/data".into());
    let decision = admit_create(&pvc, &local_with_default_class()).decision;
    assert_eq!(denied_fields(&decision), ["spec.etcd.storage.hostPath"]);
}

#[test]
fn denies_bad_size_and_version() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.size = Some("5GB".into());
    mci.spec.karmada.version = "v1.13.0 latest".into();
    let decision = admit_create(&mci, &local_with_default_class()).decision;
    assert_eq!(
        denied_fields(&decision),
        ["spec.etcd.storage.size", "spec.karmada.version"]
    );
}

#[test]
fn denies_virtual_cluster_name_other_than_k_name_with_expected_value() {
    let mut mci = instance("demo");
    mci.spec.virtual_cluster_name = Some("foo".into());
    let decision = admit_create(&mci, &local_with_default_class()).decision;
    assert_eq!(denied_fields(&decision), ["spec.virtualClusterName"]);
    assert!(
        decision.message().contains("must be \"k-demo\""),
        "{}",
        decision.message()
    );
}

#[test]
fn validation_alone_denies_missing_virtual_cluster_name() {
    let decision = validate(&create(&instance("demo")), &local_with_default_class());
    assert_eq!(denied_fields(&decision), ["spec.virtualClusterName"]);
    assert!(decision.message().contains("MutatingWebhookConfiguration"));
}

#[test]
fn a_denied_name_derives_no_label() {
    let too_long = "a".repeat(35);
    let admission = admit_create(&instance(&too_long), &local_with_default_class());
    assert_eq!(denied_fields(&admission.decision), ["metadata.name"]);
    let labels = admission
        .object
        .and_then(|o| o.metadata.labels)
        .unwrap_or_default();
    assert!(labels.is_empty(), "no label is derived from it");
}

#[test]
fn denies_names_that_are_not_dns_labels() {
    for name in ["Demo", "de.mo", "-demo", "1abc", "demo-"] {
        let decision = admit_create(&instance(name), &local_with_default_class()).decision;
        assert_eq!(denied_fields(&decision), ["metadata.name"], "{name}");
    }
}

#[test]
fn denies_generate_name_without_a_name_on_the_mutating_side() {
    let mut mci = instance("");
    mci.metadata.name = None;
    mci.metadata.generate_name = Some("gen-".into());
    let decision = mutate(&create(&mci), &ClusterCatalog::default());
    assert_eq!(denied_fields(&decision), ["metadata.name"]);
    assert!(decision.message().contains("generateName (\"gen-\")"));
}

#[test]
fn denies_unknown_management_cluster_with_the_registered_ones() {
    let mut mci = instance("demo");
    mci.spec.management_cluster = "edge-9".into();
    let clusters = local_with_default_class().with("edge-1", ClusterState::NotSynced);
    let decision = admit_create(&mci, &clusters).decision;
    assert_eq!(denied_fields(&decision), ["spec.managementCluster"]);
    assert!(
        decision.message().contains("(registered: edge-1, local)"),
        "{}",
        decision.message()
    );
}

#[test]
fn denies_unreachable_management_cluster_with_the_reason() {
    let mut mci = host_path("demo");
    mci.spec.management_cluster = "edge-1".into();
    let clusters = local_with_default_class().with(
        "edge-1",
        ClusterState::Unreachable {
            reason: "connection refused".into(),
        },
    );
    let message = admit_create(&mci, &clusters).decision.message();
    assert!(
        message.contains("`edge-1` is unreachable: connection refused"),
        "{message}"
    );
}

#[test]
fn denies_management_cluster_not_synced_yet() {
    let mut mci = instance("demo");
    mci.spec.management_cluster = "edge-1".into();
    let clusters = local_with_default_class().with("edge-1", ClusterState::NotSynced);
    assert!(
        admit_create(&mci, &clusters)
            .decision
            .message()
            .contains("not synced yet")
    );
}

#[test]
fn remote_management_cluster_storage_classes_are_checked() {
    let mut mci = instance("demo");
    mci.spec.management_cluster = "edge-1".into();
    let empty = local_with_default_class().with("edge-1", ClusterState::ready(vec![]));
    assert!(
        admit_create(&mci, &empty)
            .decision
            .message()
            .contains("`edge-1` has no StorageClass")
    );
    let ready = local_with_default_class().with(
        "edge-1",
        ClusterState::ready(vec![StorageClassInfo::new("ssd", true)]),
    );
    assert!(admit_create(&mci, &ready).decision.allowed());
}

#[test]
fn update_changing_storage_is_denied() {
    let old = admitted(&instance("demo"));
    let mut new = old.clone();
    new.spec.etcd.storage.type_ = StorageType::EmptyDir;
    new.spec.etcd.storage.storage_class_name = None;
    let decision = validate(&update(&old, &new), &local_with_default_class());
    assert_eq!(denied_fields(&decision), ["spec.etcd.storage.type"]);
    assert!(decision.message().contains("is immutable"));
}

#[test]
fn update_changing_class_path_cluster_or_virtual_cluster_is_denied() {
    let mut old = admitted(&instance("demo"));
    old.spec.etcd.storage.storage_class_name = Some("fast".into());
    let mut new = old.clone();
    new.spec.etcd.storage.storage_class_name = Some("standard".into());
    new.spec.management_cluster = "edge-1".into();
    let decision = validate(&update(&old, &new), &local_with_default_class());
    assert_eq!(
        denied_fields(&decision),
        [
            "spec.managementCluster",
            "spec.etcd.storage.storageClassName"
        ]
    );
    let mut renamed = old.clone();
    renamed.spec.virtual_cluster_name = Some("k-other".into());
    let fields = denied_fields(&validate(
        &update(&old, &renamed),
        &local_with_default_class(),
    ))
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    assert_eq!(
        fields,
        ["spec.virtualClusterName", "spec.virtualClusterName"]
    );
}

#[test]
fn update_of_version_display_name_and_policy_is_admitted() {
    let mut older = instance("demo");
    older.spec.etcd.replicas = 5;
    older.spec.karmada.version = "v1.17.5".into();
    let old = admitted(&older);
    let mut new = old.clone();
    new.spec.karmada.version = "v1.18.2".into();
    new.spec.display_name = Some("Demo".into());
    new.spec.deletion_policy = DeletionPolicy::Retain;
    let request = update(&old, &new);
    let admission = admit(&request, &ClusterCatalog::default()).expect("runs");
    assert!(
        admission.decision.allowed(),
        "{}",
        admission.decision.message()
    );
    let annotations = admission
        .object
        .and_then(|o| o.metadata.annotations)
        .expect("annotations");
    assert_eq!(
        annotations
            .get(HIGH_AVAILABILITY_ANNOTATION)
            .map(String::as_str),
        Some("true")
    );
}

#[test]
fn update_does_not_need_the_management_cluster_to_be_reachable() {
    let old = admitted(&instance("demo"));
    let mut new = old.clone();
    new.spec.display_name = Some("Demo".into());
    let clusters = ClusterCatalog::local(ClusterState::Unreachable {
        reason: "down".into(),
    });
    assert!(
        admit(&update(&old, &new), &clusters)
            .expect("runs")
            .decision
            .allowed()
    );
}

#[test]
fn instance_stored_before_the_webhook_gains_its_virtual_cluster_name_on_update() {
    let old = instance("demo");
    let admission = admit(&update(&old, &old), &ClusterCatalog::default()).expect("runs");
    assert!(
        admission.decision.allowed(),
        "{}",
        admission.decision.message()
    );
}

#[test]
fn object_being_deleted_is_neither_patched_nor_blocked() {
    let mut old = instance("demo");
    old.metadata.deletion_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
        k8s_openapi::jiff::Timestamp::UNIX_EPOCH,
    ));
    old.metadata.finalizers = Some(vec![FINALIZER.into()]);
    let mut new = old.clone();
    new.metadata.finalizers = None;
    let request = update(&old, &new);
    assert!(
        mutate(&request, &ClusterCatalog::default())
            .patch
            .is_empty()
    );
    assert!(validate(&request, &ClusterCatalog::default()).allowed());
}

#[test]
fn denies_delete_while_member_clusters_are_joined() {
    let mut mci = admitted(&instance("demo"));
    mci.status = Some(MulticloudInstanceStatus {
        member_clusters: 2,
        ..Default::default()
    });
    let request = Request {
        operation: Operation::Delete,
        uid: UID,
        object: None,
        old_object: Some(&mci),
    };
    let decision = validate(&request, &ClusterCatalog::default());
    assert_eq!(denied_fields(&decision), ["status.memberClusters"]);
    let message = decision.message();
    assert!(
        message.contains("2 member clusters are still joined to `k-demo`"),
        "{message}"
    );
    assert!(message.contains("karmadactl unjoin"), "{message}");
}

#[test]
fn admits_delete_without_members() {
    let mci = admitted(&instance("demo"));
    let request = Request {
        operation: Operation::Delete,
        uid: UID,
        object: None,
        old_object: Some(&mci),
    };
    assert!(validate(&request, &ClusterCatalog::default()).allowed());
    assert!(
        mutate(&request, &ClusterCatalog::default())
            .patch
            .is_empty()
    );
}

#[test]
fn create_without_object_is_denied_not_a_panic() {
    let request = Request {
        operation: Operation::Create,
        uid: UID,
        object: None,
        old_object: None,
    };
    assert!(!mutate(&request, &ClusterCatalog::default()).allowed());
    assert!(!validate(&request, &ClusterCatalog::default()).allowed());
}

#[test]
fn every_violation_is_reported_at_once() {
    let mut mci = instance("demo");
    mci.spec.etcd.replicas = 2;
    mci.spec.karmada.version = String::new();
    mci.spec.virtual_cluster_name = Some("x".into());
    let decision = admit_create(&mci, &local_with_default_class()).decision;
    assert_eq!(decision.violations.len(), 3);
    let message = decision.message();
    for violation in &decision.violations {
        assert!(message.contains(&violation.to_string()), "{message}");
    }
}

mod host_path_rules;
mod immutable_updates;
mod operator_names;

mod cluster_secrets {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {cluster: e}\nclusters:\n- name: e\n  cluster: {server: 'https://127.0.0.1:1'}\n";

    fn secret(name: &str, kubeconfig: Option<&[u8]>) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..Default::default()
            },
            data: kubeconfig.map(|k| [(KUBECONFIG_KEY.to_owned(), ByteString(k.to_vec()))].into()),
            ..Default::default()
        }
    }

    #[test]
    fn admits_a_named_secret_with_a_usable_kubeconfig() {
        let s = secret("edge-1", Some(KUBECONFIG.as_bytes()));
        let decision = validate_cluster_secret(Operation::Create, Some(&s));
        assert!(decision.allowed());
        assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
    }

    #[test]
    fn skipping_tls_verification_is_admitted_with_a_warning() {
        let insecure = KUBECONFIG.replace(
            "{server: 'https://127.0.0.1:1'}",
            "{server: 'https://127.0.0.1:1', insecure-skip-tls-verify: true}",
        );
        let s = secret("edge-1", Some(insecure.as_bytes()));
        let decision = validate_cluster_secret(Operation::Create, Some(&s));
        assert!(decision.allowed());
        assert_eq!(
            decision.warnings,
            [
                "the kubeconfig of cluster `edge-1` sets insecure-skip-tls-verify: its \
                 credentials are sent to whatever answers at its server address, unverified; \
                 set certificate-authority-data instead"
            ]
        );
        // A denied Secret gets its denial only.
        let s = secret("k-edge", Some(insecure.as_bytes()));
        let decision = validate_cluster_secret(Operation::Create, Some(&s));
        assert!(!decision.allowed());
        assert!(decision.warnings.is_empty(), "{:?}", decision.warnings);
    }

    #[test]
    fn denies_k_prefixed_and_reserved_names() {
        for name in ["k-edge", "local"] {
            let s = secret(name, Some(KUBECONFIG.as_bytes()));
            let decision = validate_cluster_secret(Operation::Create, Some(&s));
            assert_eq!(denied_fields(&decision), ["metadata.name"], "{name}");
        }
    }

    #[test]
    fn denies_missing_binary_or_unparseable_kubeconfig() {
        for data in [
            None,
            Some(&[0xff, 0xfe][..]),
            Some(b"not: [a kubeconfig".as_slice()),
        ] {
            let decision =
                validate_cluster_secret(Operation::Update, Some(&secret("edge-1", data)));
            assert_eq!(denied_fields(&decision), ["data.kubeconfig"], "{data:?}");
        }
    }

    #[test]
    fn string_data_is_read_too_and_delete_is_always_admitted() {
        let mut s = secret("edge-1", None);
        s.string_data = Some([(KUBECONFIG_KEY.to_owned(), KUBECONFIG.to_owned())].into());
        assert!(validate_cluster_secret(Operation::Create, Some(&s)).allowed());
        assert!(validate_cluster_secret(Operation::Delete, None).allowed());
    }
}
