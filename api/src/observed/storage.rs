//! `StorageReady`: whether etcd has its storage, from the etcd PVCs on the management cluster and,
//! for a Pending PVC, the events that say why.

use super::{FALSE, STORAGE_READY, TRUE, UNKNOWN, condition};
use crate::Condition;
use crate::instance::StorageType;

/// What the controller saw of etcd's storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageObservation {
    /// hostPath or emptyDir storage: there is nothing to provision.
    NodeLocal(StorageType),
    /// The Karmada CR does not exist yet, so karmada-operator has made no PVC.
    NotRequested,
    /// Each etcd PVC the Karmada CR implies, in ordinal order.
    Claims(Vec<ClaimObservation>),
    /// The management cluster could not be asked; why.
    Unreachable(String),
}

/// One etcd PVC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimObservation {
    /// PVC name.
    pub name: String,
    /// `status.phase` (Pending, Bound, Lost); `None` while the PVC does not exist.
    pub phase: Option<String>,
    /// For a Pending PVC, its most recent event as `Reason: message`.
    pub last_event: Option<String>,
}

impl ClaimObservation {
    /// Whether its phase is `phase`.
    pub fn is(&self, phase: &str) -> bool {
        self.phase.as_deref() == Some(phase)
    }
}

impl StorageObservation {
    /// The `StorageReady` condition: the worst claim decides (Lost, then Pending, then missing).
    pub fn condition(&self) -> Condition {
        match self {
            Self::NodeLocal(StorageType::HostPath) => condition(
                STORAGE_READY,
                TRUE,
                "HostPath",
                "etcd keeps its data in a hostPath directory on one node (not highly available)"
                    .into(),
            ),
            Self::NodeLocal(_) => condition(
                STORAGE_READY,
                TRUE,
                "EmptyDir",
                "etcd keeps its data in an emptyDir, lost when the pod restarts (not highly \
                 available)"
                    .into(),
            ),
            Self::NotRequested => condition(
                STORAGE_READY,
                UNKNOWN,
                "WaitingForKarmada",
                "karmada-operator creates the etcd PVCs once the Karmada CR exists".into(),
            ),
            Self::Unreachable(why) => condition(
                STORAGE_READY,
                UNKNOWN,
                "ManagementClusterUnreachable",
                format!("the etcd PVCs could not be read: {why}"),
            ),
            Self::Claims(claims) => claims_condition(claims),
        }
    }
}

fn claims_condition(claims: &[ClaimObservation]) -> Condition {
    if let Some(lost) = claims.iter().find(|c| c.is("Lost")) {
        return condition(
            STORAGE_READY,
            FALSE,
            "ClaimLost",
            format!(
                "PVC {} lost its volume; etcd data of that member is gone, restore it from a \
                 backup or recreate the instance",
                lost.name
            ),
        );
    }
    if let Some(pending) = claims.iter().find(|c| c.is("Pending")) {
        let why = pending.last_event.as_deref().unwrap_or(
            "no events yet; check that the StorageClass exists and its provisioner is running",
        );
        return condition(
            STORAGE_READY,
            FALSE,
            "ClaimPending",
            format!("PVC {} is Pending: {why}", pending.name),
        );
    }
    let missing: Vec<&str> = claims
        .iter()
        .filter(|c| c.phase.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return condition(
            STORAGE_READY,
            UNKNOWN,
            "WaitingForClaims",
            format!(
                "karmada-operator has not created PVC {} yet",
                missing.join(", ")
            ),
        );
    }
    if let Some(other) = claims.iter().find(|c| !c.is("Bound")) {
        return condition(
            STORAGE_READY,
            UNKNOWN,
            "ClaimNotBound",
            format!(
                "PVC {} is {}",
                other.name,
                other.phase.as_deref().unwrap_or_default()
            ),
        );
    }
    condition(
        STORAGE_READY,
        TRUE,
        "Bound",
        format!("all {} etcd PVC(s) are Bound", claims.len()),
    )
}
