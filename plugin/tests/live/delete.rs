//! `delete -l SELECTOR` and `delete --all`: the instances they choose get the questions and
//! refusals `delete NAME` gives, and `-o name` prints only what was deleted, as kubectl does.

use std::io::Write as _;
use std::process::Stdio;

use kube::api::Api;
use multicloud_api::MulticloudInstance;

use super::support::*;

async fn names(live: &Live) -> Vec<String> {
    let mut names: Vec<String> = Api::<MulticloudInstance>::all(live.plane.client())
        .list(&Default::default())
        .await
        .expect("instances are listed")
        .items
        .iter()
        .map(|i| i.name().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn delete_by_selector_and_all_print_kubectl_names() {
    let live = Live::start().await;
    live.instance("a", &[("team", "x")]).await;
    live.instance("b", &[("team", "x")]).await;
    live.instance("c", &[("team", "y")]).await;

    let by_label = live.admin(&["delete", "-l", "team=x", "--yes", "-o", "name"]);
    by_label.expect_status(0);
    assert_eq!(
        by_label.stdout,
        "multicloudinstance.multicloud.dev/a\nmulticloudinstance.multicloud.dev/b\n",
        "{by_label:#?}"
    );
    assert_eq!(names(&live).await, ["c"]);

    let none = live.admin(&["delete", "-l", "team=x", "--yes"]);
    none.expect_status(0);
    assert_eq!(none.stdout, "");
    assert!(none.stderr.contains("No instances found."), "{none:#?}");

    let all = live.admin(&["delete", "--all", "--yes"]);
    all.expect_status(0);
    assert_eq!(
        all.stdout, "multicloudinstance.multicloud.dev/c deleted\n",
        "{all:#?}"
    );
    assert!(names(&live).await.is_empty());
}

#[test]
fn delete_needs_names_a_selector_or_all() {
    let live = tempfile::tempdir().expect("temporary directory");
    for args in [
        &["delete"][..],
        &["delete", "a", "--all"],
        &["delete", "a", "-l", "x=y"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-multicloud"))
            .args(args)
            .env("HOME", live.path())
            .env_remove("KUBECONFIG")
            .output()
            .expect("the plugin runs");
        assert_eq!(out.status.code(), Some(2), "{args:?}: usage error");
    }
}

#[tokio::test]
async fn on_a_terminal_each_selected_instance_is_confirmed_by_its_name() {
    let live = Live::start().await;
    live.instance("a", &[("team", "x")]).await;
    live.instance("b", &[("team", "x")]).await;

    // `script` gives the plugin a terminal; the answers confirm `a` and not `b`.
    let command = format!(
        "{} --kubeconfig {} delete -l team=x",
        env!("CARGO_BIN_EXE_kubectl-multicloud"),
        live.kubeconfig()
    );
    let mut child = live_script(&live, &command);
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a\nnot-b\n")
        .expect("answers are written");
    let out = finish(child, &["script", &command]);
    assert!(
        out.stdout.contains("Type the instance name to confirm"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains("not confirmed (typed `not-b`, expected `b`)"),
        "{out:#?}"
    );
    assert_eq!(out.status, 1, "{out:#?}");
    assert_eq!(names(&live).await, ["b"]);
}

/// `command` run by `script` in a pseudo-terminal, its stdin piped to the terminal.
fn live_script(live: &Live, command: &str) -> std::process::Child {
    std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(live.home.path())
        .env("HOME", live.home.path())
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script starts")
}
