//! kubectl-multicloud end to end: the built plugin runs as a process, as a user runs it, against
//! a real kube-apiserver and kube-controller-manager, with the built webhook (registered by URL
//! on 127.0.0.1) and controller running as processes. karmada-operator cannot run pods here, so a
//! stand-in plays it (and the kubelet): see `multicloud_e2e::operator`.

#[path = "plugin/clusters.rs"]
mod clusters;
#[path = "plugin/create.rs"]
mod create;
#[path = "plugin/delete.rs"]
mod delete;
#[path = "plugin/diagnose.rs"]
mod diagnose;
#[path = "plugin/install.rs"]
mod install;
#[path = "plugin/operator_retries.rs"]
mod operator_retries;
#[path = "plugin/support.rs"]
mod support;
