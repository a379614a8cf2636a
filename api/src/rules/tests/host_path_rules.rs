//! hostPath directories: normal form, under the root, never overlapping another instance's.

use super::*;
use crate::clusters::{HostPathInUse, WithHostPathRoot};

fn with_path(name: &str, path: &str) -> MulticloudInstance {
    let mut mci = host_path(name);
    mci.spec.etcd.storage.host_path = Some(path.into());
    mci
}

fn in_use(instance: &str, cluster: &str, path: &str) -> HostPathInUse {
    HostPathInUse {
        instance: instance.into(),
        management_cluster: cluster.into(),
        path: path.into(),
    }
}

/// `local` (with an instance `other` using `/var/lib/multicloud/k-other-12345678/etcd`).
fn clusters() -> ClusterCatalog {
    let mut catalog = local_with_default_class();
    catalog.host_paths = vec![in_use(
        "other",
        LOCAL_CLUSTER,
        "/var/lib/multicloud/k-other-12345678/etcd",
    )];
    catalog
}

fn host_path_denial(mci: &MulticloudInstance, clusters: &dyn ClusterDirectory) -> String {
    let decision = admit(&create(mci), clusters)
        .expect("admission runs")
        .decision;
    assert_eq!(
        denied_fields(&decision),
        ["spec.etcd.storage.hostPath"],
        "{}",
        decision.message()
    );
    decision.message()
}

#[test]
fn paths_outside_the_root_are_denied() {
    for path in [
        "/",
        "/etc/kubernetes",
        "/var/lib",
        "/var/lib/multicloud-x/etcd",
    ] {
        let message = host_path_denial(&with_path("demo", path), &clusters());
        assert!(
            message.contains("is outside the host-path root /var/lib/multicloud"),
            "{path}: {message}"
        );
        assert!(
            message.contains("such as /var/lib/multicloud/k-demo/etcd"),
            "{message}"
        );
    }
}

#[test]
fn the_root_itself_is_denied() {
    let message = host_path_denial(&with_path("demo", "/var/lib/multicloud"), &clusters());
    assert!(
        message.contains("is the host-path root itself, which holds every instance's directory"),
        "{message}"
    );
}

#[test]
fn a_path_not_in_normal_form_is_denied_with_its_normal_form() {
    let message = host_path_denial(
        &with_path("demo", "/var/lib//multicloud/./k-x"),
        &clusters(),
    );
    assert!(
        message.contains("write it as \"/var/lib/multicloud/k-x\""),
        "{message}"
    );
    for path in ["/var/lib/multicloud/k-x/", "/var/lib/multicloud/k-x/.."] {
        host_path_denial(&with_path("demo", path), &clusters());
    }
}

#[test]
fn another_instances_directory_its_parent_and_its_children_are_denied() {
    for (path, relation) in [
        (
            "/var/lib/multicloud/k-other-12345678/etcd",
            "the same directory",
        ),
        (
            "/var/lib/multicloud/k-other-12345678",
            "a directory that contains it",
        ),
        (
            "/var/lib/multicloud/k-other-12345678/etcd/member",
            "inside it",
        ),
    ] {
        let message = host_path_denial(&with_path("demo", path), &clusters());
        assert!(
            message.contains(
                "overlaps the etcd directory /var/lib/multicloud/k-other-12345678/etcd of \
                 instance `other` on management cluster `local`"
            ),
            "{message}"
        );
        assert!(message.contains(relation), "{relation}: {message}");
    }
}

#[test]
fn a_sibling_directory_and_other_clusters_paths_are_admitted() {
    let mut catalog = clusters();
    catalog
        .host_paths
        .push(in_use("far", "edge-1", "/var/lib/multicloud/k-demo/etcd"));
    for path in [
        "/var/lib/multicloud/k-other-12345678-b/etcd",
        "/var/lib/multicloud/k-demo/etcd",
    ] {
        let decision = admit_create(&with_path("demo", path), &catalog).decision;
        assert!(decision.allowed(), "{path}: {}", decision.message());
    }
}

#[test]
fn the_default_path_lies_under_the_configured_root_and_is_admitted() {
    let catalog = clusters();
    let root = WithHostPathRoot {
        inner: &catalog,
        root: "/srv/etcd",
    };
    let admission = admit(&create(&host_path("demo")), &root).expect("runs");
    assert!(
        admission.decision.allowed(),
        "{}",
        admission.decision.message()
    );
    assert_eq!(
        admission.object.and_then(|o| o.spec.etcd.storage.host_path),
        Some("/srv/etcd/k-demo-0a1b2c3d/etcd".into())
    );
    let message = host_path_denial(&with_path("demo", "/var/lib/multicloud/k-demo/etcd"), &root);
    assert!(
        message.contains("outside the host-path root /srv/etcd"),
        "{message}"
    );
}

#[test]
fn a_new_request_gets_a_new_default_directory() {
    let first = admitted(&host_path("demo"));
    let mut again = create(&first);
    let second_instance = host_path("demo");
    again.object = Some(&second_instance);
    again.uid = "ffffeeee-0000-4000-8000-000000000000";
    let second = apply(
        &second_instance,
        &mutate(&again, &ClusterCatalog::default()).patch,
    )
    .expect("patch applies");
    assert_ne!(
        first.spec.etcd.storage.host_path,
        second.spec.etcd.storage.host_path
    );
    assert_eq!(
        second.spec.etcd.storage.host_path.as_deref(),
        Some("/var/lib/multicloud/k-demo-ffffeeee/etcd")
    );
}

#[test]
fn unknown_directories_of_other_instances_deny_with_the_reason() {
    struct NotListed;
    impl ClusterDirectory for NotListed {
        fn cluster_names(&self) -> Vec<String> {
            vec![LOCAL_CLUSTER.into()]
        }
        fn cluster(&self, _: &str) -> Option<ClusterState> {
            Some(ClusterState::ready(Vec::new()))
        }
        fn host_paths_in_use(&self, _: &str) -> Result<Vec<HostPathInUse>, String> {
            Err("the instances are not listed yet".into())
        }
    }
    let message = host_path_denial(&host_path("demo"), &NotListed);
    assert!(
        message.contains("the instances are not listed yet"),
        "{message}"
    );
    // Other storage types do not need them.
    assert!(
        admit_create(&instance("demo"), &local_with_default_class())
            .decision
            .allowed()
    );
}

#[test]
fn validation_alone_denies_a_missing_host_path() {
    let decision = validate(&create(&admitted(&instance("x"))), &clusters());
    assert!(decision.allowed());
    let mut mci = admitted(&host_path("demo"));
    mci.spec.etcd.storage.host_path = None;
    let decision = validate(&create(&mci), &clusters());
    assert_eq!(denied_fields(&decision), ["spec.etcd.storage.hostPath"]);
    assert!(decision.message().contains("MutatingWebhookConfiguration"));
}

#[test]
fn the_instance_itself_is_not_an_overlap() {
    let mut catalog = clusters();
    catalog.host_paths.push(in_use(
        "demo",
        LOCAL_CLUSTER,
        "/var/lib/multicloud/k-demo/etcd",
    ));
    let decision = admit_create(
        &with_path("demo", "/var/lib/multicloud/k-demo/etcd"),
        &catalog,
    )
    .decision;
    assert!(decision.allowed(), "{}", decision.message());
}
