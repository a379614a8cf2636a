//! Wires the watches to the reconciler: instances are the primary objects; Karmada CRs and
//! namespaces (found by the instance label) and registered management cluster Secrets trigger
//! the instances they belong to, and fill the caches a reconcile reads instead of the API.

use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::Api;
use kube::runtime::controller::{self, Controller};
use kube::runtime::reflector::{self, ObjectRef, Store};

use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, Resource};
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{CLUSTER_LABEL, INSTANCE_LABEL, SYSTEM_NAMESPACE};
use multicloud_runtime::report::error_chain;
use multicloud_runtime::watch::retrying;
use tokio::sync::mpsc;

use crate::clusters::ManagementClusters;
use crate::context::{Context, Failures, Settings};
use crate::events::Recorder;
use crate::members::MemberCounter;
use crate::metrics::Metrics;
use crate::reconcile::{error_policy, reconcile};
use crate::watches::Readiness;

/// How the reconciler runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Timing of requeues and remote calls.
    pub settings: Settings,
    /// Interval of member counts.
    pub member_interval: std::time::Duration,
    /// Instances reconciled at once.
    pub concurrency: u16,
    /// Our identity, for Events.
    pub identity: String,
}

/// Runs the controller until `shutdown` resolves and running reconciles finish.
pub async fn run(
    client: Client,
    metrics: Metrics,
    options: Options,
    shutdown: impl Future<Output = ()> + Send + Sync + 'static,
) {
    let (karmadas, karmada_events) = labelled::<Karmada>(Api::all(client.clone()), INSTANCE_LABEL);
    let (namespaces, namespace_events) =
        labelled::<Namespace>(Api::all(client.clone()), INSTANCE_LABEL);
    let cluster_label = format!("{CLUSTER_LABEL}=true");
    let (secrets, secret_events) = labelled::<Secret>(
        Api::namespaced(client.clone(), SYSTEM_NAMESPACE),
        &cluster_label,
    );

    let (trigger, triggered) = mpsc::unbounded_channel();
    let caches = Caches {
        karmadas,
        namespaces,
        secrets,
    };
    let concurrency = options.concurrency;
    let ctx = context(&client, metrics, options, caches, trigger);

    let (instances, writer) = reflector::store();
    let instance_events = watcher(
        Api::<MulticloudInstance>::all(client),
        watcher::Config::default(),
    )
    .reflect(writer)
    .applied_objects();
    let controller = Controller::for_stream(retrying(instance_events, "instances"), instances)
        .with_config(controller::Config::default().concurrency(concurrency));
    let instances = controller.store();
    let by_cluster =
        move |secret: Secret| instances_on(&instances, secret.metadata.name.as_deref());
    let triggered = futures::stream::unfold(triggered, |mut rx| async move {
        rx.recv().await.map(|instance| (instance, rx))
    });

    tracing::info!("controller started");
    controller
        .watches_stream(karmada_events, |karmada: Karmada| instance_of(&karmada))
        .watches_stream(namespace_events, |namespace: Namespace| {
            instance_of(&namespace)
        })
        .watches_stream(secret_events, by_cluster)
        .reconcile_on(triggered)
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(error) = result {
                tracing::debug!(error = %error_chain(&error), "controller event");
            }
        })
        .await;
    tracing::info!("controller stopped");
}

/// The caches a reconcile reads instead of the API.
struct Caches {
    karmadas: Store<Karmada>,
    namespaces: Store<Namespace>,
    secrets: Store<Secret>,
}

/// What every reconcile shares; `trigger` asks for the reconcile of an instance.
fn context(
    client: &Client,
    metrics: Metrics,
    options: Options,
    caches: Caches,
    trigger: mpsc::UnboundedSender<ObjectRef<MulticloudInstance>>,
) -> Arc<Context> {
    let settings = options.settings;
    Arc::new(Context {
        client: client.clone(),
        karmadas: caches.karmadas,
        namespaces_ready: Readiness::of(caches.namespaces.clone()),
        namespaces: caches.namespaces,
        secrets_ready: Readiness::of(caches.secrets.clone()),
        clusters: ManagementClusters::new(
            client.clone(),
            caches.secrets,
            settings.remote_timeout,
            metrics.layer(),
        ),
        members: Arc::new(MemberCounter::new(
            client.clone(),
            metrics.layer(),
            options.member_interval,
            settings.remote_timeout,
            trigger,
        )),
        recorder: Recorder::new(client.clone(), options.identity),
        metrics,
        settings,
        failures: Failures::default(),
    })
}

/// A cache of the objects carrying `label`, and the stream of changes to them (deletions
/// included) that keeps it filled.
fn labelled<K>(
    api: Api<K>,
    label: &str,
) -> (
    Store<K>,
    impl futures::Stream<Item = Result<K, watcher::Error>> + Send + 'static,
)
where
    K: Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    let (store, writer) = reflector::store();
    let stream = watcher(api, watcher::Config::default().labels(label))
        .reflect(writer)
        .touched_objects();
    (store, retrying(stream, K::kind(&())))
}

/// The instance an object was made for, from its instance label.
fn instance_of<K: Resource>(object: &K) -> Option<ObjectRef<MulticloudInstance>> {
    object
        .meta()
        .labels
        .as_ref()
        .and_then(|labels| labels.get(INSTANCE_LABEL))
        .map(|name| ObjectRef::new(name))
}

/// Instances whose management cluster is `cluster`.
fn instances_on(
    instances: &Store<MulticloudInstance>,
    cluster: Option<&str>,
) -> Vec<ObjectRef<MulticloudInstance>> {
    instances
        .state()
        .iter()
        .filter(|instance| Some(instance.spec.management_cluster.as_str()) == cluster)
        .map(|instance| ObjectRef::from_obj(instance.as_ref()))
        .collect()
}
