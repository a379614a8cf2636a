//! The built `kubectl-multicloud` run as a user runs it: a process with arguments, its stdout,
//! stderr and exit status, bounded in time and never reading the user's own kubeconfig.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::{MissingBinary, binary};

/// Bound on one run of the plugin (`create --wait` passes its own `--timeout`, shorter).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(150);

/// What a run printed and how it ended.
#[derive(Debug, Clone)]
pub struct Run {
    /// The command line, for messages.
    pub args: Vec<String>,
    /// Exit status (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics, showing the run, unless it exited with `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "unexpected exit status of {self}");
        self
    }

    /// Panics, showing the run, unless it succeeded.
    pub fn expect_success(&self) -> &Self {
        self.expect_code(0)
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "kubectl-multicloud {} (exit {})\n--- stdout ---\n{}--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

/// The plugin, pointed at one global cluster.
#[derive(Debug, Clone)]
pub struct Plugin {
    binary: PathBuf,
    kubeconfig: PathBuf,
}

impl Plugin {
    /// The built plugin, talking to the cluster of `kubeconfig` (given before the command, so
    /// `cluster add --kubeconfig` still names the added cluster).
    pub fn new(kubeconfig: &Path) -> Result<Self, MissingBinary> {
        Ok(Self {
            binary: binary("kubectl-multicloud")?,
            kubeconfig: kubeconfig.to_owned(),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .env_remove("KUBECONFIG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        command
    }

    /// Runs the plugin with `args` to the end (at most [`RUN_TIMEOUT`]).
    pub async fn run(&self, args: &[&str]) -> Run {
        self.spawn(args).finish().await
    }

    /// Starts the plugin with `args`, for a run that goes on while the test acts.
    pub fn spawn(&self, args: &[&str]) -> Running {
        let child = self
            .command(args)
            .spawn()
            .expect("kubectl-multicloud starts");
        Running {
            child,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
        }
    }
}

/// A run in progress; killed if dropped before it finished. With `MULTICLOUD_E2E_SHOW_LOGS`
/// set, every finished run is printed.
pub struct Running {
    child: Child,
    args: Vec<String>,
}

impl Running {
    /// Waits for the run to end (at most [`RUN_TIMEOUT`]).
    pub async fn finish(self) -> Run {
        let args = self.args;
        let output = tokio::time::timeout(RUN_TIMEOUT, self.child.wait_with_output())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "kubectl-multicloud {} ran longer than {RUN_TIMEOUT:?}",
                    args.join(" ")
                )
            })
            .expect("kubectl-multicloud runs");
        let run = Run {
            args,
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        if std::env::var_os("MULTICLOUD_E2E_SHOW_LOGS").is_some() {
            eprintln!("{run}");
        }
        run
    }
}
