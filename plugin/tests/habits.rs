//! Conventions kubectl users bring, run against the built binary: colour decided as clap and
//! most CLIs decide it, kubectl's `-v=N`, and `version`'s exit status when the server is gone.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-multicloud");
const ESC: char = '\u{1b}';

/// Runs the binary with a clean colour environment plus `env`, bounded in time.
fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("timeout");
    command.arg("30").arg(BIN).args(args);
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "TERM",
        "KUBECONFIG",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    command.current_dir(env!("CARGO_MANIFEST_DIR"));
    command.output().expect("the binary runs")
}

/// `check` of the examples: its report paints verdicts.
fn check(extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec![
        "check",
        "-f",
        "../manifests/examples",
        "--clusters",
        "../manifests/examples/clusters.yaml",
    ];
    args.extend_from_slice(extra);
    String::from_utf8_lossy(&run(&args, env).stdout).into_owned()
}

#[test]
fn a_pipe_gets_no_colour_unless_forced() {
    assert!(!check(&[], &[]).contains(ESC));
    assert!(check(&[], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
    assert!(check(&["--color", "always"], &[]).contains(ESC));
}

#[test]
fn no_color_and_never_win_over_force() {
    assert!(!check(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains(ESC));
    assert!(!check(&["--color=never"], &[("CLICOLOR_FORCE", "1")]).contains(ESC));
}

/// A kubeconfig whose server is a closed port on loopback, so requests fail at once.
fn unreachable_kubeconfig() -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(
        file.path(),
        "apiVersion: v1\nkind: Config\ncurrent-context: x\n\
         clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n\
         users: [{name: u, user: {token: t}}]\n\
         contexts: [{name: x, context: {cluster: c, user: u}}]\n",
    )
    .expect("written");
    file
}

#[test]
fn kubectl_verbosity_logs_without_colour_in_a_pipe() {
    let kubeconfig = unreachable_kubeconfig();
    let path = kubeconfig.path().to_str().expect("UTF-8 path");
    for flag in ["-v=6", "--v=6"] {
        let out = run(
            &[
                flag,
                "--kubeconfig",
                path,
                "--request-timeout",
                "2s",
                "list",
            ],
            &[],
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag}: {stderr}");
        assert!(stderr.contains("ERROR"), "{flag} logs: {stderr}");
        assert!(!stderr.contains(ESC), "{flag} logs in colour: {stderr}");
    }
}

#[test]
fn version_fails_when_the_server_does_not_answer() {
    let kubeconfig = unreachable_kubeconfig();
    let path = kubeconfig.path().to_str().expect("UTF-8 path");
    let out = run(
        &["--kubeconfig", path, "--request-timeout", "2s", "version"],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Client Version: v"), "{stdout}");
    assert!(stdout.contains("Server Version: unknown"), "{stdout}");
    assert_eq!(out.status.code(), Some(1));
    let client_only = run(&["--kubeconfig", path, "version", "--client"], &[]);
    assert_eq!(client_only.status.code(), Some(0));
}
