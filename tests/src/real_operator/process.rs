//! The karmada-operator binary run as a process against a test control plane.

use std::fs::OpenOptions;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use multicloud_testenv::ControlPlane;

use super::RealOperatorSetup;

/// Where every proxy variable points: a closed port on 127.0.0.1. A download the cache did not
/// prevent then fails at once instead of leaving the machine; the API server on 127.0.0.1 is
/// never proxied (Go's `ProxyFromEnvironment` skips loopback addresses).
const NOWHERE: &str = "http://127.0.0.1:9";

/// karmada-operator running against a control plane; killed on drop. Its log is printed when
/// the test fails, or always with `MULTICLOUD_E2E_SHOW_LOGS` set.
pub struct RealOperator {
    setup: RealOperatorSetup,
    kubeconfig: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl RealOperator {
    /// Starts the operator with the admin kubeconfig of `plane`: no leader election (which
    /// would need `karmada-system`), no metrics or health listener (their defaults bind every
    /// address), verbose enough to show each workflow step.
    pub fn start(setup: &RealOperatorSetup, plane: &ControlPlane) -> Self {
        let mut operator = Self {
            setup: setup.clone(),
            kubeconfig: plane.kubeconfig_path().to_path_buf(),
            log: plane.dir().join("karmada-operator.log"),
            child: None,
        };
        operator.spawn();
        operator
    }

    fn spawn(&mut self) {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("operator log is opened");
        let child = Command::new(&self.setup.binary)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args([
                "--leader-elect=false",
                "--metrics-bind-address=0",
                "--health-probe-bind-address=0",
                "--v=4",
            ])
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("KUBERNETES_SERVICE_PORT")
            .envs(
                ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]
                    .map(|name| (name, NOWHERE)),
            )
            .envs(["NO_PROXY", "no_proxy"].map(|name| (name, "")))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file handle"))
            .stderr(file)
            .spawn()
            .expect("karmada-operator starts");
        self.child = Some(child);
    }

    /// Kills the process at once (an operator crash or a node failure) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the operator and starts it again. An operator works on one CR at a time, and
    /// without a kubelet each run waits 120 s for etcd's pods (`operator/pkg/tasks/init/wait.go`):
    /// a restart is how a test gets the next run of a CR it changed or deleted without that wait.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// How the process ended, if it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten())
    }

    /// What the operator logged so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = std::fs::File::open(&self.log) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }
}

impl Drop for RealOperator {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() || std::env::var_os("MULTICLOUD_E2E_SHOW_LOGS").is_some() {
            eprintln!("--- {} ---\n{}", self.log.display(), self.log());
        }
    }
}
