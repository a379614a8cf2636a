//! What was observed of an instance, and what it means: karmada-operator's condition on the
//! Karmada CR, the etcd PVCs and their events, the component workloads on the management
//! cluster and their images, the instance's own Karmada API, and a deletion in progress.
//!
//! This is the one reading of those facts. The controller derives the instance's status from it
//! ([`status::derive`]); the plugin's `describe`, `diagnose` and `create --wait` read the same
//! functions ([`steps`]), so they never tell different stories.

pub mod components;
pub mod deletion;
pub mod events;
pub mod operator;
pub mod status;
pub mod steps;
pub mod storage;

use crate::Condition;
use crate::karmada::Karmada;

pub use components::{COMPONENTS, Component, Workload, WorkloadKind};
pub use deletion::{DeletionObservation, Stuck};
pub use operator::OperatorReport;
pub use status::{Clock, derive};
pub use storage::{ClaimObservation, StorageObservation};

/// Condition: the instance as a whole is usable.
pub const READY: &str = "Ready";
/// Condition: karmada-operator reports the control plane installed.
pub const KARMADA_READY: &str = "KarmadaReady";
/// Condition: etcd has its storage.
pub const STORAGE_READY: &str = "StorageReady";
/// Condition: the instance's own Karmada API answered (the member count).
pub const KARMADA_API_REACHABLE: &str = "KarmadaAPIReachable";
/// Condition: some component does not run the requested karmada version yet.
pub const UPGRADING: &str = "Upgrading";

const TRUE: &str = "True";
const FALSE: &str = "False";
const UNKNOWN: &str = "Unknown";

/// Something that keeps the controller from creating what the instance needs, e.g. a management
/// cluster that is not registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocker {
    /// One CamelCase word.
    pub reason: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

/// The member count of the instance's own Karmada API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberObservation {
    /// Not counted since the controller started (or the instance is not running).
    NotCounted,
    /// `clusters.cluster.karmada.io` objects in the instance's Karmada API.
    Counted(i32),
    /// The instance's Karmada API could not be reached; why.
    Unreachable(String),
}

/// The component workloads on the management cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadObservation {
    /// Not looked at (no Karmada CR yet, or while deleting).
    NotRead,
    /// Every component of [`COMPONENTS`], in install order.
    Read(Vec<Workload>),
    /// The management cluster could not be asked; why.
    Unreachable(String),
}

impl WorkloadObservation {
    /// The workloads, when they were read.
    pub fn read(&self) -> Option<&[Workload]> {
        match self {
            Self::Read(workloads) => Some(workloads),
            _ => None,
        }
    }
}

/// Everything the status is derived from.
#[derive(Debug, Clone)]
pub struct Observation<'a> {
    /// The instance's Karmada CR, when it exists.
    pub karmada: Option<&'a Karmada>,
    /// The etcd storage on the management cluster.
    pub storage: StorageObservation,
    /// The component workloads on the management cluster.
    pub workloads: WorkloadObservation,
    /// The member count.
    pub members: MemberObservation,
    /// Why the controller cannot make progress, if it cannot.
    pub blocker: Option<Blocker>,
    /// While the deletion policy is carried out: what it waits for, and whether it can finish.
    pub deleting: Option<DeletionObservation>,
}

fn condition(type_: &str, status: &str, reason: &str, message: String) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: status.to_owned(),
        reason: reason.to_owned(),
        message,
        last_transition_time: None,
        observed_generation: None,
    }
}
