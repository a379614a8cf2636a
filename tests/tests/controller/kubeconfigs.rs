//! The kubeconfigs the controller reads: an instance's admin kubeconfig hiding a credential
//! plugin is reported, never run; a management cluster kubeconfig with one context and no
//! `current-context` is admitted by the webhook and used by the controller, which hands
//! karmada-operator a re-serialised copy naming that context.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::registration_secret;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{KUBECONFIG_KEY, SYSTEM_NAMESPACE};
use multicloud_api::names::{HOST_CLUSTER_SECRET, KarmadaObjects};
use multicloud_e2e::attacker::{AttackerServer, MarkingPlugin};
use multicloud_e2e::cluster::{bare_cluster, storage_class};
use multicloud_e2e::webhook::Webhook;
use multicloud_runtime::kubeconfig::{ClientOptions, check, client_from_text};
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn a_plugin_hidden_in_an_admin_kubeconfig_is_reported_and_never_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugin = MarkingPlugin::write(dir.path()).expect("plugin script is written");
    let server = AttackerServer::start()
        .await
        .expect("attacker server starts");
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("prey", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "prey").await;

    // Whoever can write Secrets in `k-prey` writes the admin kubeconfig before the operator.
    let hostile = format!(
        "x-user: &user\n  user: {{exec: {{apiVersion: client.authentication.k8s.io/v1, \
         command: \"{}\", interactiveMode: Never}}}}\n\
         apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{{name: c, cluster: {{server: \"{}\", certificate-authority-data: {}}}}}]\n\
         contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\n\
         users:\n- name: u\n  <<: *user\n",
        plugin.command.display(),
        server.address,
        server.ca_data()
    );
    let admin: Secret = from_json(json!({
        "metadata": {"name": KarmadaObjects::for_instance("prey").admin_kubeconfig_secret()},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: hostile}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-prey")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");
    report_ready(&client, "prey", "True", "Completed", "karmada is ready").await;

    let found = status_where(
        &client,
        "prey",
        "a decided KarmadaAPIReachable condition",
        // The condition exists as `NotAskedYet` from the first status write on; wait until
        // the controller has tried the admin kubeconfig.
        |status| match status.condition("KarmadaAPIReachable") {
            Some(c) if c.reason != "NotAskedYet" => Ok(()),
            Some(c) => Err(format!("not decided yet: {}", c.reason)),
            None => Err("no KarmadaAPIReachable condition".to_owned()),
        },
    )
    .await;
    assert!(!plugin.ran(), "the controller ran a credential plugin");
    assert_eq!(server.credentialed_visits(), 0, "{}", server.summary());
    let reachable = found
        .status
        .unwrap_or_default()
        .condition("KarmadaAPIReachable")
        .cloned();
    assert!(
        reachable
            .as_ref()
            .is_some_and(|c| !c.is_true() && c.message.contains("credential plugin")),
        "the refusal is reported: {reachable:?}"
    );
}

#[tokio::test]
async fn one_context_without_current_context_is_admitted_and_used() {
    let plane = global_cluster().await;
    let client = plane.client();
    let edge = bare_cluster().await;
    storage_class(&edge.client(), "edge-standard", true).await;
    let webhook = Webhook::start(plane.kubeconfig_path(), &["--probe-interval", "500ms"])
        .await
        .expect("webhook starts and becomes ready");
    webhook
        .register(&client)
        .await
        .expect("webhook is registered");
    let _controller = Controller::start(&plane, "controller", &[]);

    let single: String = edge
        .kubeconfig_yaml()
        .lines()
        .filter(|line| !line.starts_with("current-context:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(!single.contains("current-context"), "{single}");
    Api::<Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(
            &PostParams::default(),
            &registration_secret("edge-single", &single),
        )
        .await
        .expect("the webhook admits one context without current-context");

    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    let far = instance("single", json!({"managementCluster": "edge-single"}));
    eventually("the instance on edge-single to be admitted", || async {
        instances
            .create(&PostParams::default(), &far)
            .await
            .map_err(|e| e.to_string())
    })
    .await;

    // The controller used the kubeconfig: it checked it and copied it for karmada-operator,
    // re-serialised and naming the context client-go needs.
    let copies: Api<Secret> = Api::namespaced(client.clone(), "k-single");
    let copy = eventually("the host cluster kubeconfig copy", || async {
        if let Some(copy) = copies
            .get_opt(HOST_CLUSTER_SECRET)
            .await
            .map_err(|e| e.to_string())?
        {
            return Ok(copy);
        }
        let status = instances
            .get("single")
            .await
            .map_err(|e| e.to_string())?
            .status;
        Err(format!("no copy yet; status: {status:?}"))
    })
    .await;
    // The copy is made before the Karmada CR (the namespace on the management cluster first):
    // wait for the CR before playing the operator on it.
    let karmadas: Api<Karmada> = Api::namespaced(client.clone(), "k-single");
    eventually("the Karmada CR", || async {
        match karmadas.get_opt("single").await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err("not created yet".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
    // The controller reads the etcd claims on edge-single with that kubeconfig.
    report_ready(&client, "single", "False", "Progressing", "installing etcd").await;
    status_where(
        &client,
        "single",
        "StorageReady read from edge-single",
        |status| match status.condition("StorageReady") {
            Some(c) if c.reason == "WaitingForClaims" || c.reason == "ClaimPending" => Ok(()),
            other => Err(format!("StorageReady {other:?}")),
        },
    )
    .await;

    let bytes = copy
        .data
        .unwrap_or_default()
        .remove(KUBECONFIG_KEY)
        .expect("the copy holds a kubeconfig");
    let text = String::from_utf8(bytes.0).expect("text");
    assert!(
        text.contains("current-context: multicloud-testenv"),
        "{text}"
    );
    let checked = check(&text).expect("the copy passes the policy");
    assert_eq!(
        checked.target(),
        check(&single).expect("the original passes").target()
    );
    let edge_client = client_from_text(&text, &ClientOptions::default())
        .await
        .expect("the copy makes a client");
    edge_client
        .apiserver_version()
        .await
        .expect("the copy reaches the management cluster");
    drop(webhook);
}

#[tokio::test]
async fn an_instance_whose_karmada_api_does_not_answer_is_not_called_ready() {
    let plane = global_cluster().await;
    let client = plane.client();
    let _controller = Controller::start(&plane, "controller", &[]);
    create(
        &client,
        &instance("quiet", json!({"etcd": {"storage": {"type": "EmptyDir"}}})),
    )
    .await;
    karmada_of(&client, "quiet").await;

    // The operator reports Completed (its health check probes the host cluster, not the Karmada
    // API it installed), but the admin kubeconfig leads to a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("its address").port();
    drop(closed);
    let silent = plane
        .kubeconfig_yaml()
        .replace(&plane.server_url(), &format!("https://127.0.0.1:{port}"));
    assert!(silent.contains(&format!("127.0.0.1:{port}")), "{silent}");
    let admin: Secret = from_json(json!({
        "metadata": {"name": KarmadaObjects::for_instance("quiet").admin_kubeconfig_secret()},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: silent}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-quiet")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");
    report_ready(&client, "quiet", "True", "Completed", "karmada is ready").await;

    let found = status_where(
        &client,
        "quiet",
        "the Karmada API found silent",
        |status| match (
            status.condition("KarmadaAPIReachable"),
            status.condition("Ready"),
        ) {
            (Some(api), Some(ready))
                if api.status == "False" && ready.reason == "KarmadaAPIUnreachable" =>
            {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        },
    )
    .await;
    let status = found.status.unwrap_or_default();
    let ready = status.condition("Ready").cloned().unwrap_or_default();
    assert!(!ready.is_true(), "called Ready: {ready:?}");
    assert!(
        ready.message.contains("could not be reached"),
        "the message says why: {}",
        ready.message
    );
}
