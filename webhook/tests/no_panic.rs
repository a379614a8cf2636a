//! No input makes the decision path panic: arbitrary bytes, and well-formed reviews carrying
//! arbitrary JSON where the objects go. Every review that decodes is answered with its uid.

use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_webhook::review::Review;
use proptest::prelude::*;
use serde_json::{Value, json};

fn catalog() -> ClusterCatalog {
    ClusterCatalog::local(ClusterState::ready(vec![StorageClassInfo::new(
        "fast", true,
    )]))
    .with("edge-1", ClusterState::NotSynced)
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-zA-Z0-9/._-]{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("metadata".to_owned()),
                    Just("spec".to_owned()),
                    Just("name".to_owned()),
                    Just("etcd".to_owned()),
                    Just("storage".to_owned()),
                    Just("replicas".to_owned()),
                    Just("type".to_owned()),
                    Just("status".to_owned()),
                    Just("memberClusters".to_owned()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..5
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

fn review(kind: &str, group: &str, operation: &str, object: Value, old: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "fuzz-uid",
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": "things"},
            "namespace": "multicloud-system",
            "operation": operation,
            "userInfo": {},
            "object": object,
            "oldObject": old,
        }
    }))
    .expect("JSON")
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(review) = Review::parse(&bytes) {
            let _ = review.validate(&catalog());
        }
    }

    #[test]
    fn arbitrary_objects_are_answered_with_the_uid(
        object in any_json(),
        old in any_json(),
        operation in prop_oneof![Just("CREATE"), Just("UPDATE"), Just("DELETE"), Just("CONNECT")],
        (kind, group) in prop_oneof![
            Just(("MulticloudInstance", "multicloud.dev")),
            Just(("Secret", "")),
            Just(("Pod", "")),
        ],
    ) {
        let body = review(kind, group, operation, object, old);
        // Objects that are not objects at all fail the generic decoding: a 400, not a panic.
        if let Ok(parsed) = Review::parse(&body) {
            let reply = parsed.mutate(&catalog());
            prop_assert_eq!(&reply.uid, "fuzz-uid");
            prop_assert!(reply.to_json().is_ok());
        }
        if let Ok(parsed) = Review::parse(&body) {
            let reply = parsed.validate(&catalog());
            prop_assert_eq!(&reply.uid, "fuzz-uid");
            prop_assert_eq!(reply.allowed, reply.status.is_none());
        }
    }
}
