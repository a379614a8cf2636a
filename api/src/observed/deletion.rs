//! Whether a deletion in progress can finish, and the way out when it cannot.
//!
//! karmada-operator tears a deleted Karmada CR down and only then removes its finalizer
//! `operator.karmada.io/finalizer` (`operator/pkg/controller/karmada/controller.go`); the
//! teardown needs the host cluster (`operator/pkg/deinit.go` builds its client from
//! `spec.hostCluster.secretRef`). With the operator stopped, or its host cluster unreachable, the
//! CR stays forever and so does the instance. The label `operator.karmada.io/disable-cascading-
//! deletion` makes the operator skip the teardown and just remove its finalizer.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;

use super::operator::{self, OperatorReport};
use crate::Condition;
use crate::karmada::Karmada;

/// The flag of `kubectl multicloud delete` that gives up the control plane.
pub const ABANDON_FLAG: &str = "--abandon-control-plane";

/// How long a teardown may take before it is reported as not finishing, unless the controller
/// is told otherwise (`--teardown-timeout`).
pub const TEARDOWN_PATIENCE: Duration = Duration::from_secs(300);

/// Reason of a teardown that karmada-operator reports failing.
pub const TEARDOWN_FAILING: &str = "TeardownFailing";

/// What was seen of karmada-operator itself in the global cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorPresence {
    /// A karmada-operator Deployment has an available replica.
    Running,
    /// No karmada-operator Deployment exists.
    Absent,
    /// Its Deployment exists without an available replica; what was seen.
    Stopped(String),
    /// It could not be looked for; why.
    Unknown(String),
}

/// A deletion that cannot finish on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stuck {
    /// One CamelCase word.
    pub reason: &'static str,
    /// What blocks it and the way out.
    pub message: String,
}

/// A deletion in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionObservation {
    /// What it waits for, in words.
    pub waiting: String,
    /// Why it cannot finish, when it cannot.
    pub stuck: Option<Stuck>,
}

/// The facts a deletion's progress is judged on.
#[derive(Debug, Clone)]
pub struct Teardown<'a> {
    /// The instance name.
    pub instance: &'a str,
    /// Its management cluster.
    pub management_cluster: &'a str,
    /// The Karmada CR, while it exists.
    pub karmada: Option<&'a Karmada>,
    /// karmada-operator in the global cluster.
    pub operator: OperatorPresence,
    /// Why the management cluster cannot be reached, when it cannot.
    pub management_unreachable: Option<String>,
    /// Now.
    pub now: Timestamp,
    /// How long the teardown may take before it is reported as not finishing.
    pub patience: Duration,
    /// The instance's `Ready` condition as last written, to keep a teardown failure visible
    /// while the operator retries.
    pub previous: Option<&'a Condition>,
}

/// Why the deletion of the instance cannot finish, if the facts say so.
pub fn stuck(facts: &Teardown<'_>) -> Option<Stuck> {
    let karmada = facts.karmada?;
    karmada.metadata.deletion_timestamp.as_ref()?;
    if !operator::holds_finalizer(karmada) {
        // Nobody but the API server holds it: it goes on its own.
        return None;
    }
    let name = facts.instance;
    let cluster = facts.management_cluster;
    let way_out = format!(
        "or give the control plane up with `kubectl multicloud delete {name} {ABANDON_FLAG}` \
         (its workloads, Services, Secrets and etcd data stay on management cluster `{cluster}`)"
    );
    let cr = format!(
        "{}/{}",
        karmada.metadata.namespace.as_deref().unwrap_or_default(),
        karmada.metadata.name.as_deref().unwrap_or_default()
    );
    match &facts.operator {
        OperatorPresence::Absent => {
            return Some(Stuck {
                reason: "OperatorNotRunning",
                message: format!(
                    "karmada-operator is not installed in the global cluster (no Deployment \
                     labelled app.kubernetes.io/name=karmada-operator), so nobody tears down the \
                     Karmada CR {cr}: install or start karmada-operator, {way_out}"
                ),
            });
        }
        OperatorPresence::Stopped(seen) => {
            return Some(Stuck {
                reason: "OperatorNotRunning",
                message: format!(
                    "karmada-operator is not running ({seen}), so nobody tears down the Karmada \
                     CR {cr}: start karmada-operator again, {way_out}"
                ),
            });
        }
        OperatorPresence::Running | OperatorPresence::Unknown(_) => {}
    }
    if !operator::tears_down(karmada) {
        // The operator only removes its finalizer, which needs neither the cluster nor time.
        return None;
    }
    if let Some(why) = &facts.management_unreachable {
        return Some(Stuck {
            reason: "ManagementClusterUnreachable",
            message: format!(
                "karmada-operator cannot tear down the Karmada CR {cr} while management cluster \
                 `{cluster}` is unreachable ({why}): make it reachable again, {way_out}"
            ),
        });
    }
    let report = OperatorReport::read(Some(karmada));
    if let OperatorReport::Failed { message, .. } = &report {
        return Some(Stuck {
            reason: TEARDOWN_FAILING,
            message: format!(
                "karmada-operator's teardown of the Karmada CR {cr} fails: {message}; fix the \
                 cause (see `kubectl -n karmada-system logs deploy/karmada-operator`), {way_out}"
            ),
        });
    }
    // Each retry of a failed teardown first resets the condition to `Progressing`
    // (`planner.go` `preRunJob`, "karmada deinit job is in progressing") and fails again
    // moments later: the last failure stands until the CR is gone, so the status does not flap.
    if let (OperatorReport::Progressing(_), Some(previous)) = (&report, facts.previous)
        && previous.reason == TEARDOWN_FAILING
    {
        return Some(Stuck {
            reason: TEARDOWN_FAILING,
            message: previous.message.clone(),
        });
    }
    let since = karmada.metadata.deletion_timestamp.as_ref()?.0;
    let waited = facts.now.duration_since(since);
    if waited.as_secs() > i64::try_from(facts.patience.as_secs()).unwrap_or(i64::MAX) {
        let operator = match &facts.operator {
            OperatorPresence::Unknown(why) => format!(" (karmada-operator not found: {why})"),
            _ => String::new(),
        };
        return Some(Stuck {
            reason: "TeardownNotFinishing",
            message: format!(
                "karmada-operator has not removed its finalizer from the Karmada CR {cr} for {}s{operator}; \
                 it last said: {}; check that it runs \
                 (`kubectl -n karmada-system logs deploy/karmada-operator`), {way_out}",
                waited.as_secs(),
                report.message()
            ),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::observed::READY;

    fn deleted(finalizer: bool, labels: serde_json::Value) -> Karmada {
        serde_json::from_value(json!({
            "apiVersion": "operator.karmada.io/v1alpha1", "kind": "Karmada",
            "metadata": {
                "name": "demo", "namespace": "k-demo", "labels": labels,
                "deletionTimestamp": "2026-01-01T00:00:00Z",
                "finalizers": if finalizer { json!([operator::FINALIZER]) } else { json!([]) }
            },
            "spec": {}
        }))
        .expect("valid Karmada")
    }

    fn facts(karmada: &Karmada, operator: OperatorPresence, seconds: i64) -> Teardown<'_> {
        Teardown {
            instance: "demo",
            management_cluster: "local",
            karmada: Some(karmada),
            operator,
            management_unreachable: None,
            now: Timestamp::from_second(1_767_225_600 + seconds).expect("valid time"),
            patience: TEARDOWN_PATIENCE,
            previous: None,
        }
    }

    #[test]
    fn an_absent_operator_is_named_with_the_way_out() {
        let cr = deleted(true, json!({}));
        let stuck = stuck(&facts(&cr, OperatorPresence::Absent, 1)).expect("stuck");
        assert_eq!(stuck.reason, "OperatorNotRunning");
        assert!(stuck.message.contains("not installed"), "{}", stuck.message);
        assert!(
            stuck
                .message
                .contains("kubectl multicloud delete demo --abandon-control-plane"),
            "{}",
            stuck.message
        );
        let stopped = OperatorPresence::Stopped("karmada-system/karmada-operator 0/1".into());
        assert_eq!(
            super::stuck(&facts(&cr, stopped, 1)).map(|s| s.reason),
            Some("OperatorNotRunning")
        );
    }

    #[test]
    fn a_running_operator_gets_its_patience_then_is_reported() {
        let cr = deleted(true, json!({}));
        assert_eq!(stuck(&facts(&cr, OperatorPresence::Running, 10)), None);
        let late = stuck(&facts(&cr, OperatorPresence::Running, 301)).expect("stuck");
        assert_eq!(late.reason, "TeardownNotFinishing");
    }

    #[test]
    fn a_teardown_failure_stays_reported_while_the_operator_retries() {
        let mut cr = deleted(true, json!({}));
        let report = |cr: &mut Karmada, reason: &str, message: &str| {
            cr.status = serde_json::from_value(json!({"conditions": [{
                "type": "Ready", "status": "False", "reason": reason, "message": message,
                "lastTransitionTime": "2026-01-01T00:00:01Z"
            }]}))
            .expect("valid status");
        };
        report(&mut cr, "Failed", "secrets is forbidden");
        let failing = stuck(&facts(&cr, OperatorPresence::Running, 2)).expect("stuck");
        assert_eq!(failing.reason, TEARDOWN_FAILING);
        assert!(failing.message.contains("secrets is forbidden"));

        report(
            &mut cr,
            "Progressing",
            "karmada deinit job is in progressing",
        );
        assert_eq!(stuck(&facts(&cr, OperatorPresence::Running, 3)), None);
        let previous =
            crate::observed::condition(READY, "False", TEARDOWN_FAILING, failing.message.clone());
        let mut retrying = facts(&cr, OperatorPresence::Running, 3);
        retrying.previous = Some(&previous);
        assert_eq!(stuck(&retrying), Some(failing));
    }

    #[test]
    fn the_patience_is_the_controllers_setting() {
        let cr = deleted(true, json!({}));
        let mut facts = facts(&cr, OperatorPresence::Running, 11);
        facts.patience = Duration::from_secs(10);
        assert_eq!(
            stuck(&facts).map(|s| s.reason),
            Some("TeardownNotFinishing")
        );
    }

    #[test]
    fn an_unreachable_management_cluster_blocks_the_teardown() {
        let cr = deleted(true, json!({}));
        let mut facts = facts(&cr, OperatorPresence::Running, 1);
        facts.management_unreachable = Some("connection refused".into());
        assert_eq!(
            stuck(&facts).map(|s| s.reason),
            Some("ManagementClusterUnreachable")
        );
    }

    #[test]
    fn nothing_is_stuck_without_the_operator_finalizer_or_with_teardown_disabled() {
        let free = deleted(false, json!({}));
        assert_eq!(stuck(&facts(&free, OperatorPresence::Absent, 900)), None);
        let abandoned = deleted(
            true,
            json!({operator::DISABLE_CASCADING_DELETION_LABEL: "true"}),
        );
        assert_eq!(
            stuck(&facts(&abandoned, OperatorPresence::Running, 900)),
            None
        );
        assert_eq!(
            stuck(&facts(&abandoned, OperatorPresence::Absent, 1)).map(|s| s.reason),
            Some("OperatorNotRunning"),
            "without the operator nobody removes its finalizer"
        );
    }
}
