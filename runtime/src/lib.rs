//! What every multicloud process needs that the domain does not: for now, the one way to turn
//! a kubeconfig that someone else wrote into a Kubernetes client ([`kubeconfig`]).
#![forbid(unsafe_code)]

pub mod kubeconfig;
