//! The project's envtest: a real Kubernetes control plane (etcd, kube-apiserver and, when
//! available, kube-controller-manager) on 127.0.0.1 for integration tests.
//!
//! Every [`ControlPlane`] has its own free ports, temporary directory and certificates, so
//! several can run at once in one test process and across parallel test processes. Dropping it
//! stops every process (also while a failing test unwinds) and removes the directory.
//!
//! ```no_run
//! # async fn example() -> Result<(), multicloud_testenv::Error> {
//! use k8s_openapi::api::core::v1::Namespace;
//! use kube::api::{Api, ListParams};
//!
//! let cluster = multicloud_testenv::ControlPlane::start().await?;
//! let namespaces: Api<Namespace> = Api::all(cluster.client());
//! let list = namespaces.list(&ListParams::default()).await;
//! # Ok(())
//! # }
//! ```
//!
//! Binaries are found as described on [`Binaries::from_env`].
//!
//! For tests that need pods to run, [`NodeCluster`] adds a real node (kube-scheduler,
//! containerd, kubelet, kube-proxy) in a network namespace of its own; see [`node`].

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod binaries;
mod certs;
mod components;
mod crd;
mod error;
mod health;
mod kubeconfig;
pub mod node;
pub mod pki;
mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tempfile::TempDir;

pub use binaries::{Binaries, DEFAULT_VERSION};
pub use crd::apply_crd;
pub use error::Error;
pub use node::{NodeCluster, NodeOptions};

use certs::Certs;
use process::Process;

/// Whether to run kube-controller-manager, which finalizes deleted namespaces and
/// garbage-collects objects whose owners are gone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ControllerManager {
    /// Run it when its binary was found; see [`ControlPlane::has_controller_manager`].
    #[default]
    IfAvailable,
    /// Fail to start when its binary was not found.
    Required,
    /// Do not run it.
    Disabled,
}

/// How to start a [`ControlPlane`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Whether to run kube-controller-manager.
    pub controller_manager: ControllerManager,
    /// Binaries to run; `None` locates them with [`Binaries::from_env`].
    pub binaries: Option<Binaries>,
    /// Bound on each component becoming ready.
    pub start_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            controller_manager: ControllerManager::IfAvailable,
            binaries: None,
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// A running control plane. Dropping it stops its processes (SIGTERM, then SIGKILL after
/// 3 s; about 1 s in practice, blocking the dropping thread) and deletes its directory.
pub struct ControlPlane {
    // Stopped in this order by `Drop`: the controller manager first, so it does not log
    // connection errors about a vanished apiserver, then the apiserver, then its store.
    controller_manager: Option<components::ControllerManager>,
    apiserver: Process,
    etcd: Process,
    client: kube::Client,
    kubeconfig_yaml: String,
    kubeconfig_path: PathBuf,
    ca_pem: String,
    apiserver_port: u16,
    start_timeout: Duration,
    // Removed after the processes are gone (fields drop after `Drop::drop`).
    dir: TempDir,
}

impl std::fmt::Debug for ControlPlane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlPlane")
            .field("server_url", &self.server_url())
            .field("dir", &self.dir.path())
            .field("pids", &self.pids())
            .finish_non_exhaustive()
    }
}

impl ControlPlane {
    /// Starts etcd, kube-apiserver and, when its binary is available, kube-controller-manager.
    pub async fn start() -> Result<Self, Error> {
        Self::start_with(Options::default()).await
    }

    /// Starts a control plane as `options` say. Takes about 4 s (6 s with the controller
    /// manager) on two cores.
    ///
    /// When a component fails to start, everything already started is stopped and the error
    /// quotes the tail of the failing component's log; the directory with all logs is then
    /// kept (the error names it) and must be removed by hand.
    pub async fn start_with(options: Options) -> Result<Self, Error> {
        install_crypto_provider();
        let binaries = match options.binaries {
            Some(binaries) => binaries,
            None => Binaries::from_env()?,
        };
        let controller_manager = match options.controller_manager {
            ControllerManager::Disabled => None,
            ControllerManager::IfAvailable => binaries.kube_controller_manager.clone(),
            ControllerManager::Required => Some(
                binaries
                    .kube_controller_manager
                    .clone()
                    .ok_or_else(controller_manager_missing)?,
            ),
        };
        let timeout = options.start_timeout;
        let dir = tempfile::Builder::new()
            .prefix("multicloud-testenv-")
            .tempdir()
            .map_err(|source| Error::io("failed to create a temporary directory", source))?;
        let started = start_in(dir.path(), &binaries, controller_manager, timeout).await;
        let started = match started {
            Ok(started) => started,
            Err(err) => {
                // The processes are stopped; keep their logs (which the error points at) for
                // the post-mortem, but not the store.
                let _ = std::fs::remove_dir_all(dir.path().join("etcd-data"));
                let _ = dir.keep();
                return Err(err);
            }
        };
        Ok(Self {
            controller_manager: started.controller_manager,
            apiserver: started.apiserver.process,
            etcd: started.etcd,
            client: started.apiserver.client,
            kubeconfig_yaml: started.apiserver.kubeconfig,
            kubeconfig_path: started.kubeconfig_path,
            ca_pem: started.ca_pem,
            apiserver_port: started.apiserver.port,
            start_timeout: timeout,
            dir,
        })
    }

    /// A client authenticated as cluster admin (group `system:masters`).
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The admin kubeconfig file, for processes run by a test (`--kubeconfig`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    /// The admin kubeconfig as YAML, with certificates embedded.
    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig_yaml.clone()
    }

    /// The API server's URL, `https://127.0.0.1:<port>`.
    pub fn server_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.apiserver_port)
    }

    /// PEM of the CA that signed the API server's serving certificate and the admin client
    /// certificate (also the API server's client CA).
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// Whether kube-controller-manager runs, i.e. whether deleted namespaces are finalized and
    /// orphaned dependents garbage-collected.
    pub fn has_controller_manager(&self) -> bool {
        self.controller_manager.is_some()
    }

    /// The directory holding certificates, the kubeconfig, etcd's data and each component's
    /// log (`etcd.log`, `kube-apiserver.log`, `kube-controller-manager.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Component names and process ids of the running components.
    pub fn pids(&self) -> Vec<(&'static str, u32)> {
        [
            Some(&self.etcd),
            Some(&self.apiserver),
            self.controller_manager.as_ref().map(|c| &c.process),
        ]
        .into_iter()
        .flatten()
        .filter_map(|process| Some((process.name(), process.pid()?)))
        .collect()
    }

    /// Stops the API server (SIGTERM, then SIGKILL after 3 s), leaving etcd and the
    /// controller manager running, to test how clients cope with an unreachable cluster.
    /// Blocks the calling thread until the process has exited.
    pub fn stop_apiserver(&mut self) {
        self.apiserver.stop();
    }

    /// Starts the API server again on the same port with the same etcd, certificates and
    /// flags (stopping it first if it runs), and waits until it is ready. Clients and
    /// kubeconfigs handed out before keep working.
    ///
    /// kube-controller-manager exits when the API server goes away before it has finished
    /// starting; it is then started again too, so that the control plane is whole.
    pub async fn restart_apiserver(&mut self) -> Result<(), Error> {
        self.start_apiserver_again().await?;
        if let Some(controller_manager) = &mut self.controller_manager
            && controller_manager.process.exit_status().is_some()
        {
            controller_manager.process.restart()?;
            controller_manager.wait_ready(self.start_timeout).await?;
        }
        Ok(())
    }

    async fn start_apiserver_again(&mut self) -> Result<(), Error> {
        // The port must stay the same; when another process took it meanwhile, wait for it.
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.apiserver.restart()?;
            let check = components::readyz(&self.client);
            match health::wait_ready(&mut self.apiserver, check, self.start_timeout).await {
                Ok(()) => return Ok(()),
                Err(err) if err.is_port_conflict() && attempt < components::PORT_ATTEMPTS => {
                    self.apiserver.stop();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(err) => return Err(err),
            }
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        if let Some(controller_manager) = &mut self.controller_manager {
            controller_manager.process.stop();
        }
        self.apiserver.stop();
        self.etcd.stop();
    }
}

/// The processes of a control plane that started.
struct Started {
    controller_manager: Option<components::ControllerManager>,
    apiserver: components::Apiserver,
    etcd: Process,
    kubeconfig_path: PathBuf,
    ca_pem: String,
}

async fn start_in(
    dir: &Path,
    binaries: &Binaries,
    controller_manager: Option<PathBuf>,
    timeout: Duration,
) -> Result<Started, Error> {
    let certs = Certs::generate(dir)?;
    let etcd = components::start_etcd(&binaries.etcd, dir, timeout).await?;
    let apiserver =
        components::start_apiserver(&binaries.kube_apiserver, dir, &certs, &etcd.url, timeout)
            .await?;
    let kubeconfig_path = dir.join("admin.kubeconfig");
    std::fs::write(&kubeconfig_path, &apiserver.kubeconfig).map_err(|source| {
        Error::io(
            format!("failed to write {}", kubeconfig_path.display()),
            source,
        )
    })?;
    let controller_manager = match controller_manager {
        Some(binary) => Some(
            components::start_controller_manager(&binary, dir, &certs, &kubeconfig_path, timeout)
                .await?,
        ),
        None => None,
    };
    Ok(Started {
        controller_manager,
        apiserver,
        etcd: etcd.process,
        kubeconfig_path,
        ca_pem: certs.ca_pem,
    })
}

fn controller_manager_missing() -> Error {
    Error::BinaryMissing {
        binary: "kube-controller-manager",
        message: format!(
            "kube-controller-manager is required but was not found: run \
             scripts/install-control-plane.sh (it installs into \
             ${{MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/{DEFAULT_VERSION}}}), \
             put it into $KUBEBUILDER_ASSETS, or set TEST_ASSET_KUBE_CONTROLLER_MANAGER"
        ),
    }
}

/// kube's rustls client needs a process-wide crypto provider when more than one is compiled
/// in; install ring (the workspace's choice) unless a test already installed one.
fn install_crypto_provider() {
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race to another thread installing one is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
