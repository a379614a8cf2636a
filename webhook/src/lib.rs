//! multicloud-webhook: the admission webhook that guards every write of a MulticloudInstance
//! and of a registered management cluster Secret with the rules of `multicloud-api`.
//!
//! The request path is pure: decode the review ([`review`]), read what the watches know of the
//! management clusters ([`clusters`]) and of the existing instances ([`instances`]), apply the
//! rules, reply. Everything slow (listing and
//! watching StorageClasses, probing clusters, reloading certificates) happens in the background.
#![forbid(unsafe_code)]

pub mod args;
pub mod clusters;
pub mod instances;
pub mod intake;
pub mod metrics;
pub mod review;
pub mod routes;
pub mod server;
pub mod shape;
pub mod tls;
pub mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;

use crate::args::Args;
use crate::clusters::Directory;
use crate::instances::InstanceIndex;
use crate::metrics::Metrics;
use crate::routes::AppState;
use crate::tls::{CertificateFiles, ReloadingCertResolver};

/// Runs the webhook until SIGTERM or SIGINT, then drains. Fails fast, before serving, when the
/// certificate files, the kubeconfig or the address cannot be used.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let files = CertificateFiles {
        cert: args.tls_cert.clone(),
        key: args.tls_key.clone(),
    };
    let (key, fingerprint) = files.load().context("loading the serving certificate")?;
    let resolver = Arc::new(ReloadingCertResolver::new(key));
    let tls = tls::server_config(resolver.clone()).context("configuring TLS")?;

    let client = clusters::local_client(&args.kube).await?;
    let directory = Arc::new(Directory::new(args.sync_timeout));
    let _watches = clusters::start(client.clone(), directory.clone(), args.probe_interval);
    let instances = Arc::new(InstanceIndex::new());
    let _instance_watch = instances::start(client, instances.clone());

    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let addr = listener.local_addr().unwrap_or(args.addr);
    tracing::info!(%addr, "serving admission reviews");
    let reload = tokio::spawn(tls::reload_on_change(
        files,
        resolver,
        fingerprint,
        args.cert_reload_interval,
    ));

    let draining = Arc::new(AtomicBool::new(false));
    let state = AppState {
        directory,
        instances,
        host_path_root: args.host_path_root.clone().into(),
        metrics: Arc::new(Metrics::new()),
        cluster_wait: args.cluster_wait,
        draining: draining.clone(),
    };
    let router = routes::router(state, args.request_timeout);
    let shutdown = drain_after_signal(draining, args.shutdown_delay);
    server::serve_with(
        listener,
        tls,
        router,
        shutdown,
        args.drain_timeout,
        args.limits(),
    )
    .await;
    reload.abort();
    tracing::info!("stopped");
    Ok(())
}

/// Completes `delay` after the shutdown signal; from the signal on, `/readyz` reports not
/// ready (`draining`) while requests are still served, so the endpoints drop this pod first.
async fn drain_after_signal(draining: Arc<AtomicBool>, delay: std::time::Duration) {
    multicloud_runtime::shutdown::signal().await;
    draining.store(true, Ordering::Relaxed);
    if !delay.is_zero() {
        tracing::info!(
            ?delay,
            "not ready; still serving while the endpoints are updated"
        );
        tokio::time::sleep(delay).await;
    }
}
