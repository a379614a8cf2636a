//! `create`: refused without a StorageClass, by the plugin's own check and by the webhook; with
//! one, `--wait` follows every install step to Running; `list`, `get`, `describe` and
//! `kubeconfig` then show the instance as it is.

use kube::api::Api;
use multicloud_api::MulticloudInstance;
use serde_json::Value;

use super::support::*;

#[tokio::test]
async fn create_without_a_storage_class_is_refused_with_the_webhooks_message() {
    let env = Env::start().await;

    let checked = env.plugin.run(&["create", "demo"]).await;
    checked.expect_code(1);
    assert_contains(
        &checked.stderr,
        &[
            "error: instance `demo` would be denied; nothing was sent",
            "spec.etcd.storage.storageClassName: management cluster `local` has no StorageClass",
        ],
    );

    // Without the plugin's check, the webhook refuses with the same rule, and the plugin prints
    // the API server's answer verbatim.
    let sent = env
        .plugin
        .run(&["create", "demo", "--skip-client-checks"])
        .await;
    sent.expect_code(1);
    assert_contains(
        &sent.stderr,
        &[
            "Error from server",
            "denied the request: spec.etcd.storage.storageClassName: management cluster `local` \
             has no StorageClass (it has: none)",
        ],
    );
    let stored = Api::<MulticloudInstance>::all(env.client.clone())
        .get_opt("demo")
        .await
        .expect("instances can be read");
    assert!(stored.is_none(), "nothing was created");
}

#[tokio::test]
async fn hostpath_instance_is_created_with_the_api_servers_warning() {
    let env = Env::start().await;
    // The warning comes from the webhook through the API server's Warning header.
    let run = env
        .plugin
        .run(&["create", "lab", "--host-path", "--skip-client-checks"])
        .await;
    run.expect_success();
    assert_eq!(
        run.stdout,
        "multicloudinstance.multicloud.dev/lab created\n"
    );
    assert_contains(
        &run.stderr,
        &["Warning: instance is not highly available (hostPath: etcd data is bound to one node;"],
    );
}

#[tokio::test]
async fn a_default_instance_is_created_with_the_webhooks_not_ha_warning() {
    let env = Env::start().await;
    storage_class(&env.client, "standard", true).await;
    // One etcd replica (the default) is not HA either; the webhook says so, not only hostPath.
    let run = env
        .plugin
        .run(&["create", "demo", "--skip-client-checks"])
        .await;
    run.expect_success();
    assert_contains(
        &run.stderr,
        &["Warning: instance is not highly available (fewer than 3 etcd replicas:"],
    );
}

#[tokio::test]
async fn create_wait_shows_each_step_until_running_then_list_get_describe_and_kubeconfig_agree() {
    let env = Env::start().await;
    storage_class(&env.client, "standard", true).await;
    volume(&env.client, "demo-etcd-0", "standard").await;

    let created = env
        .plugin
        .run(&[
            "create",
            "demo",
            "--display-name",
            "Demo",
            "--wait",
            "--timeout",
            "2m",
        ])
        .await;
    created.expect_success();
    assert_contains(
        &created.stderr,
        &[
            "✓ instance admitted",
            "✓ Karmada CR created",
            "✓ etcd PVCs bound",
            "✓ etcd ready",
            "✓ karmada apiserver available",
            "✓ Ready",
        ],
    );
    assert_contains(
        &created.stdout,
        &[
            "multicloudinstance.multicloud.dev/demo is Running",
            "Virtual cluster k-demo",
        ],
    );

    let list = env.plugin.run(&["list"]).await;
    list.expect_success();
    let mut lines = list.stdout.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        header,
        [
            "NAME",
            "VIRTUAL CLUSTER",
            "MANAGEMENT CLUSTER",
            "STORAGE",
            "HA",
            "PHASE",
            "MEMBERS",
            "VERSION",
            "AGE"
        ]
    );
    let row: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(
        &row[..8],
        [
            "demo", "k-demo", "local", "PVC", "false", "Running", "0", "v1.18.2"
        ],
        "{list}"
    );

    let found = env.plugin.run(&["ls", "DEM", "-o", "name"]).await;
    assert_eq!(
        found.expect_success().stdout,
        "multicloudinstance.multicloud.dev/demo\n"
    );
    let selected = env
        .plugin
        .run(&["list", "-l", "multicloud.dev/virtual-cluster=k-other"])
        .await;
    assert_contains(
        &selected.expect_success().stdout,
        &["No matching instances found"],
    );

    let get = env.plugin.run(&["get", "demo", "-o", "json"]).await;
    let object: Value =
        serde_json::from_str(&get.expect_success().stdout).expect("get -o json is JSON");
    assert_eq!(object["status"]["phase"], "Running");
    assert_eq!(object["spec"]["virtualClusterName"], "k-demo");
    assert_eq!(object["spec"]["displayName"], "Demo");
    assert_eq!(
        object["metadata"]["annotations"]["multicloud.dev/high-availability"],
        "false"
    );

    let describe = env.plugin.run(&["describe", "demo"]).await;
    assert_contains(
        &describe.expect_success().stdout,
        &[
            "Display Name:         Demo",
            "Phase:              Running",
            "Kubeconfig Secret:  k-demo/demo-karmada-admin-config",
            "Ready=True Completed: karmada init job is completed",
            "etcd PVCs:          etcd-data-demo-karmada-etcd-0 Bound",
            "etcd:               demo-karmada-etcd: 1/1 ready, up",
            "karmada apiserver:  demo-karmada-apiserver: 1/1 ready, up",
            "Ready          True",
        ],
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("demo.kubeconfig");
    let file_arg = file.display().to_string();
    let exported = env
        .plugin
        .run(&["kubeconfig", "demo", "--output-file", &file_arg])
        .await;
    exported.expect_success();
    let text = std::fs::read_to_string(&file).expect("the kubeconfig is written");
    // The old spelling `-f` still writes, with a warning: in kubectl, `-f` names a file to read.
    let old_spelling = dir.path().join("old.kubeconfig");
    let warned = env
        .plugin
        .run(&[
            "kubeconfig",
            "demo",
            "-f",
            &old_spelling.display().to_string(),
        ])
        .await;
    assert_contains(
        &warned.expect_success().stderr,
        &["Warning: -f/--file after `kubeconfig` is deprecated; use --output-file"],
    );
    assert_eq!(
        std::fs::read_to_string(&old_spelling).expect("written by the old spelling"),
        text
    );
    kube::config::Kubeconfig::from_yaml(&text).expect("the kubeconfig parses");
    assert_eq!(
        multicloud_api::kubeconfig::server_of(&text).as_deref(),
        Ok(env.plane.server_url().as_str())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner may read credentials");

        // A link planted where the file is to go is refused, and what it points at is untouched.
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious\n").expect("write the link's target");
        let link = dir.path().join("link.kubeconfig");
        std::os::unix::fs::symlink(&victim, &link).expect("symlink");
        let refused = env
            .plugin
            .run(&[
                "kubeconfig",
                "demo",
                "--output-file",
                &link.display().to_string(),
            ])
            .await;
        assert_contains(&refused.expect_code(1).stderr, &["is a symbolic link"]);
        assert_eq!(
            std::fs::read_to_string(&victim).expect("read the link's target"),
            "precious\n"
        );
    }

    // --server: an address the API server certificate covers is written; any other is refused
    // with the names it covers (nothing connects to either address).
    let covered = env.plane.server_url();
    let moved = env
        .plugin
        .run(&["kubeconfig", "demo", "--server", &covered])
        .await;
    assert_eq!(
        multicloud_api::kubeconfig::server_of(&moved.expect_success().stdout).as_deref(),
        Ok(covered.as_str())
    );
    let refused = env
        .plugin
        .run(&[
            "kubeconfig",
            "demo",
            "--server",
            "https://karmada.example.com:5443",
        ])
        .await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert_contains(
        &refused.stderr,
        &[
            "does not cover `karmada.example.com`",
            "it covers: localhost, kubernetes, kubernetes.default, kubernetes.default.svc, \
             *.karmada-system.svc.cluster.local, *.karmada-system.svc, *.k-demo.svc.cluster.local, \
             *.k-demo.svc, 127.0.0.1.",
            "--cert-san karmada.example.com",
        ],
    );
    assert!(refused.stdout.is_empty(), "no kubeconfig is printed");
}
