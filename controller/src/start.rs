//! Start-up and shutdown: logging, the client, the probe server, leader election, and the
//! controller until SIGTERM (or until leadership is lost, which ends the process).

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context as _, anyhow};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use kube::client::ClientBuilder;
use multicloud_runtime::{logging, shutdown::Shutdown};

use crate::args::Args;
use crate::context::Settings;
use crate::leader::{self, Leadership, LeaseConfig};
use crate::metrics::Metrics;
use crate::runner::{self, Options};
use crate::server;

/// Runs the controller with `args` until it is told to stop.
pub async fn run(args: Args) -> anyhow::Result<()> {
    // Another crate may have installed the provider already; either way one is in place.
    let _ = rustls::crypto::ring::default_provider().install_default();
    logging::init(&args.log)?;

    let metrics = Metrics::default();
    let config = args.kube.config().await?;
    let client = ClientBuilder::try_from(config)
        .context("failed to build the Kubernetes client")?
        .with_layer(&metrics.layer())
        .build();
    let address = server::serve(args.metrics.metrics_address, metrics.clone())
        .await
        .with_context(|| format!("failed to listen on {}", args.metrics.metrics_address))?;
    tracing::info!(%address, "serving /healthz, /readyz and /metrics");

    let shutdown = Shutdown::on_signal();
    let stopped = || shutdown.signalled();

    let identity = args.identity.clone().unwrap_or_else(random_identity);
    let mut leadership = None;
    if !args.no_leader_election {
        tokio::select! {
            held = lead(&args, &client, &identity) => leadership = Some(held),
            () = stopped() => return Ok(()),
        }
    }
    metrics.set_leader(true);

    let options = options(&args, identity);
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

/// Waits until this replica holds the leader Lease that `args` name.
async fn lead(args: &Args, client: &kube::Client, identity: &str) -> Leadership {
    let lease = LeaseConfig {
        namespace: args.lease_namespace.clone(),
        name: args.lease_name.clone(),
        identity: identity.to_owned(),
        duration: args.lease_duration,
    };
    tracing::info!(lease = %format!("{}/{}", lease.namespace, lease.name), %identity, "waiting for leadership");
    let api = Api::<Lease>::namespaced(client.clone(), &lease.namespace);
    leader::acquire(api, lease).await
}

/// How the reconciler runs, from `args`.
fn options(args: &Args, identity: String) -> Options {
    Options {
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
    }
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
