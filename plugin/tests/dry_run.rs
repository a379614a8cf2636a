//! `install --dry-run` prints a private key only when asked: its output is meant to be kept,
//! often in Git. Run with a kubeconfig that does not exist, so no cluster is asked anything.

use std::process::{Command, Output};

fn dry_run(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().expect("a temporary directory");
    Command::new(env!("CARGO_BIN_EXE_kubectl-multicloud"))
        .arg("--kubeconfig")
        .arg(dir.path().join("no-such-kubeconfig"))
        .args(["install", "--dry-run"])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("kubectl-multicloud runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The Secret's data is base64, under the key `tls.key` (YAML or JSON).
fn holds_a_key(stdout: &str) -> bool {
    stdout.contains("tls.key: ")
        || stdout.contains("\"tls.key\":")
        || stdout.contains("PRIVATE KEY")
}

#[test]
fn dry_run_leaves_out_the_key_and_says_how_to_get_a_certificate() {
    let out = dry_run(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!holds_a_key(&stdout), "{stdout}");
    assert!(!stdout.contains("kind: Secret"), "{stdout}");
    assert!(!stdout.contains("caBundle:"), "{stdout}");
    assert!(stdout.starts_with("# The webhook's self-signed certificate is not in this file"));
    assert!(
        stdout.contains("kind: Deployment")
            && stdout.contains("kind: ValidatingWebhookConfiguration")
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Warning:") && stderr.contains("--include-private-key"),
        "{stderr}"
    );
}

#[test]
fn json_dry_run_leaves_out_the_key_too() {
    let out = dry_run(&["-o", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let items = list["items"].as_array().expect("a List");
    assert!(items.len() >= 15);
    assert!(items.iter().all(|item| item["kind"] != "Secret"));
    assert!(!holds_a_key(&text(&out.stdout)));
}

#[test]
fn include_private_key_prints_the_secret_and_its_ca() {
    let out = dry_run(&["--include-private-key"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(holds_a_key(&stdout));
    assert!(stdout.contains("kind: Secret") && stdout.contains("caBundle"));
    assert!(!stdout.contains("is not in this file"));
}

#[test]
fn cert_manager_dry_run_holds_nothing_secret() {
    let out = dry_run(&["--cert-manager"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!holds_a_key(&stdout) && !stdout.contains("kind: Secret"));
    assert!(stdout.contains("kind: Certificate"));
    assert!(!text(&out.stderr).contains("Warning:"));
}

#[test]
fn include_private_key_is_a_dry_run_flag_for_self_signed_certificates() {
    let without_dry_run = Command::new(env!("CARGO_BIN_EXE_kubectl-multicloud"))
        .args(["install", "--include-private-key"])
        .output()
        .expect("kubectl-multicloud runs");
    assert_eq!(without_dry_run.status.code(), Some(2));
    let with_cert_manager = dry_run(&["--include-private-key", "--cert-manager"]);
    assert_eq!(with_cert_manager.status.code(), Some(2));
}
