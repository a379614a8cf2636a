//! What every multicloud process needs that the domain does not, in the spirit of linkerd's
//! `kubert`: the flag groups and how flags meet the environment ([`args`]), log set-up
//! ([`logging`]), the shutdown signal ([`shutdown`]), the error report of `main` ([`report`]),
//! one retry policy ([`backoff`]), one watch driver ([`watch`]), and the one way to turn a
//! kubeconfig that someone else wrote into a Kubernetes client ([`kubeconfig`]).
#![forbid(unsafe_code)]

pub mod args;
pub mod backoff;
pub mod kubeconfig;
pub mod logging;
pub mod report;
pub mod shutdown;
pub mod watch;
