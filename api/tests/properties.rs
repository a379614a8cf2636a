//! Properties of the admission rules over generated instances: what mutation produces is
//! admitted, mutation is reinvocation-safe, every denial names a field, a name is admitted
//! exactly when every name karmada-operator derives from it is valid, and what the operator
//! cannot change is never changed.

use std::collections::BTreeMap;

use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_api::instance::{
    DeletionPolicy, EtcdSpec, EtcdStorage, KarmadaSpec, MulticloudInstanceSpec, StorageType,
};
use multicloud_api::k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use multicloud_api::rules::{self, Operation, Request};
use multicloud_api::{MulticloudInstance, keys, names};
use proptest::prelude::*;

fn catalog() -> ClusterCatalog {
    let classes = vec![
        StorageClassInfo::new("standard", true),
        StorageClassInfo::new("fast", false),
    ];
    ClusterCatalog::local(ClusterState::ready(classes.clone()))
        .with("edge-1", ClusterState::ready(classes))
}

fn create(object: &MulticloudInstance) -> Request<'_> {
    Request {
        operation: Operation::Create,
        uid: "4f1c2a9e-0000-4000-8000-000000000000",
        object: Some(object),
        old_object: None,
    }
}

fn metadata_map() -> impl Strategy<Value = Option<BTreeMap<String, String>>> {
    let keys = prop_oneof![
        Just(keys::VIRTUAL_CLUSTER_LABEL.to_owned()),
        Just(keys::HIGH_AVAILABILITY_ANNOTATION.to_owned()),
        Just(keys::HIGH_AVAILABILITY_REASON_ANNOTATION.to_owned()),
        "[a-z]{1,8}(\\.io/[a-z]{1,8})?",
    ];
    proptest::option::of(proptest::collection::btree_map(keys, "[a-z0-9]{0,8}", 0..4))
}

/// Instances inside the rules' valid space, except for what mutation fills in.
fn valid_instance() -> impl Strategy<Value = MulticloudInstance> {
    let storage = prop_oneof![
        (
            proptest::option::of(prop_oneof![Just("standard"), Just("fast"), Just("")]),
            proptest::option::of("[1-9][0-9]{0,2}(Gi|Mi|G)")
        )
            .prop_map(|(class, size)| EtcdStorage {
                type_: StorageType::PersistentVolumeClaim,
                storage_class_name: class.map(str::to_owned),
                size,
                host_path: None,
            }),
        proptest::option::of("/var/lib/multicloud(/[a-z0-9]{1,8}){1,3}").prop_map(|path| {
            EtcdStorage {
                type_: StorageType::HostPath,
                host_path: path,
                ..EtcdStorage::default()
            }
        }),
        Just(EtcdStorage {
            type_: StorageType::EmptyDir,
            ..EtcdStorage::default()
        }),
    ];
    (
        // At most 34 characters: longer ones are admitted only with "karmada" in them.
        "[a-z]([a-z0-9-]{0,32}[a-z0-9])?",
        storage,
        prop_oneof![Just(1), Just(3), Just(5), Just(7)],
        prop_oneof![Just("local"), Just("edge-1")],
        // A release whose companion images multicloud knows (multicloud_api::release).
        "v1\\.1[3-8]\\.[0-9]",
        metadata_map(),
        metadata_map(),
        any::<bool>(),
    )
        .prop_map(
            |(name, storage, replicas, cluster, version, labels, annotations, retain)| {
                let replicas = if storage.type_ == StorageType::HostPath {
                    1
                } else {
                    replicas
                };
                MulticloudInstance {
                    metadata: ObjectMeta {
                        name: Some(name),
                        labels,
                        annotations,
                        ..ObjectMeta::default()
                    },
                    spec: MulticloudInstanceSpec {
                        virtual_cluster_name: None,
                        management_cluster: cluster.to_owned(),
                        display_name: None,
                        karmada: KarmadaSpec {
                            version,
                            ..KarmadaSpec::default()
                        },
                        etcd: EtcdSpec { replicas, storage },
                        deletion_policy: if retain {
                            DeletionPolicy::Retain
                        } else {
                            DeletionPolicy::Delete
                        },
                    },
                    status: None,
                }
            },
        )
}

/// Any instance at all, valid or not.
fn any_instance() -> impl Strategy<Value = MulticloudInstance> {
    (
        valid_instance(),
        "[A-Za-z0-9.-]{0,70}",
        -2i32..10,
        proptest::option::of("[a-z/.-]{0,12}"),
        proptest::option::of("[a-z/.-]{0,12}"),
        proptest::option::of("[a-z-]{0,6}"),
        "[a-z0-9 .]{0,6}",
    )
        .prop_map(|(mut mci, name, replicas, host_path, vc, class, version)| {
            mci.metadata.name = Some(name);
            mci.spec.etcd.replicas = replicas;
            mci.spec.etcd.storage.host_path = host_path;
            mci.spec.etcd.storage.storage_class_name = class;
            mci.spec.virtual_cluster_name = vc;
            mci.spec.karmada.version = version;
            mci
        })
}

proptest! {
    #[test]
    fn what_mutation_produces_is_admitted(mci in valid_instance()) {
        let admission = rules::admit(&create(&mci), &catalog()).expect("admission runs");
        prop_assert!(admission.decision.allowed(), "{}", admission.decision.message());
    }

    #[test]
    fn a_second_mutation_is_empty(mci in any_instance()) {
        let first = rules::mutate(&create(&mci), &ClusterCatalog::default());
        if first.allowed() {
            let patched = rules::apply(&mci, &first.patch).expect("patch applies");
            let second = rules::mutate(&create(&patched), &ClusterCatalog::default());
            prop_assert!(second.patch.is_empty(), "second patch: {:?}", second.patch);
        }
    }

    #[test]
    fn every_denial_names_a_field(mci in any_instance()) {
        let admission = rules::admit(&create(&mci), &catalog()).expect("admission runs");
        for violation in &admission.decision.violations {
            let known = ["metadata.", "spec.", "status.", "data.", "request."];
            prop_assert!(known.iter().any(|p| violation.field.starts_with(p)), "{violation}");
            prop_assert!(!violation.message.is_empty());
        }
    }

    #[test]
    fn updates_that_keep_immutable_fields_are_admitted(mci in valid_instance(), retain in any::<bool>()) {
        let old = rules::admit(&create(&mci), &catalog()).expect("runs").object.expect("object");
        let mut new = old.clone();
        new.spec.display_name = Some("renamed".into());
        new.spec.deletion_policy = if retain { DeletionPolicy::Retain } else { DeletionPolicy::Delete };
        let request = Request { operation: Operation::Update, uid: "5e2d3b8f-0000-4000-8000-000000000000", object: Some(&new), old_object: Some(&old) };
        let admission = rules::admit(&request, &ClusterCatalog::default()).expect("runs");
        prop_assert!(admission.decision.allowed(), "{}", admission.decision.message());
    }

    #[test]
    fn a_change_of_etcd_replicas_or_size_is_denied(
        mci in valid_instance(),
        replicas in prop_oneof![Just(1), Just(3), Just(5), Just(7)],
        size in "[1-9][0-9]{0,2}(Gi|Mi)",
    ) {
        let old = rules::admit(&create(&mci), &catalog()).expect("runs").object.expect("object");
        let mut new = old.clone();
        new.spec.etcd.replicas = replicas;
        if new.spec.etcd.storage.type_ == StorageType::PersistentVolumeClaim {
            new.spec.etcd.storage.size = Some(size);
        }
        let request = Request { operation: Operation::Update, uid: "5e2d3b8f-0000-4000-8000-000000000000", object: Some(&new), old_object: Some(&old) };
        let decision = rules::validate(&request, &ClusterCatalog::default());
        let replicas_changed = old.spec.etcd.replicas != new.spec.etcd.replicas;
        let size_changed = old.spec.etcd.storage.size_or_default() != new.spec.etcd.storage.size_or_default();
        let fields: Vec<&str> = decision.violations.iter().map(|v| v.field.as_str()).collect();
        prop_assert_eq!(fields.contains(&"spec.etcd.replicas"), replicas_changed);
        prop_assert_eq!(fields.contains(&"spec.etcd.storage.size"), size_changed);
        prop_assert_eq!(decision.allowed(), !replicas_changed && !size_changed);
    }

    #[test]
    fn a_name_is_admitted_exactly_when_every_derived_name_fits(
        name in "[a-z]([a-z0-9-]{0,61}[a-z0-9])?",
        karmada in any::<bool>(),
    ) {
        let name = if karmada && name.len() <= 56 { format!("karmada{name}") } else { name };
        let mut mci = MulticloudInstance::new(&name, MulticloudInstanceSpec::default());
        mci.metadata.name = Some(name.clone());
        let admission = rules::admit(&create(&mci), &catalog()).expect("runs");
        let name_denied = admission.decision.violations.iter().any(|v| v.field == "metadata.name");
        let fits = names::derived_names(&name).iter().all(names::DerivedName::fits);
        prop_assert_eq!(name_denied, !fits, "{}", admission.decision.message());
    }
}
