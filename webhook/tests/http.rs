//! Every endpoint through the router, in process: status codes, bodies, limits, readiness,
//! metrics, and the bounded wait for a cluster that is not synced yet.

mod support;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode};
use multicloud_api::clusters::StorageClassInfo;
use multicloud_api::testing;
use multicloud_webhook::clusters::Directory;
use multicloud_webhook::routes::BODY_LIMIT;
use serde_json::{Value, json};

const UID: &str = "7f1c2b9e-1d2a-4f7e-9d3c-5a6b7c8d9e0f";

fn create_review(name: &str, cluster: &str) -> Vec<u8> {
    let spec = json!({"virtualClusterName": format!("k-{name}"), "managementCluster": cluster});
    serde_json::to_vec(&testing::create_review(UID, name, spec)).expect("JSON")
}

fn default_app() -> Router {
    support::local_app("standard")
}

async fn call(
    app: &Router,
    method: Method,
    path: &str,
    body: impl Into<Body>,
) -> (StatusCode, String) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .body(body.into())
        .expect("request");
    support::send(app, request).await
}

/// Sends the review creating instance `demo` on `cluster` to `path`.
async fn review_on(app: &Router, path: &str, cluster: &str) -> (StatusCode, String) {
    call(app, Method::POST, path, create_review("demo", cluster)).await
}

fn reply(body: &str) -> Value {
    let review: Value = serde_json::from_str(body).expect("reply is JSON");
    review["response"].clone()
}

#[tokio::test]
async fn validate_and_mutate_answer_with_the_request_uid() {
    let app = default_app();
    let (status, body) = review_on(&app, "/validate", "local").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response = reply(&body);
    assert_eq!(response["uid"], UID);
    assert_eq!(response["allowed"], true);

    let (status, body) = review_on(&app, "/mutate", "local").await;
    assert_eq!(status, StatusCode::OK);
    let response = reply(&body);
    assert_eq!(response["uid"], UID);
    assert_eq!(response["patchType"], "JSONPatch");
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = default_app();
    for (method, path) in [
        (Method::GET, "/validate"),
        (Method::PUT, "/mutate"),
        (Method::DELETE, "/validate"),
        (Method::POST, "/healthz"),
        (Method::POST, "/metrics"),
    ] {
        let (status, _) = call(&app, method.clone(), path, Body::empty()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
    let (status, _) = call(&app, Method::POST, "/nowhere", Body::empty()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bodies_above_the_limit_are_refused() {
    let app = default_app();
    let (status, _) = call(&app, Method::POST, "/validate", vec![b' '; BODY_LIMIT + 1]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Also when the size is not announced up front.
    let chunks =
        futures::stream::iter((0..8).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024])));
    let (status, _) = call(&app, Method::POST, "/mutate", Body::from_stream(chunks)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_large_review_below_the_limit_is_answered() {
    let app = default_app();
    let mut review: Value = serde_json::from_slice(&create_review("demo", "local")).expect("JSON");
    let padding = "x".repeat(3 * 1024 * 1024);
    review["request"]["object"]["metadata"]["annotations"] =
        json!({"example.com/padding": padding});
    let (status, body) = call(
        &app,
        Method::POST,
        "/validate",
        serde_json::to_vec(&review).expect("JSON"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reply(&body)["uid"], UID);
}

#[tokio::test]
async fn malformed_bodies_get_400_with_the_reason() {
    let app = default_app();
    for body in [
        &b""[..],
        b"not json",
        b"{\"apiVersion\": 1}",
        b"[1,2,3]",
        &[0xff, 0xfe, 0x00][..],
    ] {
        for path in ["/validate", "/mutate"] {
            let (status, text) = call(&app, Method::POST, path, body.to_vec()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body:?}");
            assert!(text.contains("AdmissionReview"), "{text}");
        }
    }
    let no_request = br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#;
    let (status, text) = call(&app, Method::POST, "/validate", no_request.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.contains("carries no request"), "{text}");
}

#[tokio::test]
async fn health_is_immediate_and_readiness_waits_for_local_and_the_instances() {
    let directory = std::sync::Arc::new(Directory::new(Duration::from_secs(60)));
    let instances = std::sync::Arc::new(multicloud_webhook::instances::InstanceIndex::new());
    let app = support::app_with(
        directory.clone(),
        instances.clone(),
        Duration::from_secs(2),
        Duration::from_secs(4),
    );
    assert_eq!(
        call(&app, Method::GET, "/healthz", Body::empty()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        call(&app, Method::GET, "/readyz", Body::empty()).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    let generation = directory.register("local");
    directory.update("local", generation, |r| r.synced(Default::default()));
    assert_eq!(
        call(&app, Method::GET, "/readyz", Body::empty()).await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
    directory.set_secrets_synced();
    let (status, body) = call(&app, Method::GET, "/readyz", Body::empty()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body.contains("MulticloudInstances are not listed yet"),
        "{body}"
    );
    instances.reset(Default::default());
    assert_eq!(
        call(&app, Method::GET, "/readyz", Body::empty()).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn metrics_count_requests_and_show_cluster_state() {
    let directory = support::ready_directory(vec![]);
    directory.register("edge-1");
    let app = support::app(directory, Duration::from_millis(10), Duration::from_secs(4));
    review_on(&app, "/validate", "local").await;
    call(&app, Method::POST, "/validate", b"nope".to_vec()).await;
    let (status, text) = call(&app, Method::GET, "/metrics", Body::empty()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains(r#"multicloud_webhook_admission_requests_total{endpoint="validate",operation="CREATE",verdict="denied"} 1"#),
        "{text}"
    );
    assert!(text.contains(r#"verdict="malformed"} 1"#), "{text}");
    assert!(
        text.contains("multicloud_webhook_admission_duration_seconds_bucket"),
        "{text}"
    );
    assert!(
        text.contains(r#"multicloud_webhook_cluster_state{cluster="edge-1",state="not_synced"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"multicloud_webhook_cluster_state{cluster="local",state="ready"} 1"#),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
}

#[tokio::test]
async fn a_request_waits_for_a_cluster_that_syncs_in_time() {
    let directory = support::ready_directory(vec![]);
    let app = support::app(
        directory.clone(),
        Duration::from_secs(3),
        Duration::from_secs(4),
    );
    let registrar = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let generation = directory.register("edge-1");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let classes = [("fast".to_owned(), StorageClassInfo::new("fast", true))].into();
        directory.update("edge-1", generation, |r| r.synced(classes));
    });
    let (_, body) = review_on(&app, "/validate", "edge-1").await;
    assert_eq!(reply(&body)["allowed"], true, "{body}");
    registrar.await.expect("registrar");
}

#[tokio::test]
async fn a_cluster_that_does_not_sync_in_time_is_denied_as_such() {
    let directory = support::ready_directory(vec![]);
    directory.register("edge-1");
    let app = support::app(directory, Duration::from_millis(50), Duration::from_secs(4));
    let (_, body) = review_on(&app, "/validate", "edge-1").await;
    let response = reply(&body);
    assert_eq!(response["allowed"], false);
    assert_eq!(response["uid"], UID);
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("not synced"), "{message}");
}

#[tokio::test]
async fn requests_are_bounded_by_the_request_timeout() {
    let directory = support::ready_directory(vec![]);
    directory.register("edge-1");
    let app = support::app(
        directory,
        Duration::from_secs(30),
        Duration::from_millis(50),
    );
    let (status, text) = review_on(&app, "/validate", "edge-1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(text.contains("not answered within"), "{text}");
}
