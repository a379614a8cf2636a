//! A real single-node cluster, for tests that need pods to run: etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler, containerd, kubelet and kube-proxy, all inside a
//! network namespace made for it, so that the node's, the pods' and the Services' addresses
//! exist there only. The test reaches the API server through a forwarder on the host's
//! 127.0.0.1 (see [`netns`]).
//!
//! It needs root (network namespaces, mounts, cgroups), Debian's containerd, runc and
//! containernetworking-plugins, and kubelet, kube-scheduler, kube-proxy and the pause image
//! next to kube-apiserver: `scripts/install-node.sh` installs all of it.
//!
//! Dropping a [`NodeCluster`] stops everything, bounded in time: kube-proxy and kubelet, then
//! the containers (every process in the node's cgroup root), containerd and its shims, the
//! control plane; then it unmounts what is mounted under its directory, removes its cgroups and
//! deletes the namespace.

mod cleanup;
mod config;
mod netns;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::Api;
use tokio::time::Instant;

use crate::Error;
use crate::binaries::{Binaries, kubernetes_minor_version, supports_flag};
use crate::certs::Certs;
use crate::components::{self, flag, path_flag};
use crate::health::{Check, wait_ready};
use crate::kubeconfig;
use crate::process::Process;

pub use config::NODE_NAME;
use config::{Layout, ports};
use netns::{Dialer, Forward, Netns};

/// How to start a [`NodeCluster`].
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// OCI archives to import into containerd's `k8s.io` namespace (the images the test's pods
    /// run), besides the pause image, which is always imported.
    pub images: Vec<PathBuf>,
    /// Bound on each component becoming ready, and on the node becoming Ready.
    pub start_timeout: Duration,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            images: Vec::new(),
            start_timeout: Duration::from_secs(90),
        }
    }
}

/// A running single-node cluster. See the [module](self) documentation.
pub struct NodeCluster {
    client: kube::Client,
    running: Running,
}

/// Everything a node runs and made, taken away on drop.
struct Running {
    // Stopped in this order by `teardown`.
    kube_proxy: Option<Process>,
    kubelet: Option<Process>,
    containerd: Option<Process>,
    scheduler: Option<Process>,
    controller_manager: Option<Process>,
    apiserver: Option<Process>,
    etcd: Option<Process>,
    cgroup_root: Option<String>,
    forwards: Vec<Forward>,
    netns: Option<Netns>,
    layout: Layout,
    kubeconfig_path: PathBuf,
    apiserver_port: u16,
    /// Keep the directory (its logs) after a failed start.
    keep_dir: bool,
    dir: PathBuf,
}

impl std::fmt::Debug for NodeCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeCluster")
            .field("server_url", &self.server_url())
            .field("dir", &self.dir())
            .finish_non_exhaustive()
    }
}

/// The binaries a node runs besides the control plane's.
struct NodeBinaries {
    kube_scheduler: PathBuf,
    kubelet: PathBuf,
    kube_proxy: PathBuf,
    pause_archive: PathBuf,
}

impl NodeBinaries {
    /// Next to kube-apiserver, where scripts/install-control-plane.sh and install-node.sh put
    /// them.
    fn next_to(binaries: &Binaries) -> Result<Self, Error> {
        let dir = binaries
            .kube_apiserver
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let find = |name: &'static str| {
            let path = dir.join(name);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::BinaryMissing {
                    binary: name,
                    message: format!(
                        "{} does not exist: run scripts/install-node.sh, which builds kubelet, \
                         kube-scheduler, kube-proxy and the pause image next to kube-apiserver \
                         and installs containerd, runc and the CNI plugins",
                        path.display()
                    ),
                })
            }
        };
        Ok(Self {
            kube_scheduler: find("kube-scheduler")?,
            kubelet: find("kubelet")?,
            kube_proxy: find("kube-proxy")?,
            pause_archive: find(config::PAUSE_ARCHIVE)?,
        })
    }
}

impl NodeCluster {
    /// Starts a node cluster as `options` say: about 30 s on two cores.
    ///
    /// On failure everything already started is stopped and taken away, except the directory
    /// with the logs, which the error names.
    pub async fn start(options: NodeOptions) -> Result<Self, Error> {
        crate::install_crypto_provider();
        if !rustix::process::geteuid().is_root() {
            return Err(Error::io(
                "a node cluster needs root (it makes a network namespace, mounts and cgroups)",
                std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            ));
        }
        let binaries = Binaries::from_env()?;
        let controller_manager =
            binaries
                .kube_controller_manager
                .clone()
                .ok_or_else(|| Error::BinaryMissing {
                    binary: "kube-controller-manager",
                    message: "a node cluster needs kube-controller-manager (Deployments, \
                          ServiceAccount tokens): run scripts/install-node.sh"
                        .into(),
                })?;
        let node_binaries = NodeBinaries::next_to(&binaries)?;
        let dir = tempfile::Builder::new()
            .prefix("multicloud-node-")
            .tempdir()
            .map_err(|source| Error::io("failed to create a temporary directory", source))?
            // Removed by `Running`'s drop, after the unmounts.
            .keep();
        let suffix: String = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .rev()
            .take(6)
            .collect();
        let mut running = Running {
            kube_proxy: None,
            kubelet: None,
            containerd: None,
            scheduler: None,
            controller_manager: None,
            apiserver: None,
            etcd: None,
            cgroup_root: None,
            forwards: Vec::new(),
            netns: None,
            layout: Layout::new(&dir),
            kubeconfig_path: dir.join("admin.kubeconfig"),
            apiserver_port: 0,
            keep_dir: false,
            dir,
        };
        let started = running
            .start_all(
                &format!("mc-{suffix}"),
                &binaries,
                &controller_manager,
                &node_binaries,
                &options,
            )
            .await;
        match started {
            Ok(client) => Ok(Self { client, running }),
            Err(err) => {
                // Dropping `running` stops everything; the logs, which the error points at, stay.
                running.keep_dir = true;
                Err(err)
            }
        }
    }

    /// Imports an OCI archive into the node's containerd (`ctr -n k8s.io images import`), for
    /// pods to run it (with `imagePullPolicy: IfNotPresent` or `Never`; no registry is
    /// reachable).
    pub fn import_image(&self, archive: &Path) -> Result<(), Error> {
        self.running.import_image(archive)
    }

    /// A client authenticated as cluster admin.
    pub fn client(&self) -> kube::Client {
        self.client.clone()
    }

    /// The admin kubeconfig file (server `https://127.0.0.1:<forwarded port>`), for processes
    /// the test runs on the host, such as the plugin.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.running.kubeconfig_path
    }

    /// The API server's URL as the test reaches it.
    pub fn server_url(&self) -> String {
        self.running.server_url()
    }

    /// The node's network namespace, `/run/netns/<name>`, for `nsenter --net=<it>`.
    pub fn network_namespace(&self) -> Option<&Path> {
        self.running.netns.as_ref().map(Netns::path)
    }

    /// The node's cgroup root (kubelet's `--cgroup-root`), e.g. `/multicloud-testenv-abc123`.
    pub fn cgroup_root(&self) -> Option<&str> {
        self.running.cgroup_root.as_deref()
    }

    /// The directory with every component's log (`kubelet.log`, `containerd.log`, ...).
    pub fn dir(&self) -> &Path {
        &self.running.dir
    }
}

impl Running {
    async fn start_all(
        &mut self,
        netns_name: &str,
        binaries: &Binaries,
        controller_manager: &Path,
        node: &NodeBinaries,
        options: &NodeOptions,
    ) -> Result<kube::Client, Error> {
        let timeout = options.start_timeout;
        let dir = self.dir.clone();
        let netns = self.netns.insert(Netns::create(netns_name)?);
        let dialer = Dialer::new(netns)?;
        let certs = Certs::generate(&dir)?;

        // etcd.
        let etcd_url = format!("http://127.0.0.1:{}", ports::ETCD_CLIENT);
        let peer_url = format!("http://127.0.0.1:{}", ports::ETCD_PEER);
        let mut args = vec![
            flag("name", "default"),
            path_flag("data-dir", &dir.join("etcd-data")),
            flag("listen-client-urls", &etcd_url),
            flag("advertise-client-urls", &etcd_url),
            flag("listen-peer-urls", &peer_url),
            flag("initial-advertise-peer-urls", &peer_url),
            flag("initial-cluster", format!("default={peer_url}")),
        ];
        if supports_flag(&binaries.etcd, "--unsafe-no-fsync")? {
            args.push("--unsafe-no-fsync".into());
        }
        let etcd = self.start_process("etcd", &binaries.etcd, args, components::etcd_env())?;
        let forward = Forward::start(&dialer, ports::ETCD_CLIENT).await?;
        let health = kubeconfig::health_client(&format!("http://127.0.0.1:{}", forward.port()))?;
        wait_ready(etcd, Check::etcd(&health, &peer_url), timeout).await?;
        self.forwards.push(forward);

        // kube-apiserver, published to the test by a forwarder.
        let insecure =
            components::has_insecure_port(kubernetes_minor_version(&binaries.kube_apiserver)?);
        let args = components::apiserver_args(
            insecure,
            &dir,
            &certs,
            &etcd_url,
            ports::APISERVER,
            Some(netns::NODE_IP),
        );
        let apiserver = Forward::start(&dialer, ports::APISERVER).await?;
        self.apiserver_port = apiserver.port();
        let outer = kubeconfig::render(
            &self.server_url(),
            &certs.ca_pem,
            &certs.admin_cert_pem,
            &certs.admin_key_pem,
        );
        let inner = kubeconfig::render(
            &format!("https://127.0.0.1:{}", ports::APISERVER),
            &certs.ca_pem,
            &certs.admin_cert_pem,
            &certs.admin_key_pem,
        );
        write(&self.kubeconfig_path, &outer)?;
        write(&self.layout.inner_kubeconfig, &inner)?;
        let client = kubeconfig::client(&outer).await?;
        let process =
            self.start_process("kube-apiserver", &binaries.kube_apiserver, args, Vec::new())?;
        wait_ready(process, components::readyz(&client), timeout).await?;
        self.forwards.push(apiserver);

        // kube-controller-manager and kube-scheduler.
        let args = components::controller_manager_args(
            &dir,
            &certs,
            &self.layout.inner_kubeconfig,
            ports::CONTROLLER_MANAGER,
            insecure,
        );
        let process = self.start_process(
            "kube-controller-manager",
            controller_manager,
            args,
            Vec::new(),
        )?;
        let forward = wait_healthz(
            process,
            &dialer,
            "https",
            ports::CONTROLLER_MANAGER,
            timeout,
        )
        .await?;
        self.forwards.push(forward);
        let args = config::scheduler_args(&self.layout, &dir);
        let process =
            self.start_process("kube-scheduler", &node.kube_scheduler, args, Vec::new())?;
        let forward = wait_healthz(process, &dialer, "https", ports::SCHEDULER, timeout).await?;
        self.forwards.push(forward);

        // containerd, with the images.
        let cgroup_root = format!("/multicloud-testenv-{suffix}", suffix = &netns_name[3..]);
        cleanup::create_cgroup_root(&cgroup_root)?;
        self.cgroup_root = Some(cgroup_root.clone());
        create_dirs(&[
            &self.layout.containerd_root,
            &self.layout.containerd_state,
            &self.layout.cni_conf_dir,
            &self.layout.cni_data_dir,
            &self.layout.kubelet_root,
        ])?;
        write(
            &self.layout.containerd_config,
            &config::containerd_toml(&self.layout, &dir),
        )?;
        write(
            &self
                .layout
                .cni_conf_dir
                .join("10-multicloud-testenv.conflist"),
            &config::cni_conflist(&self.layout),
        )?;
        let args = vec![path_flag("config", &self.layout.containerd_config)];
        self.start_process("containerd", Path::new("containerd"), args, Vec::new())?;
        self.wait_containerd(timeout).await?;
        let mut images = vec![node.pause_archive.clone()];
        images.extend(options.images.iter().cloned());
        for archive in &images {
            self.import_image(archive)?;
        }

        // kubelet, then the node must become Ready.
        let args = config::kubelet_args(&self.layout, &cgroup_root);
        let process = self.start_process("kubelet", &node.kubelet, args, Vec::new())?;
        let forward =
            wait_healthz(process, &dialer, "http", ports::KUBELET_HEALTHZ, timeout).await?;
        self.forwards.push(forward);
        self.wait_node_ready(&client, timeout).await?;

        // kube-proxy.
        let args = config::kube_proxy_args(&self.layout);
        let process = self.start_process("kube-proxy", &node.kube_proxy, args, Vec::new())?;
        let forward = Forward::start(&dialer, ports::KUBE_PROXY_HEALTHZ).await?;
        let health = kubeconfig::health_client(&format!("http://127.0.0.1:{}", forward.port()))?;
        wait_ready(
            process,
            Check::answering(&health, "/healthz", "lastUpdated"),
            timeout,
        )
        .await?;
        self.forwards.push(forward);
        Ok(client)
    }

    /// Starts `program` inside the namespace, its log in `<dir>/<name>.log`, and keeps it in
    /// the field for `name`.
    fn start_process(
        &mut self,
        name: &'static str,
        program: &Path,
        args: Vec<OsString>,
        env: Vec<(&'static str, String)>,
    ) -> Result<&mut Process, Error> {
        let netns = self
            .netns
            .as_ref()
            .ok_or_else(|| Error::io("no network namespace", std::io::Error::other(name)))?;
        let (program, args) = netns.wrap(program, args);
        let log = self.dir.join(format!("{name}.log"));
        let process = Process::start(name, &program, args, env, log)?;
        let slot = match name {
            "etcd" => &mut self.etcd,
            "kube-apiserver" => &mut self.apiserver,
            "kube-controller-manager" => &mut self.controller_manager,
            "kube-scheduler" => &mut self.scheduler,
            "containerd" => &mut self.containerd,
            "kubelet" => &mut self.kubelet,
            _ => &mut self.kube_proxy,
        };
        Ok(slot.insert(process))
    }

    async fn wait_containerd(&mut self, timeout: Duration) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(process) = self.containerd.as_mut()
                && let Some(status) = process.exit_status()
            {
                return Err(Error::Exited {
                    component: "containerd",
                    status,
                    log: process.log().to_path_buf(),
                    log_tail: process.log_tail(),
                });
            }
            if self.ctr(&["version"]).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                let process = self.containerd.as_ref();
                return Err(Error::NotReady {
                    component: "containerd",
                    timeout,
                    last_check: "ctr version".into(),
                    log: process.map(|p| p.log().to_path_buf()).unwrap_or_default(),
                    log_tail: process.map(Process::log_tail).unwrap_or_default(),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn wait_node_ready(&self, client: &kube::Client, timeout: Duration) -> Result<(), Error> {
        let nodes: Api<Node> = Api::all(client.clone());
        let deadline = Instant::now() + timeout;
        let mut last = String::from("not registered");
        loop {
            if let Ok(Some(node)) = nodes.get_opt(NODE_NAME).await {
                let conditions = node.status.and_then(|s| s.conditions).unwrap_or_default();
                if conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
                {
                    return Ok(());
                }
                last = conditions
                    .iter()
                    .map(|c| {
                        format!(
                            "{}={} ({})",
                            c.type_,
                            c.status,
                            c.message.as_deref().unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
            }
            if Instant::now() > deadline {
                let kubelet = self.kubelet.as_ref();
                return Err(Error::NotReady {
                    component: "kubelet",
                    timeout,
                    last_check: format!("node {NODE_NAME}: {last}"),
                    log: kubelet.map(|p| p.log().to_path_buf()).unwrap_or_default(),
                    log_tail: kubelet.map(Process::log_tail).unwrap_or_default(),
                });
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Runs `ctr --address <socket> -n k8s.io args` (ctr needs no namespace: it talks to the
    /// socket).
    fn ctr(&self, args: &[&str]) -> Result<String, Error> {
        let output = Command::new("ctr")
            .arg("--address")
            .arg(&self.layout.containerd_socket)
            .args(["--timeout", "30s", "-n", "k8s.io"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::io("failed to run ctr", source))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(Error::io(
                format!("ctr {} failed", args.join(" ")),
                std::io::Error::other(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
            ))
        }
    }

    fn import_image(&self, archive: &Path) -> Result<(), Error> {
        let archive = archive.to_string_lossy();
        self.ctr(&["images", "import", &archive]).map(drop)
    }

    /// Kills and deletes every task of containerd's `k8s.io` namespace (the pods' containers
    /// and sandboxes), bounded by ctr's timeout.
    fn delete_tasks(&self) {
        let Ok(tasks) = self.ctr(&["tasks", "list", "--quiet"]) else {
            return;
        };
        for task in tasks.lines().map(str::trim).filter(|t| !t.is_empty()) {
            let _ = self.ctr(&["tasks", "delete", "--force", task]);
        }
    }

    /// The ids of containerd's containers (the pods' sandboxes among them).
    fn container_ids(&self) -> Vec<String> {
        self.ctr(&["containers", "list", "--quiet"])
            .map(|ids| {
                ids.lines()
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn server_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.apiserver_port)
    }

    /// Stops everything and takes away what it left; see the [module](self) documentation.
    fn teardown(&mut self) {
        for process in [&mut self.kube_proxy, &mut self.kubelet] {
            if let Some(mut process) = process.take() {
                process.stop();
            }
        }
        // The containers: deleted through containerd, so that their shims exit and clean up
        // after themselves; whatever is left in the cgroup root is killed. Then containerd, and
        // the shims that outlive it.
        let shims = cleanup::shim_pids(&self.layout.containerd_state);
        let mut sandboxes = Vec::new();
        if self.containerd.is_some() {
            sandboxes = self.container_ids();
            self.delete_tasks();
        }
        if let Some(root) = &self.cgroup_root {
            cleanup::remove_cgroup_root(root);
        }
        if let Some(mut containerd) = self.containerd.take() {
            containerd.stop();
        }
        let socket = &self.layout.containerd_socket;
        cleanup::kill_shims(&shims, socket);
        cleanup::kill_shims(&cleanup::shim_pids(&self.layout.containerd_state), socket);
        for process in [
            &mut self.scheduler,
            &mut self.controller_manager,
            &mut self.apiserver,
            &mut self.etcd,
        ] {
            if let Some(mut process) = process.take() {
                process.stop();
            }
        }
        self.forwards.clear();
        cleanup::unmount_below(&self.dir);
        // Deleted without CRI, the sandboxes were never torn down by CNI, which would have
        // removed the results it cached for them on the host.
        cleanup::remove_cni_results(&sandboxes);
        cleanup::remove_pod_logs(&cleanup::pod_uids(&self.layout.kubelet_root));
        if let Some(root) = self.cgroup_root.take() {
            cleanup::remove_cgroup_root(&root);
        }
        if let Some(netns) = self.netns.take() {
            netns.delete();
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.teardown();
        if self.keep_dir || std::thread::panicking() {
            // A failing test: keep the logs for the post-mortem, not the store and the images.
            let _ = std::fs::remove_dir_all(self.dir.join("etcd-data"));
            let _ = std::fs::remove_dir_all(&self.layout.containerd_root);
            eprintln!("node cluster logs kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Waits for a component's `/healthz` on `port` inside the namespace, over `scheme` (`https`
/// with a self-signed certificate, or `http`), and returns the forwarder it was reached by.
async fn wait_healthz(
    process: &mut Process,
    dialer: &Dialer,
    scheme: &str,
    port: u16,
    timeout: Duration,
) -> Result<Forward, Error> {
    let forward = Forward::start(dialer, port).await?;
    let health = kubeconfig::health_client(&format!("{scheme}://127.0.0.1:{}", forward.port()))?;
    wait_ready(process, Check::kubernetes(&health, "/healthz"), timeout).await?;
    Ok(forward)
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text)
        .map_err(|source| Error::io(format!("failed to write {}", path.display()), source))
}

fn create_dirs(dirs: &[&Path]) -> Result<(), Error> {
    for dir in dirs {
        std::fs::create_dir_all(dir)
            .map_err(|source| Error::io(format!("failed to create {}", dir.display()), source))?;
    }
    Ok(())
}
