//! Arbitrary bytes as an AdmissionReview for a MulticloudInstance: decoding never panics, and
//! whatever decodes runs through mutate, apply and validate without a panic; mutation is
//! idempotent on what it produced.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_api::kube::core::admission::{AdmissionRequest, AdmissionReview, Operation as KubeOp};
use multicloud_api::rules::{self, Operation, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(review) = serde_json::from_slice::<AdmissionReview<MulticloudInstance>>(data) else {
        return;
    };
    let Ok(request): Result<AdmissionRequest<MulticloudInstance>, _> = review.try_into() else {
        return;
    };
    let operation = match request.operation {
        KubeOp::Create => Operation::Create,
        KubeOp::Update => Operation::Update,
        KubeOp::Delete => Operation::Delete,
        KubeOp::Connect => return,
    };
    let clusters = ClusterCatalog::local(ClusterState::ready(vec![StorageClassInfo::new("standard", true)]))
        .with("edge-1", ClusterState::Unreachable { reason: "down".into() });
    let request = Request { operation, uid: "fuzz-uid", object: request.object.as_ref(), old_object: request.old_object.as_ref() };
    let admission = rules::admit(&request, &clusters).expect("applying our own patch never fails");
    if let Some(object) = admission.object {
        let again = rules::mutate(&Request { object: Some(&object), ..request }, &clusters);
        assert!(again.patch.is_empty() || !again.allowed(), "mutation is not idempotent");
    }
});
