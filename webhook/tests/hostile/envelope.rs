//! Reviews whose envelope is wrong: parts missing, of the wrong type, of another version or
//! kind, or not declared as JSON.

use http::StatusCode;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn reviews_without_their_essential_parts_are_refused_or_denied() {
    let app = app();
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "missing uid",
            edited(|r| {
                r["request"]
                    .as_object_mut()
                    .expect("request")
                    .remove("uid")
                    .map(drop)
                    .unwrap_or(())
            }),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "missing field `uid`"],
            ),
        ),
        (
            "uid of the wrong type",
            edited(|r| r["request"]["uid"] = json!(42)),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "invalid type: integer `42`"],
            ),
        ),
        (
            "missing request",
            edited(|r| {
                r.as_object_mut()
                    .expect("review")
                    .remove("request")
                    .map(drop)
                    .unwrap_or(())
            }),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &["the AdmissionReview carries no request"],
            ),
        ),
        (
            "null request",
            edited(|r| r["request"] = Value::Null),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &["the AdmissionReview carries no request"],
            ),
        ),
        (
            "missing object on CREATE",
            edited(|r| {
                r["request"]
                    .as_object_mut()
                    .expect("request")
                    .remove("object")
                    .map(drop)
                    .unwrap_or(())
            }),
            Expect::Denied(&["request.object", "carries no object"]),
        ),
        (
            "null object on CREATE",
            edited(|r| r["request"]["object"] = Value::Null),
            Expect::Denied(&["request.object", "carries no object"]),
        ),
        (
            "null object on UPDATE",
            edited(|r| {
                r["request"]["operation"] = json!("UPDATE");
                r["request"]["oldObject"] = r["request"]["object"].take();
            }),
            Expect::Denied(&["request.object", "carries no object"]),
        ),
        (
            "object that is a string",
            edited(|r| r["request"]["object"] = json!("demo")),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "invalid type: string"],
            ),
        ),
        (
            "unknown operation",
            edited(|r| r["request"]["operation"] = json!("PATCH")),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "unknown variant `PATCH`"],
            ),
        ),
        (
            "missing kind of the object",
            edited(|r| {
                r["request"]
                    .as_object_mut()
                    .expect("request")
                    .remove("kind")
                    .map(drop)
                    .unwrap_or(())
            }),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "missing field `kind`"],
            ),
        ),
        (
            "duplicate uid",
            spliced("/request/dryRun", br#"false, "uid": "another""#),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "duplicate field `uid`"],
            ),
        ),
    ];
    for (case, body, expect) in cases {
        check(&app, case, Some("application/json"), body, &expect).await;
    }
}

#[tokio::test]
async fn objects_of_other_kinds_are_admitted_unchanged_or_denied_as_undecodable() {
    let app = app();
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "demo", "namespace": "default"},
        "data": {"a": "b"},
    });
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        // The webhook configurations never send these; one that arrives anyway (a
        // misconfiguration) is not the webhook's to judge, and must never be blocked.
        (
            "a kind the rules do not govern",
            edited(|r| {
                r["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "ConfigMap"});
                r["request"]["object"] = config_map.clone();
            }),
            Expect::AdmittedUnchanged,
        ),
        (
            "an unlabelled Secret",
            edited(|r| {
                r["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Secret"});
                r["request"]["namespace"] = json!("multicloud-system");
                r["request"]["object"] =
                    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "x"}});
            }),
            Expect::AdmittedUnchanged,
        ),
        (
            "the status subresource",
            edited(|r| r["request"]["subResource"] = json!("status")),
            Expect::AdmittedUnchanged,
        ),
        (
            "a ConfigMap posing as an instance",
            edited(|r| r["request"]["object"] = config_map.clone()),
            Expect::Denied(&[
                "the object is not a valid MulticloudInstance",
                "missing field `spec`",
            ]),
        ),
        (
            "an instance with a field of the wrong type",
            edited(|r| r["request"]["object"]["spec"]["etcd"] = json!({"replicas": "three"})),
            Expect::Denied(&[
                "the object is not a valid MulticloudInstance",
                "invalid type: string \"three\"",
            ]),
        ),
        (
            "a stored object that does not decode",
            edited(|r| {
                r["request"]["operation"] = json!("UPDATE");
                r["request"]["oldObject"] = json!({"metadata": {"name": "demo"}, "spec": 7});
            }),
            Expect::Denied(&["the stored object is not a valid MulticloudInstance"]),
        ),
    ];
    for (case, body, expect) in cases {
        check(&app, case, Some("application/json"), body, &expect).await;
    }
}

#[tokio::test]
async fn a_review_of_another_api_version_or_kind_is_refused() {
    // The webhook is registered with `admissionReviewVersions: [v1]`; its reply has the shape of
    // v1 (v1beta1's is the same). Anything else is not something it can answer correctly.
    let app = app();
    for version in ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"] {
        let body = edited(|r| r["apiVersion"] = json!(version));
        let (status, text) = post(&app, "/validate", Some("application/json"), body).await;
        assert_eq!(status, StatusCode::OK, "{version}: {text}");
        let answer: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(answer["apiVersion"], version, "the version is echoed");
    }
    let cases: Vec<(&str, Vec<u8>, Expect)> = vec![
        (
            "apiVersion admission.k8s.io/v2",
            edited(|r| r["apiVersion"] = json!("admission.k8s.io/v2")),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &["admission.k8s.io/v2", "admission.k8s.io/v1"],
            ),
        ),
        (
            "apiVersion of another group",
            edited(|r| r["apiVersion"] = json!("v1")),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &["apiVersion", "admission.k8s.io/v1"],
            ),
        ),
        (
            "apiVersion of the wrong type",
            edited(|r| r["apiVersion"] = json!(1)),
            Expect::Refused(
                StatusCode::BAD_REQUEST,
                &[NOT_A_REVIEW, "invalid type: integer `1`"],
            ),
        ),
        (
            "kind ConfigMap",
            edited(|r| r["kind"] = json!("ConfigMap")),
            Expect::Refused(StatusCode::BAD_REQUEST, &["ConfigMap", "AdmissionReview"]),
        ),
    ];
    for (case, body, expect) in cases {
        check(&app, case, Some("application/json"), body, &expect).await;
    }
}

#[tokio::test]
async fn a_body_that_is_not_declared_as_json_is_refused() {
    let app = app();
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let (status, text) = post(&app, "/validate", Some(content_type), bytes(&review())).await;
        assert_eq!(status, StatusCode::OK, "{content_type}: {text}");
    }
    let expect = Expect::Refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, &["application/json"]);
    for content_type in [
        "text/plain",
        "application/yaml",
        "application/x-www-form-urlencoded",
    ] {
        check(
            &app,
            content_type,
            Some(content_type),
            bytes(&review()),
            &expect,
        )
        .await;
    }
    check(&app, "no content type", None, bytes(&review()), &expect).await;
}
