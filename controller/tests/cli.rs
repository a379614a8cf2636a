//! The `multicloud-controller` binary as an operator starts it: bad flags and bad
//! configuration end the process at once with an error that names what is wrong.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a finished run of the binary left behind.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the built controller with `args` and no inherited kubeconfig; kills it if it has not
/// ended within 20 seconds, which fails the test.
fn run(args: &[&str]) -> Outcome {
    let home = tempfile::tempdir().expect("temporary home");
    let mut child = Command::new(env!("CARGO_BIN_EXE_multicloud-controller"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("POD_NAME")
        .env_remove("POD_NAMESPACE")
        .env_remove("MULTICLOUD_CONTROLLER_METRICS_ADDRESS")
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("controller starts");
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("controller status") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("multicloud-controller {args:?} did not end within 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout);
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    Outcome {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Asserts that the run failed with status 1 and said each of `fragments` on stderr.
fn fails_saying(out: &Outcome, fragments: &[&str]) {
    assert_eq!(out.code, Some(1), "stderr: {}", out.stderr);
    for fragment in fragments {
        assert!(
            out.stderr.contains(fragment),
            "no {fragment:?} in: {}",
            out.stderr
        );
    }
}

/// A kubeconfig for a server on loopback; nothing listens there, and nothing needs to.
fn loopback_kubeconfig(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n\
         current-context: x\n",
    )
    .expect("kubeconfig is written");
    path
}

#[test]
fn version_is_printed() {
    let out = run(&["--version"]);
    assert_eq!(out.code, Some(0), "stderr: {}", out.stderr);
    assert_eq!(
        out.stdout.trim(),
        format!("multicloud-controller {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_duration_that_is_not_a_number_is_refused_naming_the_flag() {
    let out = run(&["--poll-interval", "soon"]);
    assert_eq!(out.code, Some(2), "stderr: {}", out.stderr);
    assert!(out.stderr.contains("--poll-interval"), "{}", out.stderr);
    assert!(
        out.stderr.contains("`soon` is not a duration"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_kubeconfig_that_cannot_be_read_is_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let not_yaml = dir.path().join("kubeconfig");
    std::fs::write(&not_yaml, "clusters: [unclosed\n").expect("kubeconfig is written");
    let missing = dir.path().join("absent.yaml");
    for path in [missing, not_yaml] {
        let out = run(&["--kubeconfig", path.to_str().expect("utf-8 path")]);
        fails_saying(
            &out,
            &[&format!("failed to read kubeconfig {}", path.display())],
        );
    }
}

#[test]
fn an_unknown_context_is_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = loopback_kubeconfig(dir.path());
    let out = run(&[
        "--kubeconfig",
        kubeconfig.to_str().expect("utf-8 path"),
        "--context",
        "nowhere",
    ]);
    fails_saying(&out, &["failed to load kubeconfig", "nowhere"]);
}

#[test]
fn a_metrics_address_in_use_is_named() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let kubeconfig = loopback_kubeconfig(dir.path());
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback port");
    let address = taken.local_addr().expect("bound address").to_string();
    let out = run(&[
        "--kubeconfig",
        kubeconfig.to_str().expect("utf-8 path"),
        "--metrics-address",
        &address,
    ]);
    fails_saying(&out, &[&format!("failed to listen on {address}")]);
}
