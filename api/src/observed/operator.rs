//! What karmada-operator's `Ready` condition on the Karmada CR means.
//!
//! Facts from the operator's source (karmada-io/karmada, folder `operator/`):
//! - every run first resets the conditions to one `Ready=False Progressing`
//!   (`pkg/apis/operator/v1alpha1/helper.go` `KarmadaInProgressing`, called from
//!   `pkg/controller/karmada/planner.go` `preRunJob`), so a re-run of a healthy instance, e.g.
//!   after an operator restart, reads `Progressing` again;
//! - a failed run writes `Ready=False Failed` and returns the error, so controller-runtime
//!   requeues it and the next run writes `Progressing` again (`planner.go` `runJobErr`); each wait
//!   step gives up after 120 s (`pkg/tasks/init/wait.go` `componentBeReadyTimeout`): `Failed` is
//!   transient;
//! - only validation is final: `pkg/controller/karmada/controller.go` `validateKarmada` writes its
//!   reason and stops without a requeue (reason `InvalidExternalEtcdClientSecretName`; the
//!   operator's API also names `ValidationError`);
//! - `status.observedGeneration` is declared but never written, so it proves nothing.

use crate::karmada::Karmada;

/// Reason of a run in progress.
pub const PROGRESSING: &str = "Progressing";
/// Reason of a completed run.
pub const COMPLETED: &str = "Completed";
/// Reason of a failed run (retried).
pub const FAILED: &str = "Failed";
/// Reason of a spec the operator refuses for good.
pub const VALIDATION_ERROR: &str = "ValidationError";
/// Reason `controller.go` writes for a wrongly named external etcd Secret (final too).
pub const INVALID_EXTERNAL_ETCD_SECRET: &str = "InvalidExternalEtcdClientSecretName";

/// The operator's finalizer on every Karmada CR it has seen (`controller.go`).
pub const FINALIZER: &str = "operator.karmada.io/finalizer";

/// Label that makes the operator skip the teardown when the CR is deleted: any value but
/// `"false"` (`controller.go`, `DisableCascadingDeletionLabel`).
pub const DISABLE_CASCADING_DELETION_LABEL: &str = "operator.karmada.io/disable-cascading-deletion";

/// What the Karmada CR says of the install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorReport {
    /// There is no Karmada CR.
    NoKarmada,
    /// The CR exists but the operator wrote no `Ready` condition.
    Silent,
    /// A run is in progress.
    Progressing(String),
    /// The last run completed.
    Completed(String),
    /// The last run failed; the operator will run again.
    Failed {
        /// The operator's message.
        message: String,
        /// Identifies this failure (its transition time and message), so it is counted once.
        mark: String,
    },
    /// The operator refuses the CR and will not retry.
    Refused {
        /// The operator's reason.
        reason: String,
        /// The operator's message.
        message: String,
    },
    /// A reason this reading does not know; treated as still in progress.
    Other {
        /// The operator's reason.
        reason: String,
        /// Its status (`True`, `False`, `Unknown`).
        status: String,
        /// The operator's message.
        message: String,
    },
}

impl OperatorReport {
    /// Reads the `Ready` condition of `karmada`.
    pub fn read(karmada: Option<&Karmada>) -> Self {
        let Some(karmada) = karmada else {
            return Self::NoKarmada;
        };
        let Some(ready) = karmada.status.as_ref().and_then(|s| s.ready()) else {
            return Self::Silent;
        };
        let message = ready.message.clone();
        match ready.reason.as_str() {
            PROGRESSING => Self::Progressing(message),
            COMPLETED if ready.status == "True" => Self::Completed(message),
            FAILED => Self::Failed {
                mark: format!(
                    "{} {}",
                    ready.last_transition_time.as_deref().unwrap_or_default(),
                    message
                ),
                message,
            },
            VALIDATION_ERROR | INVALID_EXTERNAL_ETCD_SECRET => Self::Refused {
                reason: ready.reason.clone(),
                message,
            },
            other => Self::Other {
                reason: if other.is_empty() {
                    "NoReason".into()
                } else {
                    other.to_owned()
                },
                status: ready.status.clone(),
                message,
            },
        }
    }

    /// The operator's message, or a sentence when it wrote none.
    pub fn message(&self) -> String {
        let text = match self {
            Self::NoKarmada | Self::Silent => "",
            Self::Progressing(m) | Self::Completed(m) => m,
            Self::Failed { message, .. }
            | Self::Refused { message, .. }
            | Self::Other { message, .. } => message,
        };
        if text.is_empty() {
            format!("karmada-operator reports {}", self.reason())
        } else {
            text.to_owned()
        }
    }

    /// The operator's reason, as it wrote it.
    pub fn reason(&self) -> &str {
        match self {
            Self::NoKarmada => "NotCreated",
            Self::Silent => "WaitingForOperator",
            Self::Progressing(_) => PROGRESSING,
            Self::Completed(_) => COMPLETED,
            Self::Failed { .. } => FAILED,
            Self::Refused { reason, .. } | Self::Other { reason, .. } => reason,
        }
    }
}

/// Whether the operator will tear the control plane down when `karmada` is deleted.
pub fn tears_down(karmada: &Karmada) -> bool {
    karmada
        .metadata
        .labels
        .as_ref()
        .and_then(|l| l.get(DISABLE_CASCADING_DELETION_LABEL))
        .is_none_or(|value| value == "false")
}

/// Whether the operator has seen `karmada` (it adds its finalizer on its first run).
pub fn holds_finalizer(karmada: &Karmada) -> bool {
    karmada
        .metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn karmada(condition: serde_json::Value) -> Karmada {
        serde_json::from_value(json!({
            "apiVersion": "operator.karmada.io/v1alpha1", "kind": "Karmada",
            "metadata": {"name": "demo", "namespace": "k-demo"},
            "spec": {},
            "status": {"conditions": [condition]}
        }))
        .expect("valid Karmada")
    }

    #[test]
    fn failed_is_a_retried_run_marked_by_its_transition() {
        let report = OperatorReport::read(Some(&karmada(json!({
            "type": "Ready", "status": "False", "reason": "Failed",
            "message": "waiting for etcd timeout", "lastTransitionTime": "2026-01-01T00:00:00Z"
        }))));
        assert_eq!(
            report,
            OperatorReport::Failed {
                message: "waiting for etcd timeout".into(),
                mark: "2026-01-01T00:00:00Z waiting for etcd timeout".into()
            }
        );
    }

    #[test]
    fn validation_reasons_are_final() {
        for reason in [VALIDATION_ERROR, INVALID_EXTERNAL_ETCD_SECRET] {
            let report = OperatorReport::read(Some(&karmada(json!({
                "type": "Ready", "status": "False", "reason": reason, "message": "no"
            }))));
            assert!(
                matches!(report, OperatorReport::Refused { .. }),
                "{report:?}"
            );
        }
    }

    #[test]
    fn completed_needs_status_true() {
        let done = karmada(json!({"type": "Ready", "status": "True", "reason": "Completed"}));
        assert_eq!(
            OperatorReport::read(Some(&done)).message(),
            "karmada-operator reports Completed"
        );
        let odd = karmada(json!({"type": "Ready", "status": "False", "reason": "Completed"}));
        assert!(matches!(
            OperatorReport::read(Some(&odd)),
            OperatorReport::Other { .. }
        ));
        assert_eq!(OperatorReport::read(None), OperatorReport::NoKarmada);
    }

    #[test]
    fn teardown_is_skipped_for_any_label_value_but_false() {
        let mut cr = karmada(json!({"type": "Ready", "status": "True", "reason": "Completed"}));
        assert!(tears_down(&cr));
        for (value, tears) in [
            ("false", true),
            ("true", false),
            ("yes", false),
            ("", false),
        ] {
            cr.metadata.labels = Some(
                [(
                    DISABLE_CASCADING_DELETION_LABEL.to_owned(),
                    value.to_owned(),
                )]
                .into(),
            );
            assert_eq!(tears_down(&cr), tears, "{value:?}");
        }
    }
}
