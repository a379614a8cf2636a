//! High availability: an instance is HA only with PVC storage and at least three etcd members.

use crate::instance::{MulticloudInstanceSpec, StorageType};

/// Fewest etcd members that keep a quorum through the loss of one.
pub const MIN_HA_REPLICAS: i32 = 3;

/// Why an instance is not highly available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotHaReason {
    /// hostPath storage.
    HostPath,
    /// emptyDir storage.
    EmptyDir,
    /// PVC storage with fewer than three members.
    TooFewReplicas,
}

impl NotHaReason {
    /// The reason as written to the `multicloud.dev/high-availability-reason` annotation.
    pub fn message(self) -> &'static str {
        match self {
            Self::HostPath => "hostPath: etcd data is bound to one node",
            Self::EmptyDir => "emptyDir: etcd data is lost when the pod restarts",
            Self::TooFewReplicas => {
                "fewer than 3 etcd replicas: no etcd quorum to survive a failure"
            }
        }
    }
}

/// The high-availability verdict for a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Availability {
    /// Whether the instance is highly available.
    pub high_availability: bool,
    /// Why not, when it is not.
    pub reason: Option<NotHaReason>,
}

/// Assess a spec's high availability.
pub fn assess(spec: &MulticloudInstanceSpec) -> Availability {
    let reason = match spec.etcd.storage.type_ {
        StorageType::HostPath => Some(NotHaReason::HostPath),
        StorageType::EmptyDir => Some(NotHaReason::EmptyDir),
        StorageType::PersistentVolumeClaim if spec.etcd.replicas < MIN_HA_REPLICAS => {
            Some(NotHaReason::TooFewReplicas)
        }
        StorageType::PersistentVolumeClaim => None,
    };
    Availability {
        high_availability: reason.is_none(),
        reason,
    }
}

/// Admission warnings for storage that is never highly available.
pub(super) fn warnings(spec: &MulticloudInstanceSpec) -> Vec<String> {
    match assess(spec).reason {
        Some(reason @ (NotHaReason::HostPath | NotHaReason::EmptyDir)) => vec![format!(
            "instance is not highly available ({}); use PersistentVolumeClaim storage with 3 or \
             more etcd replicas for production",
            reason.message()
        )],
        _ => Vec::new(),
    }
}
