//! Kubernetes Events (`events.k8s.io/v1`) on an instance's transitions, so `kubectl describe` and
//! `kubectl get events` tell its story. An Event that cannot be written is logged, never a reason
//! to fail a reconcile.
//!
//! Instances are cluster-scoped, and before Kubernetes 1.22 the API server accepts a new-style
//! Event about a cluster-scoped object only in `kube-system`; later versions accept it there too.
//! kube-runtime's `Recorder` writes such Events to `default`, so they are written here instead.

use std::collections::HashMap;
use std::sync::Mutex;

use k8s_openapi::api::events::v1::Event as KubeEvent;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::events::{Event, EventType};
use kube::{Client, Resource};
use multicloud_api::{MulticloudInstance, MulticloudInstanceStatus, Phase};

use crate::status::READY;

/// Name the controller reports Events as.
pub const REPORTER: &str = "multicloud-controller";

/// Namespace of Events about cluster-scoped objects.
pub const EVENT_NAMESPACE: &str = "kube-system";

/// Writes Events as this replica.
pub struct Recorder {
    events: Api<KubeEvent>,
    identity: String,
    announced: Announcements,
}

/// The phase last announced for each instance. A reconcile may read an instance from the watch
/// cache before its own last status write arrives there; this keeps it from announcing the same
/// transition twice.
#[derive(Default)]
struct Announcements(Mutex<HashMap<String, Phase>>);

impl Announcements {
    fn announce(&self, instance: &str, phase: Phase) -> bool {
        self.lock().insert(instance.to_owned(), phase) != Some(phase)
    }

    fn forget(&self, instance: &str) {
        self.lock().remove(instance);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Phase>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Recorder {
    /// A recorder writing with `client`, reporting as `identity` (the pod name).
    pub fn new(client: Client, identity: String) -> Self {
        Self {
            events: Api::namespaced(client, EVENT_NAMESPACE),
            identity,
            announced: Announcements::default(),
        }
    }

    /// Records `phase` as announced for `instance`; false when it already was.
    pub fn announce(&self, instance: &str, phase: Phase) -> bool {
        self.announced.announce(instance, phase)
    }

    /// Forgets a deleted instance.
    pub fn forget(&self, instance: &str) {
        self.announced.forget(instance);
    }
}

/// The Event for a change of phase from `before` to `after`, if the phase changed.
pub fn transition(before: Option<Phase>, after: &MulticloudInstanceStatus) -> Option<Event> {
    let phase = after.phase?;
    if before == Some(phase) {
        return None;
    }
    let ready = after.condition(READY);
    let type_ = match phase {
        Phase::Failed => EventType::Warning,
        _ => EventType::Normal,
    };
    let note = ready.map(|c| c.message.clone()).filter(|m| !m.is_empty());
    Some(Event {
        type_,
        reason: phase.to_string(),
        note: note.map(|n| truncate(n, 1000)),
        action: "Reconcile".into(),
        secondary: None,
    })
}

/// Publishes `event` about `instance`.
pub async fn publish(recorder: &Recorder, instance: &MulticloudInstance, event: Event) {
    let now = Timestamp::now();
    let name = instance.name();
    let object = KubeEvent {
        metadata: ObjectMeta {
            name: Some(format!("{name}.{:x}", now.as_nanosecond())),
            namespace: Some(EVENT_NAMESPACE.to_owned()),
            ..ObjectMeta::default()
        },
        event_time: Some(MicroTime(now)),
        action: Some(event.action),
        reason: Some(event.reason.clone()),
        note: event.note,
        regarding: Some(instance.object_ref(&())),
        related: event.secondary,
        reporting_controller: Some(REPORTER.to_owned()),
        reporting_instance: Some(recorder.identity.clone()),
        type_: Some(
            match event.type_ {
                EventType::Normal => "Normal",
                EventType::Warning => "Warning",
            }
            .to_owned(),
        ),
        ..KubeEvent::default()
    };
    if let Err(error) = recorder
        .events
        .create(&PostParams::default(), &object)
        .await
    {
        tracing::warn!(instance = name, %error, reason = event.reason, "failed to publish event");
    }
}

/// At most `limit` bytes, cut at a character boundary (the API caps an Event's note at 1 kB).
fn truncate(mut text: String, limit: usize) -> String {
    if text.len() > limit {
        let mut end = limit;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use multicloud_api::Condition;

    use super::*;

    fn status(phase: Phase, message: &str) -> MulticloudInstanceStatus {
        MulticloudInstanceStatus {
            phase: Some(phase),
            conditions: vec![Condition {
                type_: READY.into(),
                status: "False".into(),
                message: message.into(),
                ..Condition::default()
            }],
            ..MulticloudInstanceStatus::default()
        }
    }

    #[test]
    fn phase_change_is_an_event_and_failure_a_warning() {
        let failed = transition(
            Some(Phase::Provisioning),
            &status(Phase::Failed, "etcd timed out"),
        )
        .expect("phase changed");
        assert_eq!(failed.type_, EventType::Warning);
        assert_eq!(failed.reason, "Failed");
        assert_eq!(failed.note.as_deref(), Some("etcd timed out"));
        let started = transition(None, &status(Phase::Pending, "")).expect("first phase");
        assert_eq!((started.type_, started.note), (EventType::Normal, None));
    }

    #[test]
    fn a_phase_is_announced_once_until_forgotten() {
        let announcements = Announcements::default();
        assert!(announcements.announce("demo", Phase::Pending));
        assert!(!announcements.announce("demo", Phase::Pending));
        assert!(announcements.announce("demo", Phase::Running));
        announcements.forget("demo");
        assert!(announcements.announce("demo", Phase::Running));
    }

    #[test]
    fn unchanged_phase_is_no_event() {
        assert!(transition(Some(Phase::Running), &status(Phase::Running, "")).is_none());
    }

    #[test]
    fn long_notes_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("ééé".into(), 3), "é");
        assert_eq!(truncate("short".into(), 10), "short");
    }
}
