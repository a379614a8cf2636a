//! Arbitrary bytes as the body of a request to the webhook: `Review::parse`, then the mutating
//! and the validating decision against a fixed set of clusters, then the reply's encoding. No
//! panic anywhere; every reply encodes and carries a message when it denies; a patch is always
//! JSONPatch and applies to the object it was computed from; and the object it produces needs
//! no further patch (the API server may reinvoke the webhook).
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_webhook::review::Review;
use multicloud_webhook::wire::Reply;
use serde_json::Value;

/// Every state a cluster can be in, as the watches would report it.
static CLUSTERS: LazyLock<ClusterCatalog> = LazyLock::new(|| {
    ClusterCatalog::local(ClusterState::ready(vec![
        StorageClassInfo::new("standard", true),
        StorageClassInfo::new("fast", false),
    ]))
    .with(
        "edge-1",
        ClusterState::ready(vec![StorageClassInfo::new("slow", false)]),
    )
    .with(
        "edge-2",
        ClusterState::Unreachable {
            reason: "connection refused".into(),
        },
    )
    .with("edge-3", ClusterState::NotSynced)
});

fuzz_target!(|data: &[u8]| {
    // Decoding is deterministic: what decodes once decodes again, for the second endpoint.
    let Ok(review) = Review::parse(data) else {
        return;
    };
    let _ = review.cluster_to_consult();
    let mutation = review.mutate(&*CLUSTERS);
    check_reply(&mutation);
    let review = Review::parse(data).expect("a body that decoded once decodes again");
    check_reply(&review.validate(&*CLUSTERS));

    let Some(patch) = &mutation.patch else {
        return;
    };
    // Compare with what the API server does with the patch: apply it to the object as sent.
    let Ok(mut body) = serde_json::from_slice::<Value>(data) else {
        // Deeper than serde_json's Value allows, in a part the webhook skips without building.
        return;
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(patch)
        .expect("the patch is base64");
    let patch: json_patch::Patch =
        serde_json::from_slice(&bytes).expect("the patch is a JSON Patch");
    let object = &mut body["request"]["object"];
    json_patch::patch(object, &patch)
        .expect("the patch applies to the object it was computed from");
    let again = serde_json::to_vec(&body).expect("encodes");
    let review = Review::parse(&again).expect("the patched review decodes");
    let second = review.mutate(&*CLUSTERS);
    assert!(
        second.allowed,
        "the patched object is denied: {}",
        second.message()
    );
    assert_eq!(
        second.patch, None,
        "mutating the patched object patches it again"
    );
});

fn check_reply(reply: &Reply) {
    let json = reply.to_json().expect("a reply always encodes");
    let value: Value = serde_json::from_slice(&json).expect("a reply is JSON");
    assert_eq!(value["kind"], "AdmissionReview");
    assert_eq!(value["response"]["uid"].as_str(), Some(reply.uid.as_str()));
    if reply.allowed {
        assert!(reply.status.is_none());
    } else {
        assert!(!reply.message().is_empty(), "a denial without a message");
        assert!(reply.patch.is_none(), "a denial with a patch");
    }
    assert_eq!(reply.patch.is_some(), reply.patch_type == Some("JSONPatch"));
}
