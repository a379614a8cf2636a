use multicloud_api::{Phase, StorageType};

use super::*;
use crate::fixtures::{self, instance, now, phase, replicas, storage};

fn items() -> Vec<MulticloudInstance> {
    let mut demo = phase(
        replicas(instance("demo", 300), 3),
        Phase::Running,
        "Running",
        "ok",
    );
    if let Some(status) = demo.status.as_mut() {
        status.member_clusters = 2;
    }
    let lab = storage(instance("lab", 45), StorageType::HostPath);
    vec![demo, lab]
}

#[test]
fn table_has_the_kubectl_columns_and_ages() {
    let text = render(
        &items(),
        &ListOutput::Format(OutputFormat::Table),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(
        text,
        "NAME   VIRTUAL CLUSTER   MANAGEMENT CLUSTER   STORAGE    HA      PHASE     MEMBERS   VERSION   AGE\n\
         demo   k-demo            local                PVC        true    Running   2         v1.18.2   5m\n\
         lab    k-lab             local                HostPath   false   <none>    0         v1.18.2   45s\n"
    );
}

#[test]
fn wide_adds_replicas_class_policy_ready_and_display_name() {
    let mut items = items();
    items[0].spec.display_name = Some("Demo".into());
    let text = render(
        &items,
        &ListOutput::Format(OutputFormat::Wide),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    let header = text.lines().next().expect("header");
    assert!(
        header
            .ends_with("AGE   REPLICAS   STORAGE CLASS   DELETION POLICY   READY     DISPLAY NAME"),
        "{header}"
    );
    let demo = text.lines().nth(1).expect("row");
    assert!(
        demo.ends_with("3          (default)       Delete            Running   Demo"),
        "{demo}"
    );
}

#[test]
fn headers_can_be_left_out() {
    let text = render(
        &items(),
        &ListOutput::Format(OutputFormat::Table),
        TableOptions {
            headers: false,
            show_labels: false,
        },
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert!(text.starts_with("demo "), "{text}");
}

#[test]
fn names_are_kind_dot_group_slash_name() {
    let text = render(
        &items(),
        &ListOutput::Format(OutputFormat::Name),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(
        text,
        "multicloudinstance.multicloud.dev/demo\nmulticloudinstance.multicloud.dev/lab\n"
    );
}

#[test]
fn json_is_a_v1_list_of_the_objects() {
    let text = render(
        &items(),
        &ListOutput::Format(OutputFormat::Json),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    let value: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(value["kind"], "List");
    assert_eq!(value["items"][0]["metadata"]["name"], "demo");
    assert_eq!(value["items"][0]["status"]["memberClusters"], 2);
    assert_eq!(
        value["items"][1]["spec"]["etcd"]["storage"]["type"],
        "HostPath"
    );
}

#[test]
fn yaml_lists_parse_back() {
    let text = render(
        &items(),
        &ListOutput::Format(OutputFormat::Yaml),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    let value: serde_json::Value = multicloud_api::yaml::from_str(&text).expect("yaml");
    assert_eq!(value["items"][1]["metadata"]["name"], "lab");
}

#[test]
fn search_matches_name_virtual_cluster_and_display_name_ignoring_case() {
    let mut demo = fixtures::instance("payments-prod", 1);
    demo.spec.display_name = Some("Team Payments".into());
    assert!(matches(&demo, "prod"));
    assert!(matches(&demo, "k-pay"));
    assert!(matches(&demo, "TEAM"));
    assert!(!matches(&demo, "staging"));
}

#[test]
fn jsonpath_templates_see_a_list_as_kubectl_does() {
    let template = crate::template::Template::parse(
        r#"{range .items[*]}{.metadata.name}={.spec.managementCluster}{"\n"}{end}"#,
    )
    .expect("parses");
    let text = render(
        &items(),
        &ListOutput::JsonPath(template),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(text, "demo=local\nlab=local\n\n");
}

#[test]
fn custom_columns_print_one_row_per_instance() {
    let columns =
        crate::template::parse_columns("NAME:.metadata.name,REPLICAS:.spec.etcd.replicas")
            .expect("parses");
    let text = render(
        &items(),
        &ListOutput::CustomColumns(columns),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(text, "NAME   REPLICAS\ndemo   3\nlab    1\n");
}

#[test]
fn show_labels_ends_each_row_with_the_labels() {
    let mut items = items();
    items[0].metadata.labels = Some(
        [("team", "payments"), ("env", "prod")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    );
    let text = render(
        &items,
        &ListOutput::Format(OutputFormat::Table),
        TableOptions {
            headers: true,
            show_labels: true,
        },
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(
        text,
        "NAME   VIRTUAL CLUSTER   MANAGEMENT CLUSTER   STORAGE    HA      PHASE     MEMBERS   VERSION   AGE   LABELS\n\
         demo   k-demo            local                PVC        true    Running   2         v1.18.2   5m    env=prod,team=payments\n\
         lab    k-lab             local                HostPath   false   <none>    0         v1.18.2   45s   <none>\n"
    );
}

#[test]
fn sort_by_creation_time_puts_the_newest_last() {
    let mut items = items();
    sort_by(&mut items, "{.metadata.creationTimestamp}").expect("sorts");
    let text = render(
        &items,
        &ListOutput::Format(OutputFormat::Name),
        TableOptions::PLAIN,
        Style::plain(),
        now(),
    )
    .expect("renders");
    assert_eq!(
        text,
        "multicloudinstance.multicloud.dev/demo\nmulticloudinstance.multicloud.dev/lab\n"
    );
    items.reverse();
    sort_by(&mut items, ".metadata.creationTimestamp").expect("sorts");
    assert_eq!(
        items[0].name(),
        "demo",
        "older first, whatever the input order"
    );
}
