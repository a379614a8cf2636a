//! Hostile kubeconfigs in management cluster Secrets: the admission rule denies them and the
//! webhook's watch, which also sees Secrets written while it was not answering admissions,
//! never uses them. A credential plugin would leave a marker file; an attacker's HTTPS server
//! on 127.0.0.1 counts the connections that carry credentials.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::registration_secret;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_e2e::attacker::{AttackerServer, MarkingPlugin};
use multicloud_e2e::cluster::admission_cluster;
use multicloud_e2e::webhook::Webhook;
use serde_json::json;

use super::support::{WAIT, instance};

/// Two probe intervals of the webhook (`--probe-interval 500ms`): time for a client it should
/// not have made to have been used.
const PROBES: Duration = Duration::from_secs(2);

/// A kubeconfig of one context `c` for `server`, with `user` as the user's YAML block
/// (indented under `- name: u`), and `prelude` (anchors) before it.
fn kubeconfig(server: &AttackerServer, prelude: &str, users: &str) -> String {
    format!(
        "{prelude}apiVersion: v1\nkind: Config\ncurrent-context: c\n\
         clusters: [{{name: c, cluster: {{server: \"{}\", certificate-authority-data: {}}}}}]\n\
         contexts: [{{name: c, context: {{cluster: c, user: u}}}}]\n{users}",
        server.address,
        server.ca_data()
    )
}

/// Each way of hiding a credential plugin from a parser that ignores merge keys.
fn hidden_plugins(server: &AttackerServer, plugin: &MarkingPlugin) -> Vec<(&'static str, String)> {
    let command = plugin.command.display();
    let exec = format!(
        "exec: {{apiVersion: client.authentication.k8s.io/v1, command: \"{command}\", \
         interactiveMode: Never}}"
    );
    vec![
        (
            "merged-user",
            kubeconfig(
                server,
                &format!("x-plugin: &plugin\n  {exec}\n"),
                "users:\n- name: u\n  user:\n    <<: *plugin\n",
            ),
        ),
        (
            "merged-item",
            kubeconfig(
                server,
                &format!("x-user: &user\n  user: {{{exec}}}\n"),
                "users:\n- name: u\n  <<: *user\n",
            ),
        ),
        (
            "merged-top",
            kubeconfig(
                server,
                &format!("x-users: &users\n  users: [{{name: u, user: {{{exec}}}}}]\n<<: *users\n"),
                "",
            ),
        ),
        (
            "merged-provider",
            kubeconfig(
                server,
                &format!(
                    "x-provider: &provider\n  auth-provider: {{name: gcp, config: \
                     {{cmd-path: \"{command}\", cmd-args: \"\", token-key: \"{{.status.token}}\"}}}}\n"
                ),
                "users:\n- name: u\n  user:\n    <<: *provider\n",
            ),
        ),
    ]
}

/// Kubeconfigs that name files on the disk of whoever uses them.
fn file_credentials(server: &AttackerServer, dir: &std::path::Path) -> Vec<(&'static str, String)> {
    let token = dir.join("token");
    std::fs::write(&token, "stolen-service-account-token").expect("token file is written");
    let (cert, key) = server.client_identity().expect("client identity");
    let (cert_file, key_file) = (dir.join("client.crt"), dir.join("client.key"));
    std::fs::write(&cert_file, cert).expect("certificate file is written");
    std::fs::write(&key_file, key).expect("key file is written");
    vec![
        (
            "token-file",
            kubeconfig(
                server,
                "",
                &format!(
                    "users:\n- name: u\n  user: {{tokenFile: \"{}\"}}\n",
                    token.display()
                ),
            ),
        ),
        (
            "cert-files",
            kubeconfig(
                server,
                "",
                &format!(
                    "users:\n- name: u\n  user: {{client-certificate: \"{}\", client-key: \"{}\"}}\n",
                    cert_file.display(),
                    key_file.display()
                ),
            ),
        ),
    ]
}

/// What the webhook did with the hostile Secrets.
#[derive(Debug, Default)]
struct Outcome {
    /// Cases whose Secret was admitted through the webhook.
    admitted: Vec<String>,
    /// Cases written before registration that the watch did not report refused, with what
    /// the last dry run said.
    not_refused: Vec<String>,
}

/// Writes every case twice, once before the webhook is registered (only its watch sees it) and
/// once through admission, and tells which writes were not refused with `refusal`. It does not
/// assert, so that the harm (a marker, a credentialed visit) is what a failing test reports
/// first.
async fn write_hostile_secrets(cases: &[(&'static str, String)], refusal: &str) -> Outcome {
    let plane = admission_cluster().await;
    let client = plane.client();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), SYSTEM_NAMESPACE);
    let webhook = Webhook::start(plane.kubeconfig_path(), &["--probe-interval", "500ms"])
        .await
        .expect("webhook starts and becomes ready");
    for (name, text) in cases {
        secrets
            .create(
                &PostParams::default(),
                &registration_secret(&format!("w-{name}"), text),
            )
            .await
            .expect("with no webhook registered, the Secret is stored");
    }
    webhook
        .register(&client)
        .await
        .expect("webhook is registered");

    let mut outcome = Outcome::default();
    for (name, text) in cases {
        match secrets
            .create(&PostParams::default(), &registration_secret(name, text))
            .await
        {
            Err(kube::Error::Api(status)) if status.message.contains(refusal) => {}
            other => outcome.admitted.push(format!("{name}: {other:?}")),
        }
    }

    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    for (name, _) in cases {
        let cluster = format!("w-{name}");
        let on_it = instance("probe", json!({"managementCluster": cluster}));
        let deadline = Instant::now() + WAIT;
        loop {
            match instances.create(&dry_run, &on_it).await {
                Err(kube::Error::Api(status)) if status.message.contains(refusal) => break,
                other if Instant::now() > deadline => {
                    outcome.not_refused.push(format!("{cluster}: {other:?}"));
                    break;
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
    tokio::time::sleep(PROBES).await;
    drop(webhook);
    outcome
}

#[tokio::test]
async fn credential_plugins_hidden_behind_merge_keys_never_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let plugin = MarkingPlugin::write(dir.path()).expect("plugin script is written");
    let server = AttackerServer::start()
        .await
        .expect("attacker server starts");
    let cases = hidden_plugins(&server, &plugin);

    let outcome = write_hostile_secrets(&cases, "credential plugin").await;

    assert!(!plugin.ran(), "the webhook ran a credential plugin");
    assert_eq!(server.credentialed_visits(), 0, "{}", server.summary());
    assert!(
        outcome.admitted.is_empty(),
        "admitted: {:#?}",
        outcome.admitted
    );
    assert!(
        outcome.not_refused.is_empty(),
        "used: {:#?}",
        outcome.not_refused
    );
}

#[tokio::test]
async fn files_on_the_webhooks_disk_are_never_read_or_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = AttackerServer::start()
        .await
        .expect("attacker server starts");
    let cases = file_credentials(&server, dir.path());

    let outcome = write_hostile_secrets(&cases, "names a file").await;

    assert_eq!(
        server.credentialed_visits(),
        0,
        "the webhook sent credentials from its disk: {}",
        server.summary()
    );
    assert!(
        outcome.admitted.is_empty(),
        "admitted: {:#?}",
        outcome.admitted
    );
    assert!(
        outcome.not_refused.is_empty(),
        "used: {:#?}",
        outcome.not_refused
    );
}
