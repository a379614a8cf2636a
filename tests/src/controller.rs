//! The built `multicloud-controller` run as a process against a control plane.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use multicloud_testenv::ControlPlane;

use crate::wait::eventually;

mod metrics;

pub use metrics::{Counters, http_get, scrape};

/// Flags that make the controller react fast enough for a test: short polls and a short Lease.
/// The Lease is 6 s, not shorter: its holder gives up after two thirds of it without a renewal,
/// and on a loaded 2-core machine running two control planes an API server answer can take
/// a couple of seconds; a shorter Lease made the holder step down in the middle of tests.
pub const FAST: &[&str] = &[
    "--poll-interval",
    "1",
    "--member-interval",
    "1",
    "--lease-duration",
    "6",
    "--remote-timeout",
    "5",
];

/// The built `multicloud-controller` running against a control plane; killed on drop. Its log
/// is printed when the test fails, or always with `MULTICLOUD_E2E_SHOW_LOGS` set.
pub struct Controller {
    child: Child,
    log: PathBuf,
}

impl Controller {
    /// Starts the controller with the admin kubeconfig of `plane`, the [`FAST`] flags and
    /// `extra` flags; `name` tells replicas apart in the Lease and names the log.
    pub fn start(plane: &ControlPlane, name: &str, extra: &[&str]) -> Self {
        Self::start_with_kubeconfig(plane, name, plane.kubeconfig_path(), extra)
    }

    /// Like [`Controller::start`], with another kubeconfig for `plane`.
    pub fn start_with_kubeconfig(
        plane: &ControlPlane,
        name: &str,
        kubeconfig: &std::path::Path,
        extra: &[&str],
    ) -> Self {
        let flags: Vec<&str> = FAST.iter().chain(extra).copied().collect();
        Self::spawn(plane, name, kubeconfig, &flags)
    }

    /// Starts the controller with exactly `flags` (besides kubeconfig, identity and a free
    /// metrics port). `MULTICLOUD_CONTROLLER_BINARY` names another build to run.
    pub fn spawn(
        plane: &ControlPlane,
        name: &str,
        kubeconfig: &std::path::Path,
        flags: &[&str],
    ) -> Self {
        // The benchmark runs a release build from a debug test binary.
        let binary = match std::env::var_os("MULTICLOUD_CONTROLLER_BINARY") {
            Some(path) => PathBuf::from(path),
            None => crate::binary("multicloud-controller").expect("controller is built"),
        };
        let log = plane.dir().join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file is created");
        let child = Command::new(binary)
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .args(["--metrics-address", "127.0.0.1:0", "--identity", name])
            .args(flags)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG")
                    .unwrap_or_else(|_| "info,multicloud_controller=debug".into()),
            )
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file handle"))
            .stderr(file)
            .spawn()
            .expect("controller starts");
        Self { child, log }
    }

    /// Kills the process at once, as a node failure would: no Lease release, no clean-up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the process ended, if it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The address of `/metrics`, once the controller has logged it.
    pub async fn metrics_address(&self) -> String {
        eventually("the metrics address in the log", || async {
            let log = self.log();
            log.lines()
                .find(|line| line.contains("serving /healthz"))
                .and_then(|line| line.split("address=").nth(1))
                .map(|rest| {
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .ok_or_else(|| "not logged yet".to_owned())
        })
        .await
    }

    /// What the controller logged so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() || std::env::var_os("MULTICLOUD_E2E_SHOW_LOGS").is_some() {
            eprintln!("--- {} ---\n{}", self.log.display(), self.log());
        }
    }
}
