//! The hostile input catalogue of the command line: unknown flags, missing files, malformed
//! YAML and JSON, bad kubeconfigs and servers that cannot be reached. The built binary runs as a
//! user runs it, in a scratch directory that is its `$HOME` (no kubeconfig of the machine is
//! read). Each case must end with a clear error on stderr, the documented exit status (2 for
//! usage errors, 1 for the rest), within a bound, and with every file in the directory as it was.

#[path = "hostile/files.rs"]
mod files;
#[path = "hostile/servers.rs"]
mod servers;

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that has not ended by then is a hang.
const HANG: Duration = Duration::from_secs(60);

/// A scratch directory, the working directory and `$HOME` of every run.
struct Sandbox {
    dir: tempfile::TempDir,
}

/// How a run ended.
struct Outcome {
    status: i32,
    stdout: String,
    stderr: String,
}

impl Sandbox {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `name` with `contents`.
    fn file(&self, name: &str, contents: impl AsRef<[u8]>) -> &Self {
        std::fs::write(self.path().join(name), contents).expect("write test file");
        self
    }

    /// Every file below the directory with its contents.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).expect("list directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.insert(path.clone(), std::fs::read(&path).expect("read file"));
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(self.path(), &mut files);
        files
    }

    /// Runs the plugin with `args` (and `stdin`), bounded by [`HANG`], and checks that no file
    /// was created, changed or removed.
    fn run(&self, args: &[&str], stdin: &[u8]) -> Outcome {
        let before = self.snapshot();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-multicloud"))
            .args(args)
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the plugin starts");
        if let Some(mut input) = child.stdin.take() {
            // A command that does not read stdin may exit before it is written.
            let _ = input.write_all(stdin);
        }
        let started = Instant::now();
        while child.try_wait().expect("wait for the plugin").is_none() {
            if started.elapsed() > HANG {
                let _ = child.kill();
                panic!("`{}` did not end within {HANG:?}", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let output = child.wait_with_output().expect("the plugin's output");
        let outcome = Outcome {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert_eq!(
            self.snapshot(),
            before,
            "`{}` changed files in its directory",
            args.join(" ")
        );
        outcome
    }
}

impl Outcome {
    /// Asserts the exit status and that stderr holds every fragment, in order.
    fn expect(&self, what: &str, status: i32, fragments: &[&str]) {
        let at = format!(
            "{what}: exit {}\n--- stderr\n{}--- stdout\n{}",
            self.status, self.stderr, self.stdout
        );
        assert_eq!(self.status, status, "{at}");
        let mut rest = self.stderr.as_str();
        for fragment in fragments {
            let found = rest
                .find(fragment)
                .unwrap_or_else(|| panic!("{at}\nno {fragment:?} (in this order)"));
            rest = &rest[found + fragment.len()..];
        }
        assert!(!self.stderr.contains("panicked"), "{at}");
        if status != 0 {
            assert!(
                self.stdout.is_empty(),
                "{at}: a failed command prints nothing on stdout"
            );
        }
    }
}

#[test]
fn unknown_flags_and_bad_values_are_usage_errors() {
    let sandbox = Sandbox::new();
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["--frobnicate", "list"],
            &[
                "unexpected argument '--frobnicate' found",
                "Usage: kubectl multicloud",
            ],
        ),
        (
            &["list", "--frobnicate"],
            &[
                "unexpected argument '--frobnicate' found",
                "Usage: kubectl multicloud list",
            ],
        ),
        (
            &["check", "-f", "x.yaml", "--strict"],
            &["unexpected argument '--strict' found"],
        ),
        (
            &["create", "demo", "--replicas", "3"],
            &[
                "unexpected argument '--replicas' found",
                "'--etcd-replicas'",
            ],
        ),
        (
            &["delete", "demo", "--force"],
            &["unexpected argument '--force' found"],
        ),
        (
            &["cluster", "add", "edge-1", "--server", "x"],
            &["unexpected argument '--server' found"],
        ),
        (
            &["cluster", "frobnicate"],
            &["unrecognized subcommand 'frobnicate'"],
        ),
        (&["frobnicate"], &["unrecognized subcommand 'frobnicate'"]),
        (
            &["check"],
            &[
                "required arguments were not provided",
                "--filename <FILE|DIR>",
            ],
        ),
        (
            &["create", "demo", "--etcd-replicas", "three"],
            &["invalid value 'three' for '--etcd-replicas <N>'"],
        ),
        (
            &["create", "demo", "--label", "no-equals"],
            &["invalid value 'no-equals' for '--label <KEY=VALUE>'"],
        ),
        (
            &["list", "--request-timeout=-1s"],
            &["invalid value '-1s' for '--request-timeout <DURATION>'"],
        ),
        (
            &["list", "-o", "xml"],
            &["invalid value 'xml' for '--output <OUTPUT>'"],
        ),
        (
            &["create", "demo", "--host-path", "/x", "--ephemeral"],
            &["cannot be used with '--ephemeral'"],
        ),
    ];
    for (args, fragments) in cases {
        sandbox.run(args, b"").expect(&args.join(" "), 2, fragments);
    }
}

#[test]
fn missing_files_are_named() {
    let sandbox = Sandbox::new();
    sandbox.file("ok.yaml", files::VALID_INSTANCE);
    std::fs::create_dir(sandbox.path().join("empty-dir")).expect("directory");
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["check", "-f", "missing.yaml"],
            &[
                "error: failed to read missing.yaml",
                "caused by: No such file or directory",
            ],
        ),
        (
            &["check", "-f", "ok.yaml", "-f", "missing.yaml"],
            &["error: failed to read missing.yaml"],
        ),
        (
            &["check", "-f", "ok.yaml", "--clusters", "missing.yaml"],
            &[
                "error: failed to read missing.yaml",
                "No such file or directory",
            ],
        ),
        (
            &["check", "-f", "empty-dir"],
            &["error: empty-dir holds no .yaml, .yml or .json file"],
        ),
        (
            &["--kubeconfig", "missing.yaml", "list"],
            &[
                "error: failed to read kubeconfig missing.yaml",
                "No such file or directory",
            ],
        ),
        (
            &[
                "--kubeconfig",
                "missing.yaml",
                "cluster",
                "add",
                "edge-1",
                "--kubeconfig",
                "missing-edge.yaml",
            ],
            &[
                "Warning: --kubeconfig after `cluster add` is deprecated; use --cluster-kubeconfig",
                "error: failed to read kubeconfig missing-edge.yaml",
                "No such file or directory",
            ],
        ),
        // Without any kubeconfig at all (none in $HOME, no $KUBECONFIG, not in a pod).
        (
            &["list"],
            &["error: no cluster configured", "pass --kubeconfig FILE"],
        ),
    ];
    for (args, fragments) in cases {
        sandbox.run(args, b"").expect(&args.join(" "), 1, fragments);
    }
}
