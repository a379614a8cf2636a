//! Start-up and shutdown: logging, the client, the probe server, leader election, and the
//! controller until SIGTERM (or until leadership is lost, which ends the process).

use std::io::IsTerminal;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use kube::client::ClientBuilder;
use kube::config::{KubeConfigOptions, Kubeconfig};
use tokio::sync::watch;
use tracing_subscriber::EnvFilter;

use crate::args::{Args, LogFormat};
use crate::context::Settings;
use crate::leader::{self, LeaseConfig};
use crate::metrics::Metrics;
use crate::runner::{self, Options};
use crate::server;

/// Runs the controller with `args` until it is told to stop.
pub async fn run(args: Args) -> anyhow::Result<()> {
    // Another crate may have installed the provider already; either way one is in place.
    let _ = rustls::crypto::ring::default_provider().install_default();
    init_logging(args.log_format);

    let metrics = Metrics::default();
    let config = load_config(&args).await?;
    let client = ClientBuilder::try_from(config)
        .context("failed to build the Kubernetes client")?
        .with_layer(&metrics.layer())
        .build();
    let address = server::serve(args.metrics_address, metrics.clone())
        .await
        .with_context(|| format!("failed to listen on {}", args.metrics_address))?;
    tracing::info!(%address, "serving /healthz, /readyz and /metrics");

    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping");
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut stop = stop_rx.clone();
        async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        }
    };

    let identity = args.identity.clone().unwrap_or_else(random_identity);
    let mut leadership = None;
    if !args.no_leader_election {
        let lease = LeaseConfig {
            namespace: args.lease_namespace.clone(),
            name: args.lease_name.clone(),
            identity: identity.clone(),
            duration: args.lease_duration,
        };
        tracing::info!(lease = %format!("{}/{}", lease.namespace, lease.name), %identity, "waiting for leadership");
        tokio::select! {
            held = leader::acquire(Api::<Lease>::namespaced(client.clone(), &lease.namespace), lease) => {
                leadership = Some(held);
            }
            () = stopped() => return Ok(()),
        }
    }
    metrics.set_leader(true);

    let options = Options {
        settings: Settings {
            poll_interval: args.poll_interval,
            resync_interval: args.resync_interval,
            remote_timeout: args.remote_timeout,
            reconcile_timeout: args.reconcile_timeout,
            install_timeout: args.install_timeout,
            teardown_timeout: args.teardown_timeout,
        },
        member_interval: args.member_interval,
        concurrency: args.concurrency,
        identity,
    };
    let controller = runner::run(client, metrics.clone(), options, stopped());
    let outcome = match leadership.as_mut() {
        Some(held) => tokio::select! {
            () = controller => Ok(()),
            why = held.lost() => Err(anyhow!("lost leadership: {why}; stopping so that only the leader reconciles")),
        },
        None => {
            controller.await;
            Ok(())
        }
    };
    metrics.set_leader(false);
    if let (Some(held), Ok(())) = (leadership, &outcome) {
        held.release().await;
    }
    outcome
}

async fn load_config(args: &Args) -> anyhow::Result<kube::Config> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        ..KubeConfigOptions::default()
    };
    match &args.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .with_context(|| format!("failed to read kubeconfig {}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .with_context(|| format!("failed to load kubeconfig {}", path.display()))
        }
        None if args.context.is_some() => kube::Config::from_kubeconfig(&options)
            .await
            .context("failed to load the kubeconfig context"),
        None => kube::Config::infer().await.context(
            "failed to find a Kubernetes configuration (in-cluster, $KUBECONFIG or ~/.kube/config)",
        ),
    }
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour);
    // try_init: a second start in the same process (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut terminate) => tokio::select! {
                () = ctrl_c => {}
                _ = terminate.recv() => {}
            },
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// An identity unique enough to tell replicas apart when no pod name is given.
fn random_identity() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "multicloud-controller".into());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{host}-{}-{nanos:x}", std::process::id())
}
