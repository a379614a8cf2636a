//! multicloud-controller: turns each `MulticloudInstance` into a namespace and a karmada-operator
//! `Karmada` CR in the global cluster, keeps the instance's status true to what is really there,
//! and honours its deletion policy. karmada-operator does the install; we drive it.
#![forbid(unsafe_code)]

pub mod args;
pub mod clusters;
pub mod context;
pub mod error;
pub mod events;
pub mod finalizer;
pub mod leader;
pub mod members;
pub mod metrics;
pub mod reconcile;
pub mod runner;
pub mod server;
pub mod status;
pub mod watches;

mod start;

pub use start::run;
