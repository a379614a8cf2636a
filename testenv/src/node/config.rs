//! The node's configuration files and flags: containerd's, the CNI network's, kubelet's,
//! kube-scheduler's and kube-proxy's. Everything they write goes under the cluster's directory;
//! every port they open is in the network namespace.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::components::{flag, path_flag};
use crate::node::netns::NODE_IP;

/// Name of the node (kubelet's `--hostname-override`, kube-proxy's too).
pub const NODE_NAME: &str = "multicloud-node";

/// Pod addresses, from the bridge's host-local range. Inside the namespace only.
pub(crate) const POD_CIDR: &str = "10.88.0.0/16";

/// The sandbox image, under a local name so that no registry is ever asked for it: it is
/// imported from the archive scripts/install-node.sh writes.
pub(crate) const PAUSE_IMAGE: &str = "localhost/multicloud-testenv/pause:3.4";

/// The archive of the pause image in the binaries' directory.
pub(crate) const PAUSE_ARCHIVE: &str = "pause_3.4.oci.tar";

/// Where Debian's containernetworking-plugins are.
pub(crate) const CNI_BIN_DIR: &str = "/usr/lib/cni";

/// Ports inside the namespace (which is the node's own, so fixed ports never collide).
pub(crate) mod ports {
    pub const ETCD_CLIENT: u16 = 2379;
    pub const ETCD_PEER: u16 = 2380;
    pub const APISERVER: u16 = 6443;
    pub const CONTROLLER_MANAGER: u16 = 10257;
    pub const SCHEDULER: u16 = 10259;
    pub const KUBELET_HEALTHZ: u16 = 10248;
    pub const KUBE_PROXY_HEALTHZ: u16 = 10256;
}

/// Paths of one node under its directory.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub containerd_config: PathBuf,
    pub containerd_root: PathBuf,
    pub containerd_state: PathBuf,
    pub containerd_socket: PathBuf,
    pub cni_conf_dir: PathBuf,
    pub cni_data_dir: PathBuf,
    pub kubelet_root: PathBuf,
    /// Admin kubeconfig for the components inside the namespace (`https://127.0.0.1:6443`).
    pub inner_kubeconfig: PathBuf,
}

impl Layout {
    pub(crate) fn new(dir: &Path) -> Self {
        let containerd = dir.join("containerd");
        Self {
            containerd_config: containerd.join("config.toml"),
            containerd_root: containerd.join("root"),
            containerd_state: containerd.join("state"),
            containerd_socket: containerd.join("containerd.sock"),
            cni_conf_dir: dir.join("cni/net.d"),
            cni_data_dir: dir.join("cni/ipam"),
            kubelet_root: dir.join("kubelet"),
            inner_kubeconfig: dir.join("node.kubeconfig"),
        }
    }
}

/// containerd's configuration: its own root, state and socket; the CRI plugin with the pause
/// image, the cgroupfs driver, overlayfs, and the CNI configuration of this node; pod network
/// namespaces under its state directory, so that tearing down finds them all.
pub(crate) fn containerd_toml(layout: &Layout, dir: &Path) -> String {
    let root = layout.containerd_root.display();
    let state = layout.containerd_state.display();
    let socket = layout.containerd_socket.display();
    let conf_dir = layout.cni_conf_dir.display();
    let opt = dir.join("containerd/opt");
    let opt = opt.display();
    format!(
        r#"version = 2
root = "{root}"
state = "{state}"

[grpc]
  address = "{socket}"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE_IMAGE}"
  disable_tcp_service = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  enable_unprivileged_ports = false
  # These machines run the tests without CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj; kubelet asks -998 for every sandbox, and runc would fail ("can't get final
  # child's PID from pipe: EOF"). Clamped to containerd's own score instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{CNI_BIN_DIR}"
    conf_dir = "{conf_dir}"
    max_conf_num = 1
"#
    )
}

/// The pod network: a bridge that is the pods' gateway, addresses from host-local (its state
/// under the node's directory). containerd adds loopback to every pod itself.
pub(crate) fn cni_conflist(layout: &Layout) -> String {
    let data_dir = layout.cni_data_dir.display();
    format!(
        r#"{{
  "cniVersion": "0.4.0",
  "name": "multicloud-testenv",
  "plugins": [
    {{
      "type": "bridge",
      "bridge": "mc-pods",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {{
        "type": "host-local",
        "ranges": [[{{"subnet": "{POD_CIDR}"}}]],
        "routes": [{{"dst": "0.0.0.0/0"}}],
        "dataDir": "{data_dir}"
      }}
    }}
  ]
}}
"#
    )
}

/// kubelet's flags.
pub(crate) fn kubelet_args(layout: &Layout, cgroup_root: &str) -> Vec<OsString> {
    let endpoint = format!("unix://{}", layout.containerd_socket.display());
    vec![
        path_flag("kubeconfig", &layout.inner_kubeconfig),
        path_flag("root-dir", &layout.kubelet_root),
        path_flag("cert-dir", &layout.kubelet_root.join("pki")),
        path_flag(
            "volume-plugin-dir",
            &layout.kubelet_root.join("volume-plugins"),
        ),
        flag("container-runtime", "remote"),
        flag("container-runtime-endpoint", &endpoint),
        flag("image-service-endpoint", &endpoint),
        flag("runtime-request-timeout", "2m"),
        // cgroups v1 on these machines, and no systemd to delegate to.
        flag("cgroup-driver", "cgroupfs"),
        // A root of its own, so that two nodes (two test processes) never garbage-collect
        // each other's pod cgroups.
        flag("cgroup-root", cgroup_root),
        flag("fail-swap-on", false),
        flag("hostname-override", NODE_NAME),
        flag("node-ip", NODE_IP),
        flag("address", NODE_IP),
        flag("healthz-bind-address", "127.0.0.1"),
        flag("healthz-port", ports::KUBELET_HEALTHZ),
        flag("read-only-port", 0),
        flag("pod-infra-container-image", PAUSE_IMAGE),
        // The disk of a shared build machine may be nearly full; the defaults (imagefs < 15 %)
        // would taint the node and evict the pods, and image GC (above 85 % used) would delete
        // the imported images, which no registry can give back.
        flag(
            "eviction-hard",
            "memory.available<1Mi,nodefs.available<1%,imagefs.available<1%,nodefs.inodesFree<1%",
        ),
        flag("image-gc-high-threshold", 100),
        flag("image-gc-low-threshold", 99),
        flag("node-status-update-frequency", "4s"),
        flag("sync-frequency", "10s"),
        flag("v", 1),
    ]
}

/// kube-scheduler's flags.
pub(crate) fn scheduler_args(layout: &Layout, dir: &Path) -> Vec<OsString> {
    vec![
        path_flag("kubeconfig", &layout.inner_kubeconfig),
        path_flag("authentication-kubeconfig", &layout.inner_kubeconfig),
        path_flag("authorization-kubeconfig", &layout.inner_kubeconfig),
        flag("bind-address", "127.0.0.1"),
        flag("secure-port", ports::SCHEDULER),
        path_flag("cert-dir", &dir.join("scheduler-certs")),
        flag("port", 0),
        flag("leader-elect", false),
    ]
}

/// kube-proxy's flags: iptables mode; the conntrack sysctls, which a network namespace does not
/// own, are left alone.
pub(crate) fn kube_proxy_args(layout: &Layout) -> Vec<OsString> {
    vec![
        path_flag("kubeconfig", &layout.inner_kubeconfig),
        flag("proxy-mode", "iptables"),
        flag("hostname-override", NODE_NAME),
        flag("bind-address", NODE_IP),
        flag("cluster-cidr", POD_CIDR),
        flag(
            "healthz-bind-address",
            format!("127.0.0.1:{}", ports::KUBE_PROXY_HEALTHZ),
        ),
        flag("metrics-bind-address", "127.0.0.1:10249"),
        flag("conntrack-max-per-core", 0),
        flag("conntrack-tcp-timeout-established", "0s"),
        flag("conntrack-tcp-timeout-close-wait", "0s"),
        flag("iptables-min-sync-period", "0s"),
    ]
}
