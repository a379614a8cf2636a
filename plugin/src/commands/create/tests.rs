use clap::Parser;
use multicloud_api::{DeletionPolicy, StorageType};

use super::*;
use crate::cli::{Cli, Command};

fn create(args: &[&str]) -> CreateArgs {
    let cli =
        Cli::try_parse_from(["kubectl-multicloud", "create"].iter().chain(args)).expect("parses");
    match cli.command {
        Command::Create(create) => *create,
        other => panic!("expected create, got {other:?}"),
    }
}

#[test]
fn defaults_make_a_pvc_instance_on_local() {
    let instance = create(&["demo"]).instance();
    assert_eq!(instance.name(), "demo");
    assert_eq!(instance.spec.management_cluster, "local");
    assert_eq!(
        instance.spec.etcd.storage.type_,
        StorageType::PersistentVolumeClaim
    );
    assert_eq!(instance.spec.etcd.replicas, 1);
    assert_eq!(instance.spec.deletion_policy, DeletionPolicy::Delete);
    assert!(
        instance.spec.virtual_cluster_name.is_none(),
        "the webhook sets it"
    );
}

#[test]
fn flags_fill_the_spec() {
    let instance = create(&[
        "edge",
        "--management-cluster",
        "edge-1",
        "--storage-class",
        "fast",
        "--storage-size",
        "20Gi",
        "--etcd-replicas",
        "3",
        "--karmada-version",
        "v1.17.5",
        "--image-registry",
        "registry.example.com/mirror",
        "--crd-tarball-url",
        "https://mirror.example.com/crds.tar.gz",
        "--cert-san",
        "karmada.example.com",
        "--cert-san",
        "10.0.0.5",
        "--display-name",
        "Edge",
        "--retain-karmada",
        "--label",
        "team=a",
    ])
    .instance();
    let spec = &instance.spec;
    assert_eq!(spec.management_cluster, "edge-1");
    assert_eq!(
        spec.etcd.storage.storage_class_name.as_deref(),
        Some("fast")
    );
    assert_eq!(spec.etcd.storage.size.as_deref(), Some("20Gi"));
    assert_eq!(spec.etcd.replicas, 3);
    assert_eq!(spec.karmada.version, "v1.17.5");
    assert_eq!(
        spec.karmada.image_registry.as_deref(),
        Some("registry.example.com/mirror")
    );
    assert_eq!(
        spec.karmada.crd_tarball.as_ref().map(|t| t.url.as_str()),
        Some("https://mirror.example.com/crds.tar.gz")
    );
    assert_eq!(spec.karmada.cert_sans, ["karmada.example.com", "10.0.0.5"]);
    assert_eq!(spec.display_name.as_deref(), Some("Edge"));
    assert_eq!(spec.deletion_policy, DeletionPolicy::Retain);
    assert_eq!(
        instance
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("a")
    );
}

#[test]
fn host_path_with_and_without_a_path() {
    let bare = create(&["lab", "--host-path"]).instance();
    assert_eq!(bare.spec.etcd.storage.type_, StorageType::HostPath);
    assert_eq!(bare.spec.etcd.storage.host_path, None);
    let named = create(&["lab", "--host-path", "/data/etcd"]).instance();
    assert_eq!(
        named.spec.etcd.storage.host_path.as_deref(),
        Some("/data/etcd")
    );
}

#[test]
fn ephemeral_is_empty_dir() {
    let instance = create(&["t", "--ephemeral"]).instance();
    assert_eq!(instance.spec.etcd.storage.type_, StorageType::EmptyDir);
}

#[test]
fn conflicting_storage_flags_are_usage_errors() {
    for args in [
        &["x", "--host-path", "--ephemeral"][..],
        &["x", "--storage-class", "fast", "--host-path"][..],
        &["x", "--storage-size", "1Gi", "--ephemeral"][..],
        &["x", "--timeout", "5m"][..],
        &["x", "--dry-run", "server"][..],
    ] {
        let err = Cli::try_parse_from(["kubectl-multicloud", "create"].iter().chain(args))
            .expect_err("usage error");
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
}

#[test]
fn dry_run_defaults_to_client_and_takes_server() {
    assert_eq!(create(&["x", "--dry-run"]).dry_run, Some(DryRun::Client));
    assert_eq!(
        create(&["x", "--dry-run=server"]).dry_run,
        Some(DryRun::Server)
    );
}
