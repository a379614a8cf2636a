//! The [`Lookup`] of a real run: instance and management cluster names from the global cluster,
//! contexts and entries from the kubeconfig, each bounded in time so that a slow or unreachable
//! cluster costs the shell a pause, never a hang. Failures give no candidates.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::Kubeconfig;
use multicloud_api::keys::LOCAL_CLUSTER;

use super::{Candidate, Lookup};
use crate::context::{Context, read_kubeconfig};
use crate::flags::{Connection, RequestTimeout};
use crate::{clusters, instances};

/// Bound on everything one completion asks the cluster.
const CLUSTER_BOUND: Duration = Duration::from_secs(5);

/// Completion against the cluster the words name (`--kubeconfig`, `--context`), else the
/// kubeconfig kubectl would use.
pub struct LiveLookup {
    connection: Connection,
}

impl LiveLookup {
    /// A lookup for the connection flags among `words`.
    pub fn new(words: &[String]) -> Self {
        let mut connection = Connection {
            timeout: RequestTimeout {
                request_timeout: Some(CLUSTER_BOUND),
            },
            ..Connection::default()
        };
        let mut words = words.iter();
        while let Some(word) = words.next() {
            let value = |flag: &str| -> Option<String> {
                match word.strip_prefix(flag)?.strip_prefix('=') {
                    Some(inline) => Some(inline.to_owned()),
                    None if word == flag => words.clone().next().cloned(),
                    None => None,
                }
            };
            if let Some(path) = value("--kubeconfig") {
                connection.kubeconfig = Some(PathBuf::from(path));
            } else if let Some(context) = value("--context") {
                connection.context = Some(context);
            }
        }
        Self { connection }
    }

    /// Runs `ask` against the global cluster, giving nothing when it fails or takes too long.
    fn ask<F, Fut>(&self, ask: F) -> Vec<Candidate>
    where
        F: FnOnce(Context) -> Fut,
        Fut: Future<Output = Vec<Candidate>>,
    {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return Vec::new();
        };
        let ctx = Context::new(self.connection.clone());
        runtime
            .block_on(async { tokio::time::timeout(CLUSTER_BOUND, ask(ctx)).await })
            .unwrap_or_default()
    }

    fn kubeconfig(&self) -> Option<Kubeconfig> {
        match &self.connection.kubeconfig {
            Some(path) => read_kubeconfig(path).ok(),
            None => Kubeconfig::read().ok(),
        }
    }
}

fn plain(names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    names.dedup();
    names
}

impl Lookup for LiveLookup {
    fn instances(&self) -> Vec<Candidate> {
        self.ask(|ctx| async move {
            let Ok(client) = ctx.client().await else {
                return Vec::new();
            };
            instances::list(&client, None)
                .await
                .unwrap_or_default()
                .iter()
                .map(|i| Candidate {
                    value: i.name().to_owned(),
                    help: i
                        .status
                        .as_ref()
                        .and_then(|s| s.phase)
                        .map(|p| p.to_string())
                        .unwrap_or_default(),
                })
                .collect()
        })
    }

    fn clusters(&self) -> Vec<String> {
        let registered = self.ask(|ctx| async move {
            let Ok(client) = ctx.client().await else {
                return Vec::new();
            };
            clusters::registered(&client)
                .await
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.metadata.name)
                .map(|value| Candidate {
                    value,
                    help: String::new(),
                })
                .collect()
        });
        plain(
            std::iter::once(LOCAL_CLUSTER.to_owned())
                .chain(registered.into_iter().map(|c| c.value)),
        )
    }

    fn contexts(&self) -> Vec<String> {
        plain(
            self.kubeconfig()
                .map(|k| k.contexts.into_iter().map(|c| c.name).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
    }

    fn kubeconfig_clusters(&self) -> Vec<String> {
        plain(
            self.kubeconfig()
                .map(|k| k.clusters.into_iter().map(|c| c.name).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
    }

    fn kubeconfig_users(&self) -> Vec<String> {
        plain(
            self.kubeconfig()
                .map(|k| k.auth_infos.into_iter().map(|u| u.name).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
    }
}
