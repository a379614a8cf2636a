//! Instance and clusters files that are not what `check` reads: each error names the file and,
//! where the parser knows it, the line and column.

use super::Sandbox;

/// An instance without its spec, to complete.
const HEADER: &str = "\
apiVersion: multicloud.dev/v1alpha1
kind: MulticloudInstance
metadata:
  name: demo
";

/// An instance `check` admits.
pub const VALID_INSTANCE: &str = "\
apiVersion: multicloud.dev/v1alpha1
kind: MulticloudInstance
metadata:
  name: demo
spec: {}
";

/// Nesting far beyond the parsers' limits (255 flow levels for YAML, 128 for JSON): refused in
/// one pass, at the first level past the limit.
const DEPTH: usize = 100_000;

fn nested(prefix: &str) -> String {
    nested_to(prefix, DEPTH)
}

fn nested_to(prefix: &str, depth: usize) -> String {
    format!("{prefix}{}{}\n", "[".repeat(depth), "]".repeat(depth))
}

/// Nine aliases of nine aliases of ...: a billion strings once expanded.
fn billion_laughs() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (name, previous) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let items = vec![format!("*{previous}"); 9].join(",");
        text.push_str(&format!("{name}: &{name} [{items}]\n"));
    }
    text
}

#[test]
fn malformed_instance_files_are_reported_with_file_and_line() {
    let sandbox = Sandbox::new();
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "tab.yaml",
            format!("{HEADER}spec:\n\tetcd: {{}}\n"),
            vec!["error: tab.yaml:6:2: tabs disallowed within this context"],
        ),
        (
            "unclosed.yaml",
            format!("{HEADER}  annotations: {{a: \"unclosed}}\nspec: {{}}\n"),
            vec!["error: unclosed.yaml:5:20: unclosed quote"],
        ),
        (
            "second-document.yaml",
            format!("{VALID_INSTANCE}---\n{HEADER}spec:\n  etcd:\n    replicas: [1\n"),
            vec!["error: second-document.yaml:13:15: unclosed bracket '['"],
        ),
        (
            "wrong-type.yaml",
            format!("{HEADER}spec:\n  etcd:\n    replicas: three\n"),
            vec![
                "error: wrong-type.yaml:7:15: not a valid MulticloudInstance",
                "spec.etcd.replicas: invalid type: string \"three\", expected i32",
            ],
        ),
        (
            "unknown-storage.yaml",
            format!("{HEADER}spec:\n  etcd:\n    storage:\n      type: Tape\n"),
            vec!["error: unknown-storage.yaml:8:13: not a valid MulticloudInstance", "unknown variant `Tape`"],
        ),
        (
            "not-an-object.yaml",
            "- just\n- a list\n".to_owned(),
            vec!["error: not-an-object.yaml:1: not a Kubernetes object (it has no `kind`)"],
        ),
        (
            "bad.json",
            "{\"apiVersion\": \"multicloud.dev/v1alpha1\",\n \"kind\": \"MulticloudInstance\",\n \"metadata\": {\"name\": \"demo\"},\n \"spec\": {,}}\n".to_owned(),
            vec!["error: bad.json:4:11: key must be a string"],
        ),
        (
            "trailing.json",
            r#"{"apiVersion": "multicloud.dev/v1alpha1", "kind": "MulticloudInstance", "metadata": {"name": "demo"}, "spec": {}}
}
"#
            .to_owned(),
            vec!["error: trailing.json:2:1: expected value"],
        ),
        (
            "deep.yaml",
            nested("a: "),
            vec!["error: deep.yaml:1:259: recursion limit exceeded"],
        ),
        // One level past the limit.
        ("deeper.yaml", nested_to("a: ", 256), vec!["error: deeper.yaml:1:259: recursion limit exceeded"]),
        ("deep.json", nested("{\"kind\": "), vec!["error: deep.json:1:", "recursion limit exceeded"]),
        ("laughs.yaml", billion_laughs(), vec!["error: laughs.yaml:6:14: YAML document too large or too complex"]),
        ("empty.yaml", String::new(), vec!["error: no MulticloudInstance found in the input"]),
    ];
    for (name, contents, fragments) in &cases {
        sandbox.file(name, contents);
        sandbox
            .run(&["check", "-f", name], b"")
            .expect(name, 1, fragments);
    }
    // A directory is read file by file; the first bad one is named.
    let dir = tempfile::tempdir_in(sandbox.path()).expect("directory");
    std::fs::write(dir.path().join("a.yaml"), VALID_INSTANCE).expect("write");
    std::fs::write(dir.path().join("b.yaml"), "kind: [\n").expect("write");
    let dir_name = dir
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name");
    sandbox.run(&["check", "-f", dir_name], b"").expect(
        "a directory",
        1,
        &[&format!("error: {dir_name}/b.yaml:1:7: unclosed bracket")],
    );
}

#[test]
fn unreadable_input_is_named() {
    let sandbox = Sandbox::new();
    sandbox.file("binary.yaml", b"\xff\xfe\x00garbage");
    sandbox.run(&["check", "-f", "binary.yaml"], b"").expect(
        "invalid UTF-8",
        1,
        &[
            "error: failed to read binary.yaml",
            "caused by: stream did not contain valid UTF-8",
        ],
    );
    sandbox.run(&["check", "-f", "-"], b"kind: [\n").expect(
        "stdin",
        1,
        &["error: <stdin>:1:7: unclosed bracket"],
    );
    sandbox.run(&["check", "-f", "-"], b"\xff\xfe").expect(
        "binary stdin",
        1,
        &[
            "error: failed to read stdin",
            "stream did not contain valid UTF-8",
        ],
    );
}

#[test]
fn malformed_clusters_files_are_reported_with_file_and_line() {
    let sandbox = Sandbox::new();
    sandbox.file("ok.yaml", VALID_INSTANCE);
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "tab.yaml",
            "clusters:\n\tedge-1: {}\n",
            &[
                "error: tab.yaml:2:2: not a clusters file",
                "tabs disallowed within this context",
            ],
        ),
        (
            "unclosed.yaml",
            "clusters:\n  edge-1:\n    storageClasses: [fast\n",
            &[
                "error: unclosed.yaml:3:21: not a clusters file",
                "unclosed bracket '['",
            ],
        ),
        (
            "shape.yaml",
            "clusters: [a, b]\n",
            &[
                "error: shape.yaml:1:11: not a clusters file (manifests/examples/clusters.yaml \
                 shows the format): clusters: invalid type: sequence, expected a map\n",
            ],
        ),
        (
            "deep.yaml",
            &nested("clusters: "),
            &[
                "error: deep.yaml:1:266: not a clusters file (manifests/examples/clusters.yaml \
                 shows the format): recursion limit exceeded\n",
            ],
        ),
    ];
    for (name, contents, fragments) in cases {
        sandbox.file(name, contents);
        sandbox
            .run(&["check", "-f", "ok.yaml", "--clusters", name], b"")
            .expect(name, 1, fragments);
    }
}
