//! The hostile input catalogue: admission reviews a broken or malicious client could send, each
//! through both endpoints of the router, in process. Every one gets a clear, specific answer (the
//! status code and the message are asserted), never a panic, and never a patch: a body that is
//! not a usable review changes nothing.

mod support;

#[path = "hostile/encoding.rs"]
mod encoding;
#[path = "hostile/envelope.rs"]
mod envelope;

use axum::Router;
use axum::body::Body;
use http::{Method, Request, StatusCode, header};
use multicloud_api::testing;
use serde_json::{Value, json};

const UID: &str = "0b6f3c52-9a51-4c1e-8d0f-2f4a4c6b7e19";
const ENDPOINTS: [&str; 2] = ["/validate", "/mutate"];

/// Depth of the nested arrays: far beyond any parser's recursion limit, so a parser without
/// one would overflow its stack.
const DEPTH: usize = 100_000;

/// What the webhook must answer.
enum Expect {
    /// An HTTP error: its status and fragments of its text.
    Refused(StatusCode, &'static [&'static str]),
    /// A 200 reply denying the request with the uid echoed; fragments of the message.
    Denied(&'static [&'static str]),
    /// A 200 reply admitting the request as it is: the uid echoed and no patch.
    AdmittedUnchanged,
}

/// A valid review creating instance `demo` on `local`, as JSON to break.
fn review() -> Value {
    let spec = json!({"virtualClusterName": "k-demo", "managementCluster": "local"});
    let mut review = testing::create_review(UID, "demo", spec);
    review["request"]["oldObject"] = Value::Null;
    review
}

fn bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON")
}

/// `review()` changed by `change`.
fn edited(change: impl FnOnce(&mut Value)) -> Vec<u8> {
    let mut review = review();
    change(&mut review);
    bytes(&review)
}

/// `review()` with the text `inner` (not necessarily JSON) at `pointer`.
fn spliced(pointer: &str, inner: &[u8]) -> Vec<u8> {
    splice(review(), pointer, inner)
}

/// `review` encoded, with the text `inner` (not necessarily JSON) in place of the value at
/// `pointer`.
fn splice(mut review: Value, pointer: &str, inner: &[u8]) -> Vec<u8> {
    *review.pointer_mut(pointer).expect("pointer exists") = json!("@");
    let text = bytes(&review);
    let at = text
        .windows(3)
        .position(|w| w == b"\"@\"")
        .expect("placeholder");
    [&text[..at], inner, &text[at + 3..]].concat()
}

fn deep_array() -> Vec<u8> {
    [vec![b'['; DEPTH], vec![b']'; DEPTH]].concat()
}

fn app() -> Router {
    support::local_app("standard")
}

async fn post(
    app: &Router,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let mut request = Request::builder().method(Method::POST).uri(path);
    if let Some(content_type) = content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    let request = request.body(Body::from(body)).expect("request");
    support::send(app, request).await
}

/// Sends `body` to both endpoints and checks the answer against `expect`.
async fn check(
    app: &Router,
    case: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    expect: &Expect,
) {
    for path in ENDPOINTS {
        let (status, text) = post(app, path, content_type, body.clone()).await;
        let at = format!("{case} on {path}: {status} {}", excerpt(&text));
        match expect {
            Expect::Refused(code, fragments) => {
                assert_eq!(status, *code, "{at}");
                for fragment in *fragments {
                    assert!(text.contains(fragment), "{at}: no {fragment:?}");
                }
            }
            Expect::Denied(fragments) => {
                assert_eq!(status, StatusCode::OK, "{at}");
                let response = reply(&text, &at);
                assert_eq!(response["uid"], UID, "{at}");
                assert_eq!(response["allowed"], false, "{at}");
                assert_eq!(response["status"]["code"], 403, "{at}");
                assert!(response.get("patch").is_none(), "{at}");
                let message = response["status"]["message"].as_str().unwrap_or_default();
                for fragment in *fragments {
                    assert!(message.contains(fragment), "{at}: no {fragment:?}");
                }
            }
            Expect::AdmittedUnchanged => {
                assert_eq!(status, StatusCode::OK, "{at}");
                let response = reply(&text, &at);
                assert_eq!(response["uid"], UID, "{at}");
                assert_eq!(response["allowed"], true, "{at}");
                assert!(response.get("patch").is_none(), "{at}");
                assert!(response.get("patchType").is_none(), "{at}");
            }
        }
    }
}

fn reply(text: &str, at: &str) -> Value {
    let review: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{at}: {e}"));
    assert_eq!(review["kind"], "AdmissionReview", "{at}");
    review["response"].clone()
}

fn excerpt(text: &str) -> String {
    text.chars().take(300).collect()
}

const NOT_A_REVIEW: &str = "the body is not an admission.k8s.io/v1 AdmissionReview";
