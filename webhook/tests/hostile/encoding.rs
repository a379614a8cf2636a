//! Bodies that are not one well-formed JSON document of a sane size and depth, and messages
//! that must not grow with the input.

use http::StatusCode;
use multicloud_webhook::routes::BODY_LIMIT;
use serde_json::json;

use super::*;

#[tokio::test]
async fn bytes_that_are_not_one_json_document_get_400_with_the_parser_reason() {
    let app = app();
    let valid = bytes(&review());
    let cases: Vec<(&str, Vec<u8>, &'static [&'static str])> = vec![
        (
            "empty body",
            Vec::new(),
            &[NOT_A_REVIEW, "EOF while parsing"],
        ),
        (
            "whitespace only",
            b" \n\t ".to_vec(),
            &[NOT_A_REVIEW, "EOF while parsing"],
        ),
        (
            "not JSON",
            b"apiVersion: admission.k8s.io/v1\n".to_vec(),
            &[NOT_A_REVIEW, "expected value"],
        ),
        (
            "a JSON array",
            b"[1, 2, 3]".to_vec(),
            &[NOT_A_REVIEW, "invalid type: integer `1`, expected a string"],
        ),
        (
            "truncated",
            valid[..valid.len() / 2].to_vec(),
            &[NOT_A_REVIEW, "EOF while parsing"],
        ),
        (
            "trailing garbage",
            [&valid[..], b"garbage"].concat(),
            &[NOT_A_REVIEW, "trailing characters"],
        ),
        (
            "a second document",
            [&valid[..], &valid[..]].concat(),
            &[NOT_A_REVIEW, "trailing characters"],
        ),
        (
            "invalid UTF-8 alone",
            vec![0xff, 0xfe, 0x00],
            &[NOT_A_REVIEW, "expected value"],
        ),
        (
            "invalid UTF-8 in a string",
            spliced("/request/object/metadata/name", b"\"de\xffmo\""),
            &[NOT_A_REVIEW, "invalid unicode code point"],
        ),
        (
            "a lone surrogate escape",
            spliced("/request/object/metadata/name", br#""\ud800""#),
            &[NOT_A_REVIEW, "hex escape"],
        ),
        (
            "a NUL byte",
            [&valid[..1], b"\0", &valid[1..]].concat(),
            &[NOT_A_REVIEW, "key must be a string"],
        ),
    ];
    for (case, body, fragments) in cases {
        let expect = Expect::Refused(StatusCode::BAD_REQUEST, fragments);
        check(&app, case, Some("application/json"), body, &expect).await;
    }
}

#[tokio::test]
async fn deeply_nested_json_is_refused_without_exhausting_the_stack() {
    let app = app();
    let deep = deep_array();
    let mut annotated = review();
    annotated["request"]["object"]["metadata"]["annotations"] = json!({"a": ""});
    let mut secret = review();
    secret["request"]["kind"] = json!({"group": "", "version": "v1", "kind": "Secret"});
    secret["request"]["namespace"] = json!("multicloud-system");
    secret["request"]["object"] = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "edge-1", "labels": {"multicloud.dev/cluster": "true"}},
        "data": "",
    });
    // Everywhere a decoder might recurse: the top level, a typed field of the metadata and of
    // the spec, an annotation, a Secret's data. Objects are read for their shape (valid JSON
    // within the recursion limit) before any typed decoding, so a deep nesting in an object is
    // refused as such wherever it is.
    let cases: Vec<(&str, Vec<u8>, &'static [&'static str])> = vec![
        (
            "at the top level",
            deep.clone(),
            &[NOT_A_REVIEW, "invalid type: sequence"],
        ),
        (
            "in the name of the object",
            splice(review(), "/request/object/metadata/name", &deep),
            &[NOT_A_REVIEW, "recursion limit exceeded"],
        ),
        (
            "in a typed field of the spec",
            splice(review(), "/request/object/spec/managementCluster", &deep),
            &[NOT_A_REVIEW, "recursion limit exceeded"],
        ),
        (
            "in an annotation",
            splice(annotated, "/request/object/metadata/annotations/a", &deep),
            &[NOT_A_REVIEW, "recursion limit exceeded"],
        ),
        (
            "in a Secret's data",
            splice(secret, "/request/object/data", &deep),
            &[NOT_A_REVIEW, "recursion limit exceeded"],
        ),
    ];
    for (case, body, fragments) in cases {
        let expect = Expect::Refused(StatusCode::BAD_REQUEST, fragments);
        check(&app, case, Some("application/json"), body, &expect).await;
    }
    // A field no decision reads is skipped without being built, at any depth: the answer is the
    // one to the same review without it. (The API server prunes unknown fields of instances.)
    let mut extra = review();
    extra["request"]["object"]["extra"] = json!("");
    for skipped in [
        splice(review(), "/request/userInfo/username", &deep),
        splice(extra, "/request/object/extra", &deep),
    ] {
        for path in ENDPOINTS {
            let plain = post(&app, path, Some("application/json"), bytes(&review())).await;
            let deep = post(&app, path, Some("application/json"), skipped.clone()).await;
            assert_eq!(deep, plain, "{path}");
        }
    }
}

/// A review of exactly `size` bytes whose object carries one big annotation.
fn review_of_size(size: usize) -> Vec<u8> {
    let mut review = review();
    review["request"]["object"]["metadata"]["annotations"] = json!({"example.com/padding": ""});
    let base = bytes(&review).len();
    let padding = "x".repeat(size.checked_sub(base).expect("size above the base review"));
    review["request"]["object"]["metadata"]["annotations"]["example.com/padding"] = json!(padding);
    let body = bytes(&review);
    assert_eq!(body.len(), size);
    body
}

#[tokio::test]
async fn huge_annotations_are_answered_up_to_the_body_limit_and_refused_above_it() {
    let app = app();
    let at_limit = review_of_size(BODY_LIMIT);
    let (status, text) = post(
        &app,
        "/validate",
        Some("application/json"),
        at_limit.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", excerpt(&text));
    let response = reply(&text, "at the limit");
    assert_eq!(response["uid"], UID);
    assert_eq!(response["allowed"], true, "{response}");
    let (status, text) = post(&app, "/mutate", Some("application/json"), at_limit).await;
    assert_eq!(status, StatusCode::OK, "{}", excerpt(&text));
    assert_eq!(reply(&text, "at the limit")["patchType"], "JSONPatch");

    let over = review_of_size(BODY_LIMIT + 1);
    check(
        &app,
        "one byte over the body limit",
        Some("application/json"),
        over,
        &Expect::Refused(StatusCode::PAYLOAD_TOO_LARGE, &["length limit exceeded"]),
    )
    .await;
}

#[tokio::test]
async fn error_messages_quote_a_bounded_part_of_the_input() {
    // A refusal is logged and sent back; neither may grow with what a client sends, or one
    // request could write megabytes into the log.
    let app = app();
    let huge = "x".repeat(1024 * 1024);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "a huge operation",
            edited(|r| r["request"]["operation"] = json!(huge)),
        ),
        (
            "a huge object of the wrong type",
            edited(|r| r["request"]["object"] = json!(huge)),
        ),
    ];
    for (case, body) in cases {
        for path in ENDPOINTS {
            let (status, text) = post(&app, path, Some("application/json"), body.clone()).await;
            assert_eq!(
                status,
                StatusCode::BAD_REQUEST,
                "{case} on {path}: {}",
                excerpt(&text)
            );
            assert!(
                text.len() <= 1024,
                "{case} on {path}: a {}-byte refusal: {}",
                text.len(),
                excerpt(&text)
            );
        }
    }
}

#[tokio::test]
async fn denial_messages_quote_a_bounded_part_of_the_input() {
    // A denial is logged by the API server and shown to the user: it says which field is wrong,
    // not the megabyte that was put into it.
    let app = app();
    let huge = "x".repeat(1024 * 1024);
    let body = edited(|r| r["request"]["object"]["spec"]["etcd"] = json!({"replicas": huge}));
    for path in ENDPOINTS {
        let (status, text) = post(&app, path, Some("application/json"), body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        let response = reply(&text, path);
        let message = response["status"]["message"].as_str().unwrap_or_default();
        assert!(
            message.len() <= 1024,
            "{path}: a {}-byte denial: {}",
            message.len(),
            excerpt(message)
        );
    }
}
