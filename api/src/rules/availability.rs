//! High availability, decided once: an instance is HA only with PVC storage and at least three
//! etcd members, and then its Karmada CR is rendered to make it so (etcd members on distinct
//! nodes, every other control-plane component replicated with a PodDisruptionBudget).
//!
//! [`plan`] is what the rendering in [`crate::karmada`] applies and [`assess`] reads the verdict
//! off that same plan, so the annotation can never claim what the CR does not ask for.

use crate::instance::{MulticloudInstanceSpec, StorageType};

/// Fewest etcd members that keep a quorum through the loss of one.
pub const MIN_HA_REPLICAS: i32 = 3;

/// Replicas of the API server and every other control-plane Deployment of an HA instance.
pub const HA_COMPONENT_REPLICAS: i32 = 2;

/// Pods of one component a voluntary disruption (a node drain) may take at a time.
pub const HA_MAX_UNAVAILABLE: i32 = 1;

/// Node label the spread is over: one etcd member (and one replica of each component) per node.
pub const SPREAD_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// What the rendering makes of an instance's control plane, beyond its storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// etcd members and component replicas must run on distinct nodes (required pod
    /// anti-affinity on [`SPREAD_TOPOLOGY_KEY`]).
    pub spread_across_nodes: bool,
    /// Replicas of each control-plane Deployment; `None` leaves karmada-operator's default
    /// (one, two for karmada-metrics-adapter; `operator/pkg/apis/operator/v1alpha1/defaults.go`).
    pub component_replicas: Option<i32>,
    /// Every component gets a PodDisruptionBudget of `maxUnavailable: 1`.
    pub disruption_budgets: bool,
}

impl Plan {
    /// Whether a control plane rendered to this plan survives the loss of a node.
    pub fn holds(&self) -> bool {
        self.spread_across_nodes
            && self.component_replicas.is_some_and(|r| r > 1)
            && self.disruption_budgets
    }
}

/// The rendering plan for a spec.
pub fn plan(spec: &MulticloudInstanceSpec) -> Plan {
    let ha = storage_reason(spec).is_none();
    Plan {
        spread_across_nodes: ha,
        component_replicas: ha.then_some(HA_COMPONENT_REPLICAS),
        disruption_budgets: ha,
    }
}

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

/// What every non-HA instance lacks besides the reason itself: the rendering keeps
/// karmada-operator's single-replica defaults for it.
macro_rules! also_lacks {
    () => {
        "its etcd members are not spread across nodes, and the Karmada API server and the other \
         control-plane components run without extra replicas or a PodDisruptionBudget"
    };
}

impl NotHaReason {
    /// The reason as written to the `multicloud.dev/high-availability-reason` annotation:
    /// everything the instance lacks, the cause first.
    pub fn message(self) -> &'static str {
        match self {
            Self::HostPath => concat!("hostPath: etcd data is bound to one node; ", also_lacks!()),
            Self::EmptyDir => concat!(
                "emptyDir: etcd data is lost when the pod restarts; ",
                also_lacks!()
            ),
            Self::TooFewReplicas => concat!(
                "fewer than 3 etcd replicas: no etcd quorum to survive a failure; ",
                also_lacks!()
            ),
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

/// Assess a spec's high availability: HA exactly when its storage allows it and the rendering
/// [`plan`] spreads etcd and replicates every component behind a PodDisruptionBudget.
pub fn assess(spec: &MulticloudInstanceSpec) -> Availability {
    let reason = storage_reason(spec);
    Availability {
        high_availability: reason.is_none() && plan(spec).holds(),
        reason,
    }
}

fn storage_reason(spec: &MulticloudInstanceSpec) -> Option<NotHaReason> {
    match spec.etcd.storage.type_ {
        StorageType::HostPath => Some(NotHaReason::HostPath),
        StorageType::EmptyDir => Some(NotHaReason::EmptyDir),
        StorageType::PersistentVolumeClaim if spec.etcd.replicas < MIN_HA_REPLICAS => {
            Some(NotHaReason::TooFewReplicas)
        }
        StorageType::PersistentVolumeClaim => None,
    }
}

/// The admission warning of every instance that is not highly available, the default one
/// replica included: a user must learn it at `create`, not from a lost quorum later.
pub(super) fn warnings(spec: &MulticloudInstanceSpec) -> Vec<String> {
    match assess(spec).reason {
        Some(reason) => vec![format!(
            "instance is not highly available ({}); use PersistentVolumeClaim storage with 3 or \
             more etcd replicas for production",
            reason.message()
        )],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_names_what_else_the_instance_lacks() {
        for reason in [
            NotHaReason::HostPath,
            NotHaReason::EmptyDir,
            NotHaReason::TooFewReplicas,
        ] {
            assert!(reason.message().ends_with(also_lacks!()), "{reason:?}");
        }
    }
}
