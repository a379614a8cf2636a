//! multicloud-webhook end to end: the built binary runs as a process, the committed webhook
//! configurations point a real kube-apiserver at it, and every write goes through the API
//! server as a user's would.

#[path = "webhook/kubeconfigs.rs"]
mod kubeconfigs;
#[path = "webhook/support.rs"]
mod support;

use std::time::Instant;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::{
    HIGH_AVAILABILITY_ANNOTATION, HIGH_AVAILABILITY_REASON_ANNOTATION, SYSTEM_NAMESPACE,
    VIRTUAL_CLUSTER_LABEL,
};
use serde_json::json;
use support::{
    annotation, bare_cluster, create_once_admitted, create_reading_warnings, denial, eventually,
    global_cluster_with_webhook, instance, storage_class,
};

#[tokio::test]
async fn instances_on_the_local_cluster_are_guarded_through_the_api_server() {
    let (plane, webhook) = global_cluster_with_webhook().await;
    let client = plane.client();
    let instances: Api<MulticloudInstance> = Api::all(client.clone());

    // 1. No StorageClass at all: denied, and the message names the fix.
    let demo = instance("demo", json!({"etcd": {"replicas": 1}}));
    let message = denial(instances.create(&PostParams::default(), &demo).await);
    assert!(
        message.contains("management cluster `local` has no StorageClass"),
        "{message}"
    );
    assert!(
        message.contains("--storage-class") && message.contains("--host-path"),
        "{message}"
    );

    // 2. With a default class: admitted and mutated; HA only with 3+ replicas.
    storage_class(&client, "standard", true).await;
    let created = create_once_admitted(&instances, &demo).await;
    assert_eq!(created.spec.virtual_cluster_name.as_deref(), Some("k-demo"));
    let labels = created.metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        labels.get(VIRTUAL_CLUSTER_LABEL).map(String::as_str),
        Some("k-demo")
    );
    assert_eq!(
        annotation(&created, HIGH_AVAILABILITY_ANNOTATION),
        Some("false")
    );
    let trio = instances
        .create(
            &PostParams::default(),
            &instance("trio", json!({"etcd": {"replicas": 3}})),
        )
        .await
        .expect("a 3-replica instance is admitted");
    assert_eq!(
        annotation(&trio, HIGH_AVAILABILITY_ANNOTATION),
        Some("true")
    );
    assert_eq!(annotation(&trio, HIGH_AVAILABILITY_REASON_ANNOTATION), None);

    // 3. hostPath: admitted, annotated not HA with a reason, and the client gets the warning.
    let host_path = instance("hp", json!({"etcd": {"storage": {"type": "HostPath"}}}));
    let (created, warnings) = create_reading_warnings(
        &client,
        "/apis/multicloud.dev/v1alpha1/multicloudinstances",
        &PostParams::default(),
        &host_path,
    )
    .await;
    assert_eq!(
        annotation(&created, HIGH_AVAILABILITY_ANNOTATION),
        Some("false")
    );
    let reason = annotation(&created, HIGH_AVAILABILITY_REASON_ANNOTATION).unwrap_or_default();
    assert!(!reason.is_empty(), "a reason is given");
    assert!(
        created.spec.etcd.storage.host_path().is_some(),
        "the default host path is filled in"
    );
    assert!(
        warnings.iter().any(|w| w.contains("not highly available")),
        "warnings: {warnings:?}"
    );

    // 4. A foreign virtual cluster name is denied; storage and etcd replicas are immutable.
    let foreign = instance("named", json!({"virtualClusterName": "foo"}));
    let message = denial(instances.create(&PostParams::default(), &foreign).await);
    assert!(message.contains("\"k-named\""), "{message}");
    let to_empty_dir = json!({"spec": {"etcd": {"storage": {"type": "EmptyDir"}}}});
    let message = denial(
        instances
            .patch(
                "demo",
                &PatchParams::default(),
                &Patch::Merge(&to_empty_dir),
            )
            .await,
    );
    assert!(
        message.contains("spec.etcd.storage.type") && message.contains("immutable"),
        "{message}"
    );
    // karmada-operator cannot change etcd's membership or its volume templates.
    let message = denial(
        instances
            .patch(
                "demo",
                &PatchParams::default(),
                &Patch::Merge(&json!({"spec": {"etcd": {"replicas": 3}}})),
            )
            .await,
    );
    assert!(
        message.contains("spec.etcd.replicas: is immutable (was \"1\", now \"3\")")
            && message.contains("--initial-cluster")
            && message.contains("create a new instance"),
        "{message}"
    );
    let message = denial(
        instances
            .patch(
                "demo",
                &PatchParams::default(),
                &Patch::Merge(&json!({"spec": {"etcd": {"storage": {"size": "10Gi"}}}})),
            )
            .await,
    );
    assert!(
        message.contains("spec.etcd.storage.size: is immutable (was \"5Gi\", now \"10Gi\")")
            && message.contains("volumeClaimTemplates"),
        "{message}"
    );
    // No version goes back: karmada-operator has no downgrade path (etcd data and CRDs written
    // by a newer release).
    let message = denial(
        instances
            .patch(
                "demo",
                &PatchParams::default(),
                &Patch::Merge(&json!({"spec": {"karmada": {"version": "v1.17.5"}}})),
            )
            .await,
    );
    assert!(
        message.contains("cannot go down from v1.18.2 to v1.17.5")
            && message.contains("create a new instance at v1.17.5"),
        "{message}"
    );
    let renamed = instances
        .patch(
            "demo",
            &PatchParams::default(),
            &Patch::Merge(&json!({"spec": {"displayName": "Demo"}})),
        )
        .await
        .expect("a display name change is admitted");
    assert_eq!(renamed.spec.display_name.as_deref(), Some("Demo"));

    // 5. A server-side dry run behaves like the real thing and stores nothing.
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    let dry = instances
        .create(&dry_run, &instance("dry", json!({})))
        .await
        .expect("dry run is admitted");
    assert_eq!(
        dry.spec.virtual_cluster_name.as_deref(),
        Some("k-dry"),
        "and mutated"
    );
    assert!(
        instances.get_opt("dry").await.expect("reads").is_none(),
        "nothing stored"
    );
    let bad = instance(
        "dry-bad",
        json!({"etcd": {"replicas": 3, "storage": {"type": "HostPath"}}}),
    );
    let message = denial(instances.create(&dry_run, &bad).await);
    assert!(message.contains("spec.etcd"), "{message}");

    // 8. Deleting an instance with joined member clusters is denied, until they are gone.
    let members = |count: i32| json!({"status": {"memberClusters": count}});
    instances
        .patch_status("trio", &PatchParams::default(), &Patch::Merge(&members(2)))
        .await
        .expect("status is written");
    let message = denial(instances.delete("trio", &DeleteParams::default()).await);
    assert!(
        message.contains("2 member clusters are still joined"),
        "{message}"
    );
    instances
        .patch_status("trio", &PatchParams::default(), &Patch::Merge(&members(0)))
        .await
        .expect("status is written");
    instances
        .delete("trio", &DeleteParams::default())
        .await
        .expect("an instance without members is deleted");

    // SIGTERM: the webhook drains and exits cleanly.
    let mut webhook = webhook;
    let status = webhook.terminate().expect("webhook exits");
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn host_paths_and_names_are_held_to_what_karmada_operator_can_install() {
    let (plane, webhook) = global_cluster_with_webhook().await;
    let client = plane.client();
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    storage_class(&client, "standard", true).await;
    let at = |name: &str, path: &str| {
        instance(
            name,
            json!({"etcd": {"storage": {"type": "HostPath", "hostPath": path}}}),
        )
    };
    let field = "spec.etcd.storage.hostPath";

    // Node directories that are not an instance's own.
    for (path, expected) in [
        ("/", "is outside the host-path root /var/lib/multicloud"),
        (
            "/etc/kubernetes",
            "is outside the host-path root /var/lib/multicloud",
        ),
        (
            "/var/lib/multicloud",
            "is the host-path root itself, which holds every instance's directory",
        ),
        (
            "/var/lib//multicloud/./k-x",
            "write it as \"/var/lib/multicloud/k-x\"",
        ),
    ] {
        let message = denial(
            instances
                .create(&PostParams::default(), &at("x", path))
                .await,
        );
        assert!(
            message.contains(field) && message.contains(expected),
            "{path}: {message}"
        );
    }

    // A fresh default directory per creation, and nobody else may use it.
    let default = instance("first", json!({"etcd": {"storage": {"type": "HostPath"}}}));
    let first = create_once_admitted(&instances, &default).await;
    let path = first
        .spec
        .etcd
        .storage
        .host_path()
        .expect("the default is filled in")
        .to_owned();
    assert!(
        path.starts_with("/var/lib/multicloud/k-first-") && path.ends_with("/etcd"),
        "{path}"
    );
    let parent = path.trim_end_matches("/etcd").to_owned();
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    // The webhook learns of `first` from its watch, a moment after it was stored.
    eventually("the webhook to know first's directory", || async {
        match instances.create(&dry_run, &at("second", &path)).await {
            Err(kube::Error::Api(status)) if status.message.contains("overlaps") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    for (taken, relation) in [
        (path.clone(), "the same directory"),
        (parent.clone(), "a directory that contains it"),
        (format!("{path}/member"), "inside it"),
    ] {
        let message = denial(
            instances
                .create(&PostParams::default(), &at("second", &taken))
                .await,
        );
        assert!(
            message.contains(&format!(
                "overlaps the etcd directory {path} of instance `first` on management cluster \
                 `local` ({relation})"
            )),
            "{message}"
        );
    }
    instances
        .create(
            &PostParams::default(),
            &at("second", &format!("{parent}-other/etcd")),
        )
        .await
        .expect("a directory of its own is admitted");
    // Created again under the same name, an instance gets a new directory.
    instances
        .delete("first", &DeleteParams::default())
        .await
        .expect("first is deleted");
    eventually("first to be gone", || async {
        match instances.get_opt("first").await {
            Ok(None) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let again = instances
        .create(&PostParams::default(), &default)
        .await
        .expect("first is created again");
    let new_path = again.spec.etcd.storage.host_path().unwrap_or_default();
    assert!(
        new_path.starts_with("/var/lib/multicloud/k-first-"),
        "{new_path}"
    );
    assert_ne!(new_path, path, "never the old etcd data");

    // Names: every object karmada-operator derives must be valid.
    let longest = format!("l{}", "o".repeat(33));
    let with_karmada = format!("karmada-{}", "k".repeat(34));
    for name in [&longest, &with_karmada] {
        instances
            .create(&dry_run, &instance(name, json!({})))
            .await
            .unwrap_or_else(|e| panic!("{name} ({}) is admitted: {e}", name.len()));
    }
    for (name, expected) in [
        (
            format!("{longest}x"),
            "has 35 characters, at most 34 are allowed",
        ),
        (
            format!("l{}", "o".repeat(39)),
            "has 40 characters, at most 34 are allowed",
        ),
        ("1abc".to_owned(), "must be a DNS-1035 label"),
    ] {
        let message = denial(
            instances
                .create(&PostParams::default(), &instance(&name, json!({})))
                .await,
        );
        assert!(
            message.contains("metadata.name") && message.contains(expected),
            "{name}: {message}"
        );
    }
    let message = denial(
        instances
            .create(&dry_run, &instance(&format!("{longest}x"), json!({})))
            .await,
    );
    assert!(
        message.contains("aggregated-apiserver` (64 characters)")
            && message.contains("a Service name is a DNS-1035 label of at most 63 characters"),
        "{message}"
    );
    drop(webhook);
}

#[tokio::test]
async fn a_second_api_server_is_a_management_cluster_known_from_its_secret() {
    let (plane, webhook) = global_cluster_with_webhook().await;
    let client = plane.client();
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let mut edge = bare_cluster().await;

    // 6. Register edge-1: denied while it has no StorageClass, admitted once it has one.
    secrets
        .create(
            &PostParams::default(),
            &registration_secret("edge-1", &edge.kubeconfig_yaml()),
        )
        .await
        .expect("cluster Secret is admitted");
    // A kubeconfig that skips TLS verification is admitted, with a warning for the writer.
    let insecure: String = edge
        .kubeconfig_yaml()
        .lines()
        .map(|line| {
            match line
                .trim_start()
                .strip_prefix("certificate-authority-data:")
            {
                Some(_) => "    insecure-skip-tls-verify: true\n".to_owned(),
                None => format!("{line}\n"),
            }
        })
        .collect();
    let (_, warnings) = create_reading_warnings(
        &client,
        &format!("/api/v1/namespaces/{SYSTEM_NAMESPACE}/secrets"),
        &PostParams {
            dry_run: true,
            ..PostParams::default()
        },
        &registration_secret("edge-insecure", &insecure),
    )
    .await;
    assert!(
        warnings.iter().any(|w| w
            .contains("the kubeconfig of cluster `edge-insecure` sets insecure-skip-tls-verify")),
        "{warnings:?}"
    );
    let remote = instance("remote", json!({"managementCluster": "edge-1"}));
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    // The webhook waits up to --cluster-wait for a cluster registered a moment ago; on a busy
    // machine its first list may take longer, so dry runs (which store nothing) wait it out.
    eventually("edge-1 to be synced", || async {
        match instances.create(&dry_run, &remote).await {
            Err(kube::Error::Api(status)) if status.message.contains("has no StorageClass") => {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let message = denial(instances.create(&PostParams::default(), &remote).await);
    assert!(
        message.contains("management cluster `edge-1` has no StorageClass"),
        "{message}"
    );
    storage_class(&edge.client(), "edge-standard", true).await;
    let created = create_once_admitted(&instances, &remote).await;
    assert_eq!(created.spec.management_cluster, "edge-1");

    let message = denial(
        secrets
            .create(
                &PostParams::default(),
                &registration_secret("k-edge", &edge.kubeconfig_yaml()),
            )
            .await,
    );
    assert!(
        message.contains("reserved for virtual clusters"),
        "{message}"
    );

    // 7. Stop edge-1's API server: denied as unreachable, answered long before the timeout.
    edge = tokio::task::spawn_blocking(move || {
        edge.stop_apiserver();
        edge
    })
    .await
    .expect("stopping the API server");
    let down = instance("down", json!({"managementCluster": "edge-1"}));
    // The webhook notices within moments; dry runs store nothing while it does.
    eventually("edge-1 to be reported unreachable", || async {
        match instances.create(&dry_run, &down).await {
            Err(kube::Error::Api(status)) if status.message.contains("unreachable") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    let started = Instant::now();
    let message = denial(instances.create(&PostParams::default(), &down).await);
    let elapsed = started.elapsed();
    assert!(
        message.contains("management cluster `edge-1` is unreachable"),
        "{message}"
    );
    eprintln!("denial for the unreachable cluster took {elapsed:?}: {message}");
    assert!(
        webhook.log().contains("edge-1"),
        "the webhook logged the cluster"
    );
    drop(edge);
}
