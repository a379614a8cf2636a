//! How each component is run: its flags (only those its version supports), its free ports and
//! its readiness check. A port picked by binding 127.0.0.1:0 can be taken by another test
//! process before the component binds it, so each start is retried on "address already in use".

use std::ffi::OsString;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use crate::Error;
use crate::binaries::{kubernetes_minor_version, supports_flag};
use crate::certs::Certs;
use crate::health::{Check, wait_ready};
use crate::kubeconfig;
use crate::process::Process;

/// Attempts per component when the port it was given turns out to be taken.
pub(crate) const PORT_ATTEMPTS: u32 = 5;

/// Kubernetes 1.24 removed the insecure-serving flags that 1.20 needs to turn insecure
/// serving off.
const FIRST_MINOR_WITHOUT_INSECURE_PORT: u32 = 24;

/// A running etcd.
pub(crate) struct Etcd {
    pub process: Process,
    pub url: String,
}

/// A running kube-apiserver with an admin client for it.
pub(crate) struct Apiserver {
    pub process: Process,
    pub port: u16,
    pub kubeconfig: String,
    pub client: kube::Client,
}

/// Picks a free port on 127.0.0.1.
fn free_port() -> Result<u16, Error> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|source| Error::io("failed to pick a free port on 127.0.0.1", source))
}

pub(crate) fn flag(name: &str, value: impl std::fmt::Display) -> OsString {
    format!("--{name}={value}").into()
}

pub(crate) fn path_flag(name: &str, path: &Path) -> OsString {
    let mut flag = OsString::from(format!("--{name}="));
    flag.push(path);
    flag
}

/// Whether insecure serving must be switched off explicitly (`None`: unknown, assume recent).
pub(crate) fn has_insecure_port(minor: Option<u32>) -> bool {
    minor.is_some_and(|minor| minor < FIRST_MINOR_WITHOUT_INSECURE_PORT)
}

/// Starts etcd with client and peer listeners on loopback only.
pub(crate) async fn start_etcd(
    binary: &Path,
    dir: &Path,
    timeout: Duration,
) -> Result<Etcd, Error> {
    let help_mentions = |flag| supports_flag(binary, flag);
    // Durability is pointless for a throw-away store; etcd >= 3.5 (and late 3.4) can skip fsync.
    let no_fsync = help_mentions("--unsafe-no-fsync")?;
    let zap = help_mentions("--logger")?;
    let data = dir.join("etcd-data");
    let mut attempt = 0;
    loop {
        attempt += 1;
        // A data dir remembers its peer URL, so every attempt starts from an empty one.
        match std::fs::remove_dir_all(&data) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::io(
                    format!("failed to remove {}", data.display()),
                    err,
                ));
            }
            _ => {}
        }
        let client_url = format!("http://127.0.0.1:{}", free_port()?);
        let peer_url = format!("http://127.0.0.1:{}", free_port()?);
        let mut args = vec![
            flag("name", "default"),
            path_flag("data-dir", &data),
            flag("listen-client-urls", &client_url),
            flag("advertise-client-urls", &client_url),
            flag("listen-peer-urls", &peer_url),
            flag("initial-advertise-peer-urls", &peer_url),
            flag("initial-cluster", format!("default={peer_url}")),
        ];
        if no_fsync {
            args.push("--unsafe-no-fsync".into());
        }
        if zap {
            args.push(flag("logger", "zap"));
        }
        let mut process = Process::start("etcd", binary, args, etcd_env(), dir.join("etcd.log"))?;
        let client = kubeconfig::health_client(&client_url)?;
        match wait_ready(&mut process, Check::etcd(&client, &peer_url), timeout).await {
            Ok(()) => {
                return Ok(Etcd {
                    process,
                    url: client_url,
                });
            }
            Err(err) if err.is_port_conflict() && attempt < PORT_ATTEMPTS => process.stop(),
            Err(err) => return Err(err),
        }
    }
}

/// etcd refuses to run on architectures it does not support unless told to.
pub(crate) fn etcd_env() -> Vec<(&'static str, String)> {
    let go_arch = match std::env::consts::ARCH {
        "x86_64" | "aarch64" => return Vec::new(),
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    };
    vec![("ETCD_UNSUPPORTED_ARCH", go_arch.to_string())]
}

/// Flags of kube-apiserver serving on `127.0.0.1:port`, or, with `node_ip` (a node cluster,
/// inside its network namespace), on every address of the namespace, publishing `node_ip` as
/// the endpoint of the `kubernetes` Service so that pods reach it.
pub(crate) fn apiserver_args(
    insecure_port: bool,
    dir: &Path,
    certs: &Certs,
    etcd_url: &str,
    port: u16,
    node_ip: Option<std::net::Ipv4Addr>,
) -> Vec<OsString> {
    let (bind, advertise) = match node_ip {
        Some(ip) => ("0.0.0.0".to_owned(), ip.to_string()),
        None => ("127.0.0.1".to_owned(), "127.0.0.1".to_owned()),
    };
    let mut args = vec![
        flag("bind-address", bind),
        flag("advertise-address", advertise),
        flag("secure-port", port),
        flag("etcd-servers", etcd_url),
        flag("service-cluster-ip-range", "10.0.0.0/24"),
        path_flag("cert-dir", &dir.join("apiserver-certs")),
        path_flag("tls-cert-file", &certs.serving_cert),
        path_flag("tls-private-key-file", &certs.serving_key),
        path_flag("client-ca-file", &certs.ca_cert),
        flag("service-account-issuer", "https://kubernetes.default.svc"),
        path_flag(
            "service-account-key-file",
            &certs.service_account_public_key,
        ),
        path_flag(
            "service-account-signing-key-file",
            &certs.service_account_key,
        ),
        flag("authorization-mode", "RBAC"),
        flag(
            "enable-admission-plugins",
            "MutatingAdmissionWebhook,ValidatingAdmissionWebhook",
        ),
        flag("allow-privileged", true),
    ];
    if node_ip.is_none() {
        // The apiserver would publish 127.0.0.1 as the endpoint of the `kubernetes` service,
        // which endpoint validation rejects (loopback), logging an error every 10 s.
        args.push(flag("endpoint-reconciler-type", "none"));
    } else {
        // Logs and exec go to the kubelet by the node's address; its name resolves nowhere.
        args.push(flag("kubelet-preferred-address-types", "InternalIP"));
    }
    if insecure_port {
        args.push(flag("insecure-port", 0));
    }
    args
}

/// Starts kube-apiserver and waits for `/readyz`; returns it with an admin client.
pub(crate) async fn start_apiserver(
    binary: &Path,
    dir: &Path,
    certs: &Certs,
    etcd_url: &str,
    timeout: Duration,
) -> Result<Apiserver, Error> {
    let insecure_port = has_insecure_port(kubernetes_minor_version(binary)?);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = free_port()?;
        let args = apiserver_args(insecure_port, dir, certs, etcd_url, port, None);
        let log = dir.join("kube-apiserver.log");
        let mut process = Process::start("kube-apiserver", binary, args, Vec::new(), log)?;
        let kubeconfig = kubeconfig::render(
            &format!("https://127.0.0.1:{port}"),
            &certs.ca_pem,
            &certs.admin_cert_pem,
            &certs.admin_key_pem,
        );
        let client = kubeconfig::client(&kubeconfig).await?;
        match wait_ready(&mut process, readyz(&client), timeout).await {
            Ok(()) => {
                return Ok(Apiserver {
                    process,
                    port,
                    kubeconfig,
                    client,
                });
            }
            Err(err) if err.is_port_conflict() && attempt < PORT_ATTEMPTS => process.stop(),
            Err(err) => return Err(err),
        }
    }
}

/// kube-apiserver's readiness check.
pub(crate) fn readyz(client: &kube::Client) -> Check<'_> {
    Check::kubernetes(client, "/readyz")
}

/// A running kube-controller-manager and the port of its health endpoint.
pub(crate) struct ControllerManager {
    pub(crate) process: Process,
    port: u16,
}

impl ControllerManager {
    /// Waits until `/healthz` answers.
    pub(crate) async fn wait_ready(&mut self, timeout: Duration) -> Result<(), Error> {
        let client = kubeconfig::health_client(&format!("https://127.0.0.1:{}", self.port))?;
        let check = Check::kubernetes(&client, "/healthz");
        wait_ready(&mut self.process, check, timeout).await
    }
}

/// kube-controller-manager's flags: serving on 127.0.0.1:`port`, every controller, signing with
/// the control plane's CA; `legacy` (a version with an insecure port) turns that port off.
pub(crate) fn controller_manager_args(
    dir: &Path,
    certs: &Certs,
    kubeconfig: &Path,
    port: impl std::fmt::Display,
    legacy: bool,
) -> Vec<OsString> {
    let mut args = vec![
        path_flag("kubeconfig", kubeconfig),
        flag("bind-address", "127.0.0.1"),
        flag("secure-port", port),
        path_flag("cert-dir", &dir.join("controller-manager-certs")),
        flag("leader-elect", false),
        flag("use-service-account-credentials", true),
        path_flag(
            "service-account-private-key-file",
            &certs.service_account_key,
        ),
        path_flag("root-ca-file", &certs.ca_cert),
        path_flag("cluster-signing-cert-file", &certs.ca_cert),
        path_flag("cluster-signing-key-file", &certs.ca_key),
        flag("controllers", "*"),
    ];
    if legacy {
        args.push(flag("port", 0));
    }
    args
}

/// Starts kube-controller-manager against the admin kubeconfig and waits for `/healthz`.
pub(crate) async fn start_controller_manager(
    binary: &Path,
    dir: &Path,
    certs: &Certs,
    kubeconfig: &Path,
    timeout: Duration,
) -> Result<ControllerManager, Error> {
    let legacy = has_insecure_port(kubernetes_minor_version(binary)?);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let port = free_port()?;
        let args = controller_manager_args(dir, certs, kubeconfig, port, legacy);
        let log = dir.join("kube-controller-manager.log");
        let process = Process::start("kube-controller-manager", binary, args, Vec::new(), log)?;
        let mut started = ControllerManager { process, port };
        match started.wait_ready(timeout).await {
            Ok(()) => return Ok(started),
            Err(err) if err.is_port_conflict() && attempt < PORT_ATTEMPTS => {
                started.process.stop();
            }
            Err(err) => return Err(err),
        }
    }
}
