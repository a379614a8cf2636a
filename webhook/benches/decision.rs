//! The pure decision path: decode an admission review as kube-apiserver v1.32 sent it, decide
//! with the rules, encode the reply. No network, no TLS: what the webhook adds per request on
//! top of its HTTP stack.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::{ClusterCatalog, ClusterState, StorageClassInfo};
use multicloud_api::rules::{self, Operation, Request};
use multicloud_webhook::review::Review;
use serde_json::Value;

const MUTATE_CREATE: &[u8] = include_bytes!("../tests/data/admission-v1.32/01-mutate-create.json");
const VALIDATE_CREATE: &[u8] =
    include_bytes!("../tests/data/admission-v1.32/02-validate-create.json");

/// The validating review as it arrives after the mutating webhook ran: admitted.
fn mutated_validate_review() -> Vec<u8> {
    let mut review: Value = serde_json::from_slice(VALIDATE_CREATE).expect("fixture");
    review["request"]["object"]["spec"]["virtualClusterName"] = "k-demo".into();
    serde_json::to_vec(&review).expect("JSON")
}

fn clusters() -> ClusterCatalog {
    ClusterCatalog::local(ClusterState::ready(vec![
        StorageClassInfo::new("fast", true),
        StorageClassInfo::new("slow", false),
    ]))
}

fn decision(c: &mut Criterion) {
    let clusters = clusters();
    let validate_body = mutated_validate_review();

    c.bench_function("mutate: decode + decide + encode", |b| {
        b.iter(|| {
            let review = Review::parse(black_box(MUTATE_CREATE)).expect("parses");
            review.mutate(&clusters).to_json().expect("encodes")
        })
    });
    c.bench_function("validate: decode + decide + encode", |b| {
        b.iter(|| {
            let review = Review::parse(black_box(&validate_body)).expect("parses");
            review.validate(&clusters).to_json().expect("encodes")
        })
    });

    c.bench_function("decode only: validate", |b| {
        b.iter(|| Review::parse(black_box(&validate_body)).expect("parses"))
    });
    let parsed: Value = serde_json::from_slice(&validate_body).expect("JSON");
    let instance: MulticloudInstance =
        serde_json::from_value(parsed["request"]["object"].clone()).expect("instance");
    let request = Request {
        operation: Operation::Create,
        uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
        object: Some(&instance),
        old_object: None,
    };
    c.bench_function("rules only: mutate", |b| {
        b.iter(|| rules::mutate(black_box(&request), &clusters))
    });
    c.bench_function("rules only: validate", |b| {
        b.iter(|| rules::validate(black_box(&request), &clusters))
    });
}

criterion_group!(benches, decision);
criterion_main!(benches);
