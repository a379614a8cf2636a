//! The node's network namespace, and the one way into it from the test process.
//!
//! Every address of the cluster (the node's, the pods', the Services') exists in the namespace
//! only; the host gets no interface, route or address. The test process reaches a port inside
//! by a forwarder: a listener on the host's 127.0.0.1 whose connections are dialled from a
//! thread that moved into the namespace (`setns`), so the socket lives there. That keeps the
//! rule that a test binds 127.0.0.1 and targets nothing else, and it needs no `ip netns exec`
//! around the test's own client calls.
//!
//! Processes enter the namespace with `nsenter --net`, not `ip netns exec`: the latter also
//! remounts /sys in a new mount namespace, which hides the cgroup hierarchies from containerd
//! and runc ("runc create failed: no cgroup mount found in mountinfo").

use std::ffi::OsString;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsFd as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rustix::thread::{LinkNameSpaceType, move_into_link_name_space};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::Error;

/// The node's address, on the veth `mc-node` inside the namespace (a node's "eth0"). Its peer
/// `mc-sink` has no address and leads nowhere: the default route ends in the namespace.
pub(crate) const NODE_IP: Ipv4Addr = Ipv4Addr::new(10, 201, 0, 1);
const NODE_PREFIX: u8 = 24;

/// Bound on one connection attempt inside the namespace.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A network namespace made for one node cluster; deleted on drop.
#[derive(Debug)]
pub(crate) struct Netns {
    name: String,
    path: PathBuf,
}

impl Netns {
    /// Creates `name` with loopback up and the node's veth pair.
    pub(crate) fn create(name: &str) -> Result<Self, Error> {
        ip(&["netns", "add", name])?;
        let netns = Self {
            name: name.to_owned(),
            path: Path::new("/run/netns").join(name),
        };
        let address = format!("{NODE_IP}/{NODE_PREFIX}");
        let steps: [&[&str]; 6] = [
            &["link", "set", "lo", "up"],
            &[
                "link", "add", "mc-node", "type", "veth", "peer", "name", "mc-sink",
            ],
            &["addr", "add", &address, "dev", "mc-node"],
            &["link", "set", "mc-node", "up"],
            &["link", "set", "mc-sink", "up"],
            // Service addresses must be routable for local processes (the API server calling the
            // webhook's Service) before kube-proxy's OUTPUT rules rewrite them to a pod.
            &["route", "add", "default", "dev", "mc-node"],
        ];
        for step in steps {
            let mut args = vec!["-n", name];
            args.extend_from_slice(step);
            ip(&args)?;
        }
        Ok(netns)
    }

    /// `/run/netns/<name>`.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// `program args` run inside the namespace: `nsenter --net=<path> -- program args`.
    pub(crate) fn wrap(&self, program: &Path, args: Vec<OsString>) -> (PathBuf, Vec<OsString>) {
        let mut wrapped = vec![
            OsString::from(format!("--net={}", self.path.display())),
            "--".into(),
            program.as_os_str().to_owned(),
        ];
        wrapped.extend(args);
        (PathBuf::from("nsenter"), wrapped)
    }

    /// Deletes the namespace (what is left in it, the bridge and the iptables rules, goes too).
    pub(crate) fn delete(&self) {
        let _ = ip(&["netns", "delete", &self.name]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        self.delete();
    }
}

fn ip(args: &[&str]) -> Result<(), Error> {
    let output = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::io(format!("failed to run ip {}", args.join(" ")), source))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(Error::io(
            format!("ip {} failed", args.join(" ")),
            std::io::Error::other(String::from_utf8_lossy(&output.stderr).trim().to_owned()),
        ))
    }
}

type DialRequest = (SocketAddr, oneshot::Sender<std::io::Result<TcpStream>>);

/// Dials TCP connections from inside the namespace, on a thread that moved into it.
#[derive(Debug, Clone)]
pub(crate) struct Dialer {
    requests: mpsc::Sender<DialRequest>,
}

impl Dialer {
    /// Starts the dialling thread in `netns`; it ends when the last `Dialer` is dropped.
    pub(crate) fn new(netns: &Netns) -> Result<Self, Error> {
        let file = File::open(netns.path()).map_err(|source| {
            Error::io(format!("failed to open {}", netns.path().display()), source)
        })?;
        let (requests, incoming) = mpsc::channel::<DialRequest>();
        let (entered, entered_result) = mpsc::channel();
        std::thread::Builder::new()
            .name("testenv-netns-dialer".into())
            .spawn(move || {
                // setns(CLONE_NEWNET) moves this thread only; sockets it makes stay in the
                // namespace whichever thread uses them later.
                let moved =
                    move_into_link_name_space(file.as_fd(), Some(LinkNameSpaceType::Network));
                let ok = moved.is_ok();
                let _ = entered.send(moved);
                if !ok {
                    return;
                }
                for (address, reply) in incoming {
                    let _ = reply.send(TcpStream::connect_timeout(&address, CONNECT_TIMEOUT));
                }
            })
            .map_err(|source| {
                Error::io("failed to start the namespace's dialling thread", source)
            })?;
        entered_result
            .recv()
            .map_err(|_| Error::io("the dialling thread died", std::io::Error::other("gone")))?
            .map_err(|source| {
                Error::io(
                    format!(
                        "failed to enter the network namespace {}",
                        netns.path().display()
                    ),
                    source.into(),
                )
            })?;
        Ok(Self { requests })
    }

    /// A connection to `port` on the namespace's 127.0.0.1.
    pub(crate) async fn dial(&self, port: u16) -> std::io::Result<tokio::net::TcpStream> {
        let (reply, response) = oneshot::channel();
        let address = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port));
        self.requests
            .send((address, reply))
            .map_err(|_| std::io::Error::other("the dialling thread is gone"))?;
        let stream = response
            .await
            .map_err(|_| std::io::Error::other("the dialling thread is gone"))??;
        stream.set_nonblocking(true)?;
        tokio::net::TcpStream::from_std(stream)
    }
}

/// A listener on the host's 127.0.0.1 forwarding every connection to a port on the namespace's
/// 127.0.0.1. Stops listening when dropped.
#[derive(Debug)]
pub(crate) struct Forward {
    port: u16,
    task: JoinHandle<()>,
}

impl Forward {
    /// Forwards a free port of the host's 127.0.0.1 to `target` inside the namespace.
    pub(crate) async fn start(dialer: &Dialer, target: u16) -> Result<Self, Error> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .map_err(|source| Error::io("failed to listen on 127.0.0.1", source))?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::io("failed to read the forwarder's port", source))?
            .port();
        let dialer = dialer.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let dialer = dialer.clone();
                tokio::spawn(async move {
                    if let Ok(mut outbound) = dialer.dial(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Ok(Self { port, task })
    }

    /// The host port, on 127.0.0.1.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.task.abort();
    }
}
