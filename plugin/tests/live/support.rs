//! A real kube-apiserver with the instance CRD, and the built plugin run against it as a user
//! runs it: a process in a scratch `$HOME` (no kubeconfig of the machine is read), bounded in
//! time, stopped by its handle.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube::api::{Api, PostParams};
use multicloud_api::{MulticloudInstance, MulticloudInstanceSpec};
use multicloud_testenv::{ControlPlane, ControllerManager, Options, apply_crd};

/// A run that has not ended by then is a hang.
pub const HANG: Duration = Duration::from_secs(60);

/// A global cluster with the instance CRD served, and a scratch directory for the runs.
pub struct Live {
    pub plane: ControlPlane,
    pub home: tempfile::TempDir,
}

/// How a run ended.
#[derive(Debug)]
pub struct Outcome {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Panics, showing the run, unless it exited with `status`.
    pub fn expect_status(&self, status: i32) -> &Self {
        assert_eq!(self.status, status, "{self:#?}");
        self
    }
}

impl Live {
    /// Starts the API server (no controller manager: nothing here needs one) and serves the CRD.
    pub async fn start() -> Self {
        let plane = ControlPlane::start_with(Options {
            controller_manager: ControllerManager::Disabled,
            ..Options::default()
        })
        .await
        .expect("control plane starts");
        apply_crd(&plane.client(), &multicloud_api::crd::crd())
            .await
            .expect("instance CRD is served");
        Self {
            plane,
            home: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// Creates instance `name` with `labels` directly (there is no webhook here).
    pub async fn instance(&self, name: &str, labels: &[(&str, &str)]) {
        let mut instance = MulticloudInstance::new(name, MulticloudInstanceSpec::default());
        instance.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        Api::<MulticloudInstance>::all(self.plane.client())
            .create(&PostParams::default(), &instance)
            .await
            .expect("instance is created");
    }

    /// Writes `name` into the scratch directory; returns its path.
    pub fn file(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, contents).expect("test file is written");
        path
    }

    /// The admin kubeconfig's path, as text for arguments.
    pub fn kubeconfig(&self) -> String {
        path_text(self.plane.kubeconfig_path())
    }

    /// The plugin with `args`, in the scratch `$HOME`, with no `$KUBECONFIG`.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kubectl-multicloud"));
        command
            .args(args)
            .current_dir(self.home.path())
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs the plugin with `args` to its end, bounded by [`HANG`].
    pub fn run(&self, args: &[&str]) -> Outcome {
        finish(self.command(args).spawn().expect("the plugin starts"), args)
    }

    /// Runs the plugin with the admin kubeconfig and `args`.
    pub fn admin(&self, args: &[&str]) -> Outcome {
        let kubeconfig = self.kubeconfig();
        let mut all = vec!["--kubeconfig", kubeconfig.as_str()];
        all.extend_from_slice(args);
        self.run(&all)
    }
}

/// Waits for `child` to end, bounded by [`HANG`], and collects its output.
pub fn finish(mut child: Child, args: &[&str]) -> Outcome {
    let started = Instant::now();
    while child.try_wait().expect("wait for the plugin").is_none() {
        if started.elapsed() > HANG {
            let _ = child.kill();
            panic!("`{}` did not end within {HANG:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = child.stdout.take() {
        let _ = out.read_to_string(&mut stdout);
    }
    if let Some(mut err) = child.stderr.take() {
        let _ = err.read_to_string(&mut stderr);
    }
    Outcome {
        status: child.wait().ok().and_then(|s| s.code()).unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// A path as text, for arguments.
pub fn path_text(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_owned()
}
