//! The `multicloud.dev` API: what a multicloud instance is, the admission rules that guard it,
//! the names of everything derived from it, and the `Karmada` custom resource it becomes.
//!
//! This crate does no network I/O. The webhook, the controller and the plugin are thin shells of
//! I/O around it, so they can never disagree about a rule or a name.
#![forbid(unsafe_code)]

pub mod certificate;
pub mod clusters;
pub mod crd;
pub mod duration;
pub mod http_url;
pub mod instance;
pub mod karmada;
pub mod keys;
pub mod kubeconfig;
pub mod names;
pub mod observed;
pub mod quantity;
pub mod release;
pub mod rules;
pub mod schema;
pub mod yaml;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use instance::{
    Condition, DeletionPolicy, EtcdSpec, EtcdStorage, KarmadaSpec, MulticloudInstance,
    MulticloudInstanceSpec, MulticloudInstanceStatus, ObjectRef, Phase, StorageType,
};

/// The kube and k8s-openapi versions every crate of the workspace builds against.
pub use k8s_openapi;
pub use kube;
