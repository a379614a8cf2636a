use std::path::PathBuf;

use super::input::parse;
use super::*;
use crate::output::to_json;
use crate::style::Style;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/examples")
}

fn verdicts(report: &Report) -> Vec<(&str, bool)> {
    report
        .results
        .iter()
        .map(|v| (v.name.as_str(), v.allowed))
        .collect()
}

#[test]
fn the_examples_admit_demo_lab_and_offline_and_deny_edge() {
    let clusters = examples().join("clusters.yaml");
    let catalog = load_catalog(&clusters).expect("the example clusters file parses");
    let documents = input::load(&[examples()], Some(&clusters)).expect("examples load");
    let report = check(documents, Some(&catalog), Some(&clusters), None).expect("checks");
    assert_eq!(
        verdicts(&report),
        [
            ("demo", true),
            ("edge", false),
            ("lab", true),
            ("offline", true)
        ]
    );
    let edge = &report.results[1];
    assert_eq!(
        edge.violations[0].field,
        "spec.etcd.storage.storageClassName"
    );
    assert!(
        edge.violations[0]
            .message
            .contains("`edge-1` has no StorageClass")
    );
    let lab = &report.results[2];
    assert_eq!(lab.warnings.len(), 1, "hostPath warns");
    assert!(
        report.skipped.is_empty(),
        "the clusters file is not read as an instance"
    );
}

#[test]
fn without_a_clusters_file_only_cluster_independent_rules_deny() {
    let text = "apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata: {name: a}\n\
                spec: {managementCluster: anywhere, etcd: {storage: {storageClassName: fast}}}\n---\n\
                apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata: {name: b}\n\
                spec: {etcd: {replicas: 2}}\n";
    let report = check(parse("x.yaml", text).expect("parses"), None, None, None).expect("checks");
    assert_eq!(verdicts(&report), [("a", true), ("b", false)]);
    assert_eq!(report.results[1].violations[0].field, "spec.etcd.replicas");
}

#[test]
fn other_kinds_are_skipped_and_named() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n\
                apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata: {name: a}\nspec: {}\n";
    let report = check(parse("x.yaml", text).expect("parses"), None, None, None).expect("checks");
    assert_eq!(report.skipped, ["x.yaml:1 ConfigMap"]);
}

#[test]
fn input_without_instances_is_an_error() {
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
    let err = check(parse("x.yaml", text).expect("parses"), None, None, None)
        .expect_err("nothing to check");
    assert_eq!(
        err.to_string(),
        "no MulticloudInstance found in the input (skipped: x.yaml:1 ConfigMap)"
    );
}

#[test]
fn report_for_people_marks_verdicts_and_what_the_webhook_adds() {
    let clusters = examples().join("clusters.yaml");
    let catalog = load_catalog(&clusters).expect("parses");
    let documents = input::load(&[examples()], Some(&clusters)).expect("loads");
    let report = check(
        documents,
        Some(&catalog),
        Some(Path::new("clusters.yaml")),
        None,
    )
    .expect("checks");
    let text = render(&report, Some(&catalog), Style::plain()).expect("renders");
    assert!(
        text.starts_with("Management clusters (from clusters.yaml):\n"),
        "{text}"
    );
    assert!(
        text.contains("\n✓ demo: admitted (highly available)\n"),
        "{text}"
    );
    assert!(text.contains("\n✗ edge: denied\n"), "{text}");
    assert!(
        text.contains("    +   virtualClusterName: k-demo\n"),
        "{text}"
    );
    assert!(
        text.contains("    Warning: instance is not highly available"),
        "{text}"
    );
    assert!(
        text.ends_with("4 instances: 3 admitted (1 with a warning), 1 denied.\n"),
        "{text}"
    );
}

#[test]
fn json_report_carries_patch_and_stored_object() {
    let text = "apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata: {name: a}\nspec: {}\n";
    let report = check(parse("x.yaml", text).expect("parses"), None, None, None).expect("checks");
    let json: Value = serde_json::from_str(&to_json(&report).expect("renders")).expect("json");
    let result = &json["results"][0];
    assert_eq!(result["allowed"], true);
    assert_eq!(result["source"], "x.yaml:1");
    assert_eq!(result["object"]["spec"]["virtualClusterName"], "k-a");
    assert!(result["patch"].as_array().is_some_and(|p| !p.is_empty()));
}

#[test]
fn a_broken_clusters_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("clusters.yaml");
    std::fs::write(&path, "clusters:\n  local:\n    state: sideways\n").expect("write");
    let err = load_catalog(&path).expect_err("invalid").to_string();
    assert!(err.starts_with(&format!("{}:3:", path.display())), "{err}");
}
