use super::*;

fn names(documents: &[Document]) -> Vec<String> {
    documents
        .iter()
        .map(|d| match d {
            Document::Instance(source, written) => {
                format!("{source} {}", written.instance.name())
            }
            Document::Refused(source, name, _) => format!("{source} {name} (refused)"),
            Document::Other(source, kind) => format!("{source} ({kind})"),
        })
        .collect()
}

fn error(file: &str, text: &str) -> String {
    parse(file, text).expect_err("must fail").to_string()
}

#[test]
fn multi_document_yaml_keeps_each_document_line() {
    let text = "# instances\napiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\n\
                metadata: {name: a}\nspec: {}\n---\n\n---\n# a config map\napiVersion: v1\nkind: ConfigMap\n\
                metadata: {name: c}\n---\napiVersion: multicloud.dev/v1alpha1\n\
                kind: MulticloudInstance\nmetadata: {name: b}\nspec: {}\n";
    let documents = parse("x.yaml", text).expect("parses");
    assert_eq!(
        names(&documents),
        ["x.yaml:2 a", "x.yaml:10 (ConfigMap)", "x.yaml:14 b"]
    );
}

#[test]
fn lists_are_read_item_by_item() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: multicloud.dev/v1alpha1\n  \
                kind: MulticloudInstance\n  metadata: {name: a}\n  spec: {}\n- apiVersion: multicloud.dev/v1alpha1\n  \
                kind: MulticloudInstance\n  metadata: {name: b}\n  spec: {}\n";
    let documents = parse("list.yaml", text).expect("parses");
    assert_eq!(names(&documents), ["list.yaml:1 a", "list.yaml:1 b"]);
}

#[test]
fn json_files_may_hold_several_values() {
    let text = "{\"apiVersion\": \"multicloud.dev/v1alpha1\", \"kind\": \"MulticloudInstance\",\n \
                \"metadata\": {\"name\": \"a\"}, \"spec\": {}}\n\n{\"apiVersion\": \"multicloud.dev/v1alpha1\",\n \
                \"kind\": \"MulticloudInstance\", \"metadata\": {\"name\": \"b\"}, \"spec\": {}}\n";
    let documents = parse("x.json", text).expect("parses");
    assert_eq!(names(&documents), ["x.json:1 a", "x.json:4 b"]);
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let text = "apiVersion: multicloud.dev/v1alpha1\n---\nkind: MulticloudInstance\nmetadata:\n  \
                name: [unclosed\n";
    let message = error("bad.yaml", text);
    assert!(message.starts_with("bad.yaml:"), "{message}");
    let line: usize = message
        .split(':')
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a line");
    assert!(line >= 5, "{message}");
}

#[test]
fn a_wrong_field_type_names_its_line() {
    let text = "apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata:\n  \
                name: demo\nspec:\n  etcd:\n    replicas: three\n";
    let message = error("demo.yaml", text);
    assert!(message.starts_with("demo.yaml:7:"), "{message}");
    assert!(message.contains("replicas"), "{message}");
}

#[test]
fn errors_in_later_documents_name_the_line_in_the_file() {
    let first = "apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata:\n  \
                 name: a\nspec: {}\n";
    let wrong_type = format!(
        "{first}---\n{first}---\n# note\n{}",
        first.replace("{}", "{etcd: {replicas: x}}")
    );
    assert_eq!(
        error("many.yaml", &wrong_type),
        "many.yaml:18:25: not a valid MulticloudInstance: spec.etcd.replicas: invalid type: \
         string \"x\", expected i32"
    );
    let unclosed = format!("{first}---\nkind: [a\n");
    assert_eq!(
        error("many.yaml", &unclosed),
        "many.yaml:7:7: unclosed bracket '['"
    );
}

#[test]
fn malformed_json_names_file_and_line() {
    let message = error(
        "x.json",
        "{\n  \"kind\": \"MulticloudInstance\",\n  oops\n}",
    );
    assert!(message.starts_with("x.json:3:"), "{message}");
}

#[test]
fn documents_without_kind_are_refused() {
    let message = error("x.yaml", "clusters: {}\n");
    assert_eq!(
        message,
        "x.yaml:1: not a Kubernetes object (it has no `kind`); expected a MulticloudInstance"
    );
}

#[test]
fn directories_are_read_in_name_order_skipping_other_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let instance = |name: &str| {
        format!(
            "apiVersion: multicloud.dev/v1alpha1\nkind: MulticloudInstance\nmetadata: {{name: {name}}}\nspec: {{}}\n"
        )
    };
    std::fs::write(dir.path().join("b.yaml"), instance("b")).expect("write");
    std::fs::write(dir.path().join("a.yml"), instance("a")).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not yaml").expect("write");
    std::fs::write(dir.path().join("skip.yaml"), "clusters: {}\n").expect("write");
    let skip = dir.path().join("skip.yaml");
    let documents = load(&[dir.path().to_owned()], Some(&skip)).expect("loads");
    let found: Vec<&str> = documents
        .iter()
        .filter_map(|d| match d {
            Document::Instance(_, written) => Some(written.instance.name()),
            Document::Refused(..) | Document::Other(..) => None,
        })
        .collect();
    assert_eq!(found, ["a", "b"]);
}

#[test]
fn a_missing_file_is_named() {
    let message = load(&[PathBuf::from("/nonexistent/x.yaml")], None)
        .expect_err("missing")
        .to_string();
    assert_eq!(message, "failed to read /nonexistent/x.yaml");
}
