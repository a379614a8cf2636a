//! The plugin against a real kube-apiserver, for the habits kubectl users bring: kubectl's
//! global connection flags, deleting by selector, `--watch`, and completion from the cluster.

#[path = "live/clusters.rs"]
mod clusters;
#[path = "live/complete.rs"]
mod complete;
#[path = "live/delete.rs"]
mod delete;
#[path = "live/global_flags.rs"]
mod global_flags;
#[path = "live/support.rs"]
mod support;
#[path = "live/watch.rs"]
mod watch;
