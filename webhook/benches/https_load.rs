//! Load on the HTTPS path, as the API server would put it: kept-alive TLS connections on
//! loopback posting real admission reviews to `/validate` and `/mutate`, and the same load
//! against a minimal TLS server answering a fixed reply (the floor: what TLS, HTTP and the
//! loopback cost by themselves), in the same run.
//!
//! Each server runs as a child process, so its peak RSS is its own: the webhook is the built
//! `multicloud-webhook` binary watching a real kube-apiserver started by the test harness
//! (or, without the control plane's binaries, its router in a child of this executable); the
//! floor is this executable with `--serve floor`.
//!
//! Two phases per target: a paced 2,000 requests/s (latency at a realistic rate), then
//! saturation with several connections (throughput), in one-second rounds that alternate
//! between the targets so that other work on the machine weighs on all of them alike.
//! Bounded in requests and time.
//!
//! `cargo bench -p multicloud-webhook --bench https_load` (or `scripts/bench-webhook.sh`).
//! Options: `--seconds N` per phase and target (default 5), `--rate R` (default 2000),
//! `--connections C` for saturation (default 8), `--server-workers W` (default 1: the
//! Deployment limits the webhook to one CPU, and tokio sizes its worker pool to the CPU quota,
//! so one worker is what runs in a cluster; the floor gets the same).

#[path = "https_load/servers.rs"]
mod servers;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http::StatusCode;
use serde_json::Value;
use servers::{ServerProcess, serve};
use support::Connection;

const MUTATE_CREATE: &[u8] = include_bytes!("../tests/data/admission-v1.32/01-mutate-create.json");
const VALIDATE_CREATE: &[u8] =
    include_bytes!("../tests/data/admission-v1.32/02-validate-create.json");

struct Settings {
    seconds: u64,
    rate: u64,
    connections: usize,
    server_workers: usize,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        let role = args.get(at + 1).cloned().unwrap_or_default();
        let dir = args.get(at + 2).cloned().unwrap_or_default();
        let workers = args.get(at + 3).and_then(|w| w.parse().ok()).unwrap_or(1);
        serve(&role, &dir, workers);
        return;
    }
    let option = |name: &str, default: u64| -> u64 {
        args.iter()
            .position(|a| a == name)
            .and_then(|at| args.get(at + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let settings = Settings {
        seconds: option("--seconds", 5).clamp(1, 60),
        rate: option("--rate", 2000).clamp(1, 100_000),
        connections: option("--connections", 8).clamp(1, 256) as usize,
        server_workers: option("--server-workers", 1).clamp(1, 64) as usize,
    };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(load(settings));
}

/// The validating review as it arrives after the mutating webhook ran: admitted.
fn validate_body() -> Bytes {
    let mut review: Value = serde_json::from_slice(VALIDATE_CREATE).expect("fixture");
    review["request"]["object"]["spec"]["virtualClusterName"] = "k-demo".into();
    Bytes::from(serde_json::to_vec(&review).expect("JSON"))
}

async fn load(settings: Settings) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("temporary directory");
    let pki = support::pki("bench CA");
    support::write_certificates(&pki, dir.path());
    let config = support::client_config(&[&pki.ca]);

    println!(
        "servers: {} worker thread(s) each; paced: {} requests/s over 4 connections for {}s per \
         target; saturated: {} connections, {} one-second rounds per target, interleaved",
        settings.server_workers,
        settings.rate,
        settings.seconds,
        settings.connections,
        settings.seconds
    );
    // The real binary needs an API server to watch; without the control plane's binaries, the
    // webhook's router runs in a child of this executable instead (same serving stack, no
    // watches).
    let plane = multicloud_testenv::ControlPlane::start_with(multicloud_testenv::Options {
        controller_manager: multicloud_testenv::ControllerManager::Disabled,
        ..Default::default()
    })
    .await;
    let webhook = match &plane {
        Ok(plane) => {
            println!(
                "webhook: the multicloud-webhook binary, watching a kube-apiserver on loopback"
            );
            ServerProcess::real_webhook(plane, dir.path(), settings.server_workers, config.clone())
                .await
        }
        Err(error) => {
            println!("webhook: its router in a child process (no control plane: {error})");
            ServerProcess::start("webhook", dir.path(), settings.server_workers)
        }
    };
    let floor = ServerProcess::start("floor", dir.path(), settings.server_workers);
    println!(
        "{:<17} {:<10} {:>9} {:>12} {:>9} {:>9} {:>9} {:>7}",
        "target", "phase", "requests", "throughput", "p50", "p99", "max", "errors"
    );
    let targets = [
        ("webhook /validate", &webhook, "/validate", validate_body()),
        (
            "webhook /mutate",
            &webhook,
            "/mutate",
            Bytes::from_static(MUTATE_CREATE),
        ),
        ("floor", &floor, "/validate", validate_body()),
    ];
    for (label, server, path, body) in &targets {
        paced(server.addr, &config, path, body, &settings)
            .await
            .print(label, &format!("{}/s", settings.rate));
    }
    let mut rounds: Vec<Vec<Phase>> = targets.iter().map(|_| Vec::new()).collect();
    for _ in 0..settings.seconds {
        for ((_, server, path, body), phases) in targets.iter().zip(&mut rounds) {
            phases.push(saturate(server.addr, &config, path, body, settings.connections).await);
        }
    }
    let mut throughputs = Vec::new();
    for ((label, ..), phases) in targets.iter().zip(rounds) {
        let elapsed = phases.iter().map(|p| p.elapsed).sum();
        let all = Phase::merge(phases, elapsed);
        throughputs.push(all.throughput());
        all.print(label, "saturated");
    }
    for (label, server) in [("webhook", &webhook), ("floor", &floor)] {
        let (peak, now) = server.memory();
        println!(
            "{label:<17} peak RSS {:.1} MiB (now {:.1} MiB)",
            mib(peak),
            mib(now)
        );
    }
    let floor_throughput = throughputs[2];
    for ((label, ..), throughput) in targets.iter().zip(&throughputs).take(2) {
        println!(
            "{label}: {:.0}% of the floor's saturated throughput",
            100.0 * throughput / floor_throughput
        );
    }
}

/// Latencies of one phase.
#[derive(Default)]
struct Phase {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Phase {
    fn throughput(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn print(mut self, label: &str, phase: &str) {
        self.latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((self.latencies.len() as f64 - 1.0) * q).round() as usize;
            self.latencies.get(index).copied().unwrap_or_default()
        };
        let ms = |d: Duration| format!("{:.3}ms", d.as_secs_f64() * 1000.0);
        println!(
            "{:<10} {:<10} {:>9} {:>10.0}/s {:>9} {:>9} {:>9} {:>7}",
            label,
            phase,
            self.latencies.len(),
            self.throughput(),
            ms(at(0.5)),
            ms(at(0.99)),
            ms(at(1.0)),
            self.errors
        );
    }

    /// The phases of one load, as one that took `elapsed`.
    fn merge(phases: Vec<Phase>, elapsed: Duration) -> Phase {
        let mut all = Phase {
            elapsed,
            ..Phase::default()
        };
        for phase in phases {
            all.latencies.extend(phase.latencies);
            all.errors += phase.errors;
        }
        all
    }

    /// The phases the load `tasks` measured, as one, timed from `started`.
    async fn gather(tasks: Vec<tokio::task::JoinHandle<Phase>>, started: Instant) -> Phase {
        let mut phases = Vec::new();
        for task in tasks {
            phases.push(task.await.expect("load task"));
        }
        Phase::merge(phases, started.elapsed())
    }
}

/// `rate` requests/s spread over 4 kept-alive connections, each sending on a fixed schedule.
async fn paced(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    path: &'static str,
    body: &Bytes,
    settings: &Settings,
) -> Phase {
    const CONNECTIONS: u64 = 4;
    let interval = Duration::from_secs_f64(CONNECTIONS as f64 / settings.rate as f64);
    let requests = settings.rate * settings.seconds / CONNECTIONS;
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (config, body) = (config.clone(), body.clone());
            tokio::spawn(async move {
                let mut connection = Connection::open(addr, config).await.expect("connects");
                let mut ticker = tokio::time::interval(interval);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
                let mut phase = Phase {
                    latencies: Vec::with_capacity(requests as usize),
                    ..Phase::default()
                };
                for _ in 0..requests {
                    ticker.tick().await;
                    one(&mut connection, path, &body, &mut phase).await;
                }
                phase
            })
        })
        .collect();
    Phase::gather(tasks, started).await
}

/// As many requests as `connections` kept-alive connections get answered in one second.
async fn saturate(
    addr: SocketAddr,
    config: &Arc<rustls::ClientConfig>,
    path: &'static str,
    body: &Bytes,
    connections: usize,
) -> Phase {
    let deadline = Instant::now() + Duration::from_secs(1);
    let started = Instant::now();
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (config, body) = (config.clone(), body.clone());
            tokio::spawn(async move {
                let mut connection = Connection::open(addr, config).await.expect("connects");
                let mut phase = Phase::default();
                while Instant::now() < deadline {
                    one(&mut connection, path, &body, &mut phase).await;
                }
                phase
            })
        })
        .collect();
    Phase::gather(tasks, started).await
}

async fn one(connection: &mut Connection, path: &str, body: &Bytes, phase: &mut Phase) {
    let sent = Instant::now();
    match connection.post(path, body.clone()).await {
        Ok((StatusCode::OK, _)) => phase.latencies.push(sent.elapsed()),
        _ => phase.errors += 1,
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
