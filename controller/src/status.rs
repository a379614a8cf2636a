//! The status of an instance: the reading of what was observed lives in
//! [`multicloud_api::observed`], shared with the plugin; the controller gathers the observation
//! ([`crate::reconcile`]) and writes the result.

pub use multicloud_api::observed::deletion::{OperatorPresence, Teardown};
pub use multicloud_api::observed::{
    Blocker, ClaimObservation, Clock, DeletionObservation, KARMADA_API_REACHABLE, KARMADA_READY,
    MemberObservation, Observation, READY, STORAGE_READY, StorageObservation, UPGRADING,
    WorkloadObservation, derive,
};
