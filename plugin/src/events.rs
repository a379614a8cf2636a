//! Kubernetes Events, read for `describe` (what happened to an instance) and `diagnose` (why a
//! PVC is Pending).

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, ListParams};

/// One Event, reduced to what is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// `Normal` or `Warning`.
    pub type_: String,
    /// CamelCase reason.
    pub reason: String,
    /// `kind/name` of the object it is about.
    pub object: String,
    /// What happened.
    pub message: String,
    /// How often it happened.
    pub count: i32,
    /// When it last happened.
    pub last: Option<Timestamp>,
}

impl EventLine {
    fn from_event(event: &Event) -> Self {
        let last = event
            .last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or_else(|| event.event_time.as_ref().map(|t| t.0))
            .or_else(|| event.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let object = format!(
            "{}/{}",
            event
                .involved_object
                .kind
                .as_deref()
                .unwrap_or_default()
                .to_lowercase(),
            event.involved_object.name.as_deref().unwrap_or_default()
        );
        let count = event
            .count
            .or_else(|| event.series.as_ref().and_then(|s| s.count))
            .unwrap_or(1);
        Self {
            type_: event.type_.clone().unwrap_or_default(),
            reason: event.reason.clone().unwrap_or_default(),
            object,
            message: event.message.clone().unwrap_or_default().trim().to_owned(),
            count,
            last,
        }
    }

    /// `Reason: message`. The status conditions choose and word an Event their own way
    /// (`multicloud_api::observed::events::latest`: the latest Warning first, `Event` for a
    /// missing reason), so this can show another Event than they do.
    pub fn summary(&self) -> String {
        format!("{}: {}", self.reason, self.message)
    }
}

/// Events about the object `kind`/`name` (in `namespace`, or anywhere), oldest first.
pub async fn about(
    client: &Client,
    namespace: Option<&str>,
    kind: &str,
    name: &str,
) -> Result<Vec<EventLine>, kube::Error> {
    let fields = format!("involvedObject.kind={kind},involvedObject.name={name}");
    list(client, namespace, &ListParams::default().fields(&fields)).await
}

/// Every Event in `namespace`, oldest first.
pub async fn in_namespace(client: &Client, namespace: &str) -> Result<Vec<EventLine>, kube::Error> {
    list(client, Some(namespace), &ListParams::default()).await
}

async fn list(
    client: &Client,
    namespace: Option<&str>,
    params: &ListParams,
) -> Result<Vec<EventLine>, kube::Error> {
    let api: Api<Event> = match namespace {
        Some(namespace) => Api::namespaced(client.clone(), namespace),
        None => Api::all(client.clone()),
    };
    let mut lines: Vec<EventLine> = api
        .list(params)
        .await?
        .items
        .iter()
        .map(EventLine::from_event)
        .collect();
    lines.sort_by_key(|l| l.last);
    Ok(lines)
}
