//! Which of an object's events tells its story.

use k8s_openapi::api::core::v1::Event;
use k8s_openapi::jiff::Timestamp;

fn when(event: &Event) -> Option<Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or(event.event_time.as_ref().map(|t| t.0))
        .or(event.first_timestamp.as_ref().map(|t| t.0))
        .or(event.metadata.creation_timestamp.as_ref().map(|t| t.0))
}

/// An event as `Reason: message`.
pub fn line(event: &Event) -> String {
    let reason = event.reason.as_deref().unwrap_or("Event");
    let message = event.message.as_deref().unwrap_or_default().trim();
    format!("{reason}: {message}")
}

fn is_warning(event: &&Event) -> bool {
    event.type_.as_deref() == Some("Warning")
}

/// The most recent event as `Reason: message`, preferring warnings: a Pending PVC's story is in
/// its last warning (ProvisioningFailed), not in the routine normal events around it.
pub fn latest(events: &[Event]) -> Option<String> {
    events
        .iter()
        .filter(is_warning)
        .max_by_key(|e| when(e))
        .or_else(|| events.iter().max_by_key(|e| when(e)))
        .map(line)
}

/// The most recent Warning event, e.g. a StatefulSet's `FailedCreate`.
pub fn latest_warning(events: &[Event]) -> Option<String> {
    events
        .iter()
        .filter(is_warning)
        .max_by_key(|e| when(e))
        .map(line)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

    use super::*;

    fn event(type_: &str, reason: &str, message: &str, second: i64) -> Event {
        Event {
            type_: Some(type_.into()),
            reason: Some(reason.into()),
            message: Some(message.into()),
            last_timestamp: Timestamp::from_second(second).ok().map(Time),
            ..Event::default()
        }
    }

    #[test]
    fn latest_warning_tells_why_a_claim_is_pending() {
        let events = [
            event(
                "Warning",
                "ProvisioningFailed",
                "class \"gold\" not found",
                10,
            ),
            event("Normal", "WaitForFirstConsumer", "waiting", 20),
            event(
                "Warning",
                "ProvisioningFailed",
                "class \"gold\" still not found",
                15,
            ),
        ];
        assert_eq!(
            latest(&events).as_deref(),
            Some("ProvisioningFailed: class \"gold\" still not found")
        );
        assert_eq!(
            latest(&events[1..2]).as_deref(),
            Some("WaitForFirstConsumer: waiting")
        );
        assert_eq!(latest(&[]), None);
        assert_eq!(latest_warning(&events[1..2]), None);
    }
}
