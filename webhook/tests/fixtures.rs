//! Admission reviews exactly as kube-apiserver v1.20 and v1.32 sent them (see
//! `tests/data/README.md`): every one is answered with its uid and the expected verdict, and
//! the mutating reply applied as the API server would makes the validating verdict an admit.

mod support;

use std::path::PathBuf;

use axum::Router;
use axum::body::{Body, to_bytes};
use http::{Method, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

const VERSIONS: [&str; 2] = ["admission-v1.20", "admission-v1.32"];

/// What the webhook must answer to one fixture.
struct Expected {
    allowed: bool,
    patched: bool,
    /// A fragment of the denial message.
    message: &'static str,
}

const fn admit(patched: bool) -> Expected {
    Expected {
        allowed: true,
        patched,
        message: "",
    }
}

const fn deny(message: &'static str) -> Expected {
    Expected {
        allowed: false,
        patched: false,
        message,
    }
}

/// The captured objects were stored without mutation (see the data README), so the validating
/// reviews show instances without `spec.virtualClusterName`.
fn expected(version: &str, file: &str) -> Expected {
    match (&file[..2], version) {
        ("01" | "03" | "05" | "07" | "09", _) => admit(true),
        ("02" | "04" | "06" | "08" | "10" | "12", _) => deny("spec.virtualClusterName: is not set"),
        // Mutating webhooks see the object before the name is generated; validating ones after.
        ("11", _) => deny("generateName (\"gen-\") cannot be used"),
        ("13" | "14", _) => admit(false),
        _ => panic!("no expectation for {version}/{file}"),
    }
}

fn fixtures(version: &str) -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(version);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 14, "{}", dir.display());
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixture");
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, serde_json::from_str(&text).expect("fixture is JSON"))
        })
        .collect()
}

fn app() -> Router {
    // The instance of the fixtures names class `fast`; make it the default for the one with an
    // empty spec.
    support::local_app("fast")
}

async fn post(app: &Router, path: &str, review: &Value) -> Value {
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(review).expect("JSON")))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("infallible");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    let reply: Value = serde_json::from_slice(&bytes).expect("reply is JSON");
    assert_eq!(reply["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(reply["kind"], "AdmissionReview");
    reply["response"].clone()
}

fn endpoint(file: &str) -> &'static str {
    if file.contains("-mutate-") {
        "/mutate"
    } else {
        "/validate"
    }
}

#[tokio::test]
async fn every_fixture_gets_its_uid_and_the_expected_verdict() {
    let app = app();
    for version in VERSIONS {
        for (file, review) in fixtures(version) {
            let response = post(&app, endpoint(&file), &review).await;
            let want = expected(version, &file);
            let at = format!("{version}/{file}: {response}");
            assert_eq!(response["uid"], review["request"]["uid"], "{at}");
            assert_eq!(response["allowed"], want.allowed, "{at}");
            assert_eq!(response.get("patch").is_some(), want.patched, "{at}");
            assert_eq!(response.get("patchType").is_some(), want.patched, "{at}");
            if want.patched {
                assert_eq!(response["patchType"], "JSONPatch", "{at}");
            }
            if !want.allowed {
                let message = response["status"]["message"].as_str().unwrap_or_default();
                assert!(message.contains(want.message), "{at}");
            }
        }
    }
}

/// What the API server does: apply the mutating patch, then send the result to validation.
#[tokio::test]
async fn validating_the_mutated_object_admits_it() {
    use base64::Engine as _;
    let app = app();
    for version in VERSIONS {
        let reviews = fixtures(version);
        for pair in reviews.chunks(2) {
            let [
                (mutate_file, mutate_review),
                (validate_file, validate_review),
            ] = pair
            else {
                panic!("fixtures come in mutate/validate pairs");
            };
            let mutation = post(&app, "/mutate", mutate_review).await;
            if mutation["allowed"] == false {
                assert_eq!(mutate_file, "11-mutate-create.json", "{version}");
                continue;
            }
            let mut review = validate_review.clone();
            if let Some(patch) = mutation["patch"].as_str() {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(patch)
                    .expect("patch is base64");
                let patch: json_patch::Patch = serde_json::from_slice(&bytes).expect("JSON patch");
                json_patch::patch(&mut review["request"]["object"], &patch).expect("patch applies");
            }
            let response = post(&app, "/validate", &review).await;
            // 05-06 change an instance's etcd replicas from 3 to 5, which karmada-operator
            // cannot carry out (testdata/admission/README.md).
            let replica_change = validate_file.as_str() == "06-validate-update.json";
            assert_eq!(
                response["allowed"], !replica_change,
                "{version}/{validate_file}: {response}"
            );
        }
    }
}
