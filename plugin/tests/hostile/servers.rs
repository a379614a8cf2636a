//! Kubeconfigs that cannot be used and API servers that cannot be reached: every command that
//! talks to a cluster fails with the reason, within its request timeout, and changes nothing.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::Sandbox;

/// Every command that talks to the global cluster, with what its error says it was doing.
const COMMANDS: &[(&[&str], &str)] = &[
    (&["list"], "error: failed to list instances"),
    (&["get", "demo"], "error: failed to read instance `demo`"),
    (
        &["describe", "demo"],
        "error: failed to read instance `demo`",
    ),
    (
        &["diagnose", "demo"],
        "error: failed to read instance `demo`",
    ),
    (
        &["kubeconfig", "demo", "--output-file", "admin.kubeconfig"],
        "error: failed to read instance `demo`",
    ),
    (
        &["create", "demo"],
        "error: failed to create instance `demo`",
    ),
    (
        &["delete", "demo", "--yes"],
        "error: failed to read instance `demo`",
    ),
    (
        &["cluster", "list"],
        "error: failed to list the registered management clusters",
    ),
];

fn kubeconfig(server: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: global
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
contexts:
- name: global
  context: {{cluster: global, user: admin}}
current-context: global
users:
- name: admin
  user: {{token: not-a-real-token}}
"
    )
}

/// A port on 127.0.0.1 nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    listener.local_addr().expect("address").port()
}

/// A server that accepts connections and never answers, as a host behind a dead proxy would;
/// stopped when dropped.
struct Silent {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Silent {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut held = Vec::new();
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => held.push(stream),
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Self {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[test]
fn bad_kubeconfigs_are_named_with_the_reason() {
    let sandbox = Sandbox::new();
    let good = kubeconfig(&format!("https://127.0.0.1:{}", closed_port()));
    sandbox
        .file("garbage.yaml", "clusters: [\n")
        .file("empty.yaml", "{}\n")
        .file(
            "not-base64.yaml",
            good.replace(
                "insecure-skip-tls-verify: true",
                "certificate-authority-data: '%%%'",
            ),
        )
        .file(
            "no-server.yaml",
            good.replace("    server: https", "    serv: https"),
        )
        .file("good.yaml", &good);
    std::fs::create_dir(sandbox.path().join("a-directory")).expect("directory");
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--kubeconfig", "garbage.yaml", "list"],
            &[
                "error: failed to read kubeconfig garbage.yaml",
                "caused by: failed to parse kubeconfig YAML",
            ],
        ),
        (
            &["--kubeconfig", "a-directory", "list"],
            &["error: failed to read kubeconfig a-directory"],
        ),
        (
            &["--kubeconfig", "empty.yaml", "list"],
            &[
                "error: the kubeconfig cannot be used: it has no current context",
                "pass --context NAME or --server URL",
            ],
        ),
        (
            &[
                "--kubeconfig",
                "good.yaml",
                "--context",
                "elsewhere",
                "list",
            ],
            &["error: context `elsewhere` is not in the kubeconfig (it has: global)"],
        ),
        (
            &["--kubeconfig", "not-base64.yaml", "list"],
            &["error: the kubeconfig cannot be used", "base64"],
        ),
        (
            &["--kubeconfig", "no-server.yaml", "list"],
            &["error: the kubeconfig cannot be used"],
        ),
        (
            &[
                "--kubeconfig",
                "good.yaml",
                "cluster",
                "add",
                "edge-1",
                "--cluster-kubeconfig",
                "garbage.yaml",
            ],
            &["error: failed to read kubeconfig garbage.yaml"],
        ),
    ];
    for (args, fragments) in cases {
        sandbox.run(args, b"").expect(&args.join(" "), 1, fragments);
    }
}

#[test]
fn a_closed_port_is_reported_as_refused_at_once() {
    let sandbox = Sandbox::new();
    let server = format!("https://127.0.0.1:{}", closed_port());
    sandbox.file("config", kubeconfig(&server));
    for (command, doing) in COMMANDS {
        let args = [
            &["--kubeconfig", "config", "--request-timeout", "2s"],
            *command,
        ]
        .concat();
        sandbox
            .run(&args, b"")
            .expect(&args.join(" "), 1, &[doing, "Connection refused"]);
    }
    let args = [
        "--kubeconfig",
        "config",
        "--request-timeout",
        "2s",
        "cluster",
        "add",
        "edge-1",
        "--kubeconfig",
        "config",
    ];
    sandbox.run(&args, b"").expect(
        "cluster add",
        1,
        &[
            &format!("error: cannot reach cluster `edge-1` at {server}; nothing was registered"),
            "Connection refused",
        ],
    );
    // `version` reports what it can: the client's version, and why the server's is unknown;
    // like `kubectl version`, it fails when the server does not answer.
    let version = sandbox.run(
        &[
            "--kubeconfig",
            "config",
            "--request-timeout",
            "2s",
            "version",
        ],
        b"",
    );
    // A report, not an error: its stdout holds the client's version, so `expect`'s rule that
    // a failed command prints nothing on stdout does not apply.
    assert_eq!(version.status, 1, "version: {}", version.stderr);
    assert!(!version.stderr.contains("panicked"), "{}", version.stderr);
    assert!(
        version.stdout.contains("Server Version: unknown ("),
        "{}",
        version.stdout
    );
    assert!(
        version.stdout.contains("Connection refused"),
        "{}",
        version.stdout
    );
}

#[test]
fn a_server_that_never_answers_is_given_up_after_the_request_timeout() {
    let sandbox = Sandbox::new();
    let silent = Silent::start();
    sandbox.file(
        "config",
        kubeconfig(&format!("https://127.0.0.1:{}", silent.port)),
    );
    for (command, doing) in COMMANDS {
        let args = [
            &["--kubeconfig", "config", "--request-timeout", "1s"],
            *command,
        ]
        .concat();
        sandbox.run(&args, b"").expect(
            &args.join(" "),
            1,
            &[
                doing,
                &format!(
                    "caused by: no answer from the API server at https://127.0.0.1:{} within 1s\n",
                    silent.port
                ),
                "deadline has elapsed",
            ],
        );
    }
}
