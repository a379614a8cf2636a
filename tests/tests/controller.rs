//! multicloud-controller end to end: the built binary runs as a process against a real
//! kube-apiserver and kube-controller-manager. karmada-operator cannot run pods here, so its CRD
//! is a stand-in and the tests play the operator by writing the Karmada CR's status.

#[path = "controller/availability.rs"]
mod availability;
#[path = "controller/create.rs"]
mod create;
#[path = "controller/deletion.rs"]
mod deletion;
#[path = "controller/host_paths.rs"]
mod host_paths;
#[path = "controller/kubeconfigs.rs"]
mod kubeconfigs;
#[path = "controller/ownership.rs"]
mod ownership;
#[path = "controller/rbac.rs"]
mod rbac;
#[path = "controller/spec_change.rs"]
mod spec_change;
#[path = "controller/status.rs"]
mod status;
#[path = "controller/stuck_deletion.rs"]
mod stuck_deletion;
#[path = "controller/support.rs"]
mod support;
#[path = "controller/teardown.rs"]
mod teardown;
