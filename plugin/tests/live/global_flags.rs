//! kubectl's global flags, as kubectl means them: `--as`/`--as-group` impersonate (and the API
//! server's RBAC decides), `-s` with `--certificate-authority` and `--token` stand without any
//! kubeconfig, `--insecure-skip-tls-verify` skips verification, `--cluster`/`--user` pick
//! kubeconfig entries other than the context's.

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use kube::api::{Api, PostParams};
use kube::config::Kubeconfig;
use serde_json::json;

use super::support::*;

#[tokio::test]
async fn impersonation_is_refused_without_rbac_and_allowed_for_a_permitted_group() {
    let live = Live::start().await;
    live.instance("demo", &[]).await;

    let refused = live.admin(&["--as", "jane", "list"]);
    refused.expect_status(1);
    assert!(
        refused.stderr.contains("Forbidden") && refused.stderr.contains("\"jane\""),
        "{refused:#?}"
    );

    // After the command, as kubectl accepts them too.
    let allowed = live.admin(&["list", "--as", "jane", "--as-group", "system:masters"]);
    allowed.expect_status(0);
    assert!(allowed.stdout.contains("demo"), "{allowed:#?}");
}

/// A token of ServiceAccount `default/viewer`, from the TokenRequest API.
async fn viewer_token(client: &kube::Client) -> String {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let account: ServiceAccount =
        serde_json::from_value(json!({"metadata": {"name": "viewer"}})).expect("valid");
    accounts
        .create(&PostParams::default(), &account)
        .await
        .expect("ServiceAccount is created");
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: Vec::new(),
            expiration_seconds: Some(600),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    accounts
        .create_token_request("viewer", &PostParams::default(), &request)
        .await
        .expect("token is issued")
        .status
        .expect("token status")
        .token
}

/// Lets `default/viewer` list instances.
async fn grant_list(client: &kube::Client) {
    let role: ClusterRole = serde_json::from_value(json!({
        "metadata": {"name": "instance-viewer"},
        "rules": [{"apiGroups": ["multicloud.dev"], "resources": ["multicloudinstances"],
                   "verbs": ["get", "list", "watch"]}]
    }))
    .expect("valid");
    Api::<ClusterRole>::all(client.clone())
        .create(&PostParams::default(), &role)
        .await
        .expect("role is created");
    let binding: ClusterRoleBinding = serde_json::from_value(json!({
        "metadata": {"name": "instance-viewer"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "instance-viewer"},
        "subjects": [{"kind": "ServiceAccount", "name": "viewer", "namespace": "default"}]
    }))
    .expect("valid");
    Api::<ClusterRoleBinding>::all(client.clone())
        .create(&PostParams::default(), &binding)
        .await
        .expect("binding is created");
}

#[tokio::test]
async fn server_token_and_certificate_authority_work_without_a_kubeconfig() {
    let live = Live::start().await;
    live.instance("demo", &[]).await;
    let client = live.plane.client();
    let token = viewer_token(&client).await;
    let ca = path_text(&live.file("ca.pem", live.plane.ca_pem()));
    let server = live.plane.server_url();

    let flags = [
        "-s",
        server.as_str(),
        "--certificate-authority",
        ca.as_str(),
        "--token",
        token.as_str(),
    ];
    let mut list = flags.to_vec();
    list.push("list");
    let refused = live.run(&list);
    refused.expect_status(1);
    assert!(
        refused
            .stderr
            .contains("system:serviceaccount:default:viewer"),
        "the token's identity is refused by RBAC: {refused:#?}"
    );

    grant_list(&client).await;
    let listed = live.run(&list);
    listed.expect_status(0);
    assert!(listed.stdout.contains("demo"), "{listed:#?}");

    // Without the CA the server's certificate cannot be verified...
    let unverified = live.run(&["-s", &server, "--token", &token, "list"]);
    unverified.expect_status(1);
    assert!(
        unverified.stderr.to_lowercase().contains("certificate"),
        "{unverified:#?}"
    );
    // ...unless verification is skipped on purpose.
    let insecure = live.run(&[
        "-s",
        &server,
        "--insecure-skip-tls-verify",
        "--token",
        &token,
        "list",
    ]);
    insecure.expect_status(0);
    assert!(insecure.stdout.contains("demo"), "{insecure:#?}");
}

#[tokio::test]
async fn cluster_and_user_flags_pick_kubeconfig_entries_other_than_the_context() {
    let live = Live::start().await;
    live.instance("demo", &[]).await;
    // The admin kubeconfig, whose current context now points at a closed port with a bogus
    // token; its real cluster and user entries are still there under their names.
    let mut kubeconfig =
        Kubeconfig::from_yaml(&live.plane.kubeconfig_yaml()).expect("admin kubeconfig");
    let mut value = serde_json::to_value(&kubeconfig).expect("serialises");
    let real = value["contexts"][0]["context"].clone();
    let (real_cluster, real_user) = (
        real["cluster"].as_str().expect("cluster").to_owned(),
        real["user"].as_str().expect("user").to_owned(),
    );
    value["clusters"]
        .as_array_mut()
        .expect("clusters")
        .push(json!({"name": "dead", "cluster": {"server": "https://127.0.0.1:9"}}));
    value["users"]
        .as_array_mut()
        .expect("users")
        .push(json!({"name": "bogus", "user": {"token": "not-a-token"}}));
    value["contexts"]
        .as_array_mut()
        .expect("contexts")
        .push(json!({"name": "broken", "context": {"cluster": "dead", "user": "bogus"}}));
    value["current-context"] = json!("broken");
    kubeconfig = serde_json::from_value(value).expect("still a kubeconfig");
    let path = path_text(&live.file(
        "kubeconfig",
        &serde_json::to_string(&kubeconfig).expect("serialises"),
    ));

    let broken = live.run(&["--kubeconfig", &path, "--request-timeout", "5s", "list"]);
    broken.expect_status(1);
    assert!(broken.stderr.contains("127.0.0.1:9"), "{broken:#?}");

    let picked = live.run(&[
        "--kubeconfig",
        &path,
        "--cluster",
        &real_cluster,
        "--user",
        &real_user,
        "list",
    ]);
    picked.expect_status(0);
    assert!(picked.stdout.contains("demo"), "{picked:#?}");

    // The real cluster with the bogus user: the API server does not know the token.
    let unauthorized = live.run(&["--kubeconfig", &path, "--cluster", &real_cluster, "list"]);
    unauthorized.expect_status(1);
    assert!(
        unauthorized.stderr.contains("Unauthorized"),
        "{unauthorized:#?}"
    );

    let unknown = live.run(&["--kubeconfig", &path, "--user", "nobody", "list"]);
    unknown.expect_status(1);
    assert!(
        unknown
            .stderr
            .contains("user `nobody` is not in the kubeconfig"),
        "{unknown:#?}"
    );
}
