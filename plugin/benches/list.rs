//! The plugin's start-up and `list` of 1,000 instances, measured on the release binary as a user
//! runs it: wall time (min, median, p90 over repeated runs) and peak RSS of each run, plus the
//! binary's size. The API server is the project's envtest (a real kube-apiserver on loopback).
//!
//! Run with `scripts/bench-plugin.sh` (or `cargo bench -p kubectl-multicloud --bench list`).
//! Bounded: one control plane start, 1,000 creates, and a fixed number of runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, PostParams};
use multicloud_api::{MulticloudInstance, MulticloudInstanceSpec};

const INSTANCES: usize = 1_000;
const RUNS: usize = 30;

/// Wall time and peak RSS (KiB, when GNU time is there to tell) of one run.
fn run(binary: &Path, args: &[&str]) -> (Duration, Option<u64>) {
    let gnu_time = Path::new("/usr/bin/time");
    let mut command = if gnu_time.exists() {
        let mut command = Command::new(gnu_time);
        command.args(["-f", "%M"]).arg(binary);
        command
    } else {
        Command::new(binary)
    };
    command
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let output = command.output().expect("the binary runs");
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rss = String::from_utf8_lossy(&output.stderr)
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok());
    (elapsed, rss)
}

fn report(name: &str, binary: &Path, args: &[&str]) {
    // One unmeasured run warms the page cache.
    run(binary, args);
    let mut times = Vec::with_capacity(RUNS);
    let mut peak = None;
    for _ in 0..RUNS {
        let (time, rss) = run(binary, args);
        times.push(time);
        peak = peak.max(rss);
    }
    times.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    let rss = peak.map_or("n/a (no /usr/bin/time)".to_owned(), |kib| {
        format!("{:.1} MiB", kib as f64 / 1024.0)
    });
    println!(
        "| {name} | {} | {} | {} | {rss} |",
        ms(times[0]),
        ms(times[RUNS / 2]),
        ms(times[RUNS * 9 / 10])
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to filter here.
    let binary = Path::new(env!("CARGO_BIN_EXE_kubectl-multicloud"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let cluster = runtime.block_on(async {
        let options = multicloud_testenv::Options {
            controller_manager: multicloud_testenv::ControllerManager::Disabled,
            ..Default::default()
        };
        let cluster = multicloud_testenv::ControlPlane::start_with(options)
            .await
            .expect("a control plane");
        let client = cluster.client();
        multicloud_testenv::apply_crd(&client, &multicloud_api::crd::crd())
            .await
            .expect("the CRD");
        let api: Api<MulticloudInstance> = Api::all(client);
        futures::stream::iter(0..INSTANCES)
            .map(|i| {
                let api = api.clone();
                async move {
                    let name = format!("bench-{i:04}");
                    let spec = MulticloudInstanceSpec {
                        virtual_cluster_name: Some(multicloud_api::names::virtual_cluster(&name)),
                        ..MulticloudInstanceSpec::default()
                    };
                    api.create(
                        &PostParams::default(),
                        &MulticloudInstance::new(&name, spec),
                    )
                    .await
                }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await
            .expect("instances are created");
        cluster
    });
    let kubeconfig = cluster.kubeconfig_path().display().to_string();
    let size = std::fs::metadata(binary)
        .map(|m| m.len())
        .unwrap_or_default();
    println!(
        "binary: {} ({:.1} MiB)",
        binary.display(),
        size as f64 / 1_048_576.0
    );
    println!("runs: {RUNS} per command, {INSTANCES} instances\n");
    println!("| command | min | median | p90 | peak RSS |");
    println!("|---|---|---|---|---|");
    report("`--help`", binary, &["--help"]);
    report("`version --client`", binary, &["version", "--client"]);
    report(
        "`list` (1,000 instances)",
        binary,
        &["list", "--kubeconfig", &kubeconfig],
    );
    report(
        "`list -o json` (1,000 instances)",
        binary,
        &["list", "-o", "json", "--kubeconfig", &kubeconfig],
    );
    drop(cluster);
}
