//! What the webhook's end-to-end tests share: control planes with the webhook running and
//! registered, test objects, denials, and bounded waits.

use std::future::Future;
use std::time::{Duration, Instant};

use kube::api::{Api, PostParams};
use multicloud_api::MulticloudInstance;
use multicloud_e2e::cluster::admission_cluster;
pub use multicloud_e2e::cluster::{
    annotation, bare_cluster, create_reading_warnings, instance, storage_class,
};
use multicloud_e2e::webhook::Webhook;
use multicloud_testenv::ControlPlane;

/// Bound on anything eventually consistent (a watch delivering an event to the webhook).
pub const WAIT: Duration = Duration::from_secs(30);

/// The global cluster: the CRD, `multicloud-system`, and the webhook running and registered.
pub async fn global_cluster_with_webhook() -> (ControlPlane, Webhook) {
    let plane = admission_cluster().await;
    let client = plane.client();
    let webhook = Webhook::start(plane.kubeconfig_path(), &["--probe-interval", "500ms"])
        .await
        .expect("webhook starts and becomes ready");
    webhook
        .register(&client)
        .await
        .expect("webhook is registered");
    (plane, webhook)
}

/// The denial message of a write the webhook refused.
pub fn denial<T: std::fmt::Debug>(result: Result<T, kube::Error>) -> String {
    match result {
        Err(kube::Error::Api(status)) => {
            assert!(
                status.message.contains("denied the request"),
                "refused, but not by the webhook: {status:?}"
            );
            status.message.clone()
        }
        other => panic!("expected a denial, got {other:?}"),
    }
}

/// Retries `attempt` every 100 ms until it succeeds, for at most [`WAIT`].
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        let last = match attempt().await {
            Ok(value) => return value,
            Err(why) => why,
        };
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; last: {last}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Creates `instance` until admitted: the webhook learns of a new StorageClass from a watch, a
/// moment after it was created.
pub async fn create_once_admitted(
    api: &Api<MulticloudInstance>,
    instance: &MulticloudInstance,
) -> MulticloudInstance {
    let name = instance.metadata.name.clone().unwrap_or_default();
    eventually(&format!("{name} to be admitted"), || async {
        api.create(&PostParams::default(), instance)
            .await
            .map_err(|e| e.to_string())
    })
    .await
}
