//! The real karmada-operator end to end, when `KARMADA_OPERATOR_BIN` names a binary (and
//! `KARMADA_OPERATOR_CRDS` its Karmada CRD): it runs against a real kube-apiserver and
//! kube-controller-manager and does what it can without a kubelet, up to its wait for etcd's
//! pods. Without the variable every test says that it did not run, and passes.
//! How to build a binary and what was verified: `docs/testing-real-operator.md`.

#[path = "real_operator/conditions.rs"]
mod conditions;
#[path = "real_operator/deletion.rs"]
mod deletion;
#[path = "real_operator/install.rs"]
mod install;
#[path = "real_operator/schema.rs"]
mod schema;
#[path = "real_operator/spec_change.rs"]
mod spec_change;
#[path = "real_operator/support.rs"]
mod support;
