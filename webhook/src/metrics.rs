//! Prometheus metrics: requests by endpoint, operation and verdict, their latency, and the
//! sync state of every management cluster.

use std::time::Duration;

use multicloud_api::clusters::ClusterState;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets in seconds: fine below a millisecond, where the webhook should answer,
/// and up to the 5 s webhook timeout.
const LATENCY_BUCKETS: [f64; 16] = [
    0.000_05, 0.000_1, 0.000_2, 0.000_3, 0.000_5, 0.000_75, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.5, 1.0, 2.5,
];

/// Which admission endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/mutate`
    Mutate = 0,
    /// `/validate`
    Validate = 1,
}

impl Endpoint {
    fn label(self) -> &'static str {
        match self {
            Self::Mutate => "mutate",
            Self::Validate => "validate",
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Admitted (possibly with a patch).
    Allowed = 0,
    /// Denied by a rule.
    Denied = 1,
    /// Not an admission review that could be read (HTTP 4xx).
    Malformed = 2,
}

impl Verdict {
    fn label(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Malformed => "malformed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    endpoint: &'static str,
    operation: &'static str,
    verdict: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ClusterLabels {
    cluster: String,
    state: &'static str,
}

/// Every metric of the webhook, and the registry that exposes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Every request counter, created up front so the hot path only indexes (no hashing, no
    /// lock) and every series exists from the start: see [`counter_index`].
    requests: Vec<Counter>,
    /// Latency by endpoint, indexed like [`ENDPOINTS`].
    latency: [Histogram; 2],
    clusters: Family<ClusterLabels, Gauge>,
}

// In the order of the enums' discriminants, which index these tables.
const ENDPOINTS: [Endpoint; 2] = [Endpoint::Mutate, Endpoint::Validate];
const OPERATIONS: [&str; 5] = ["CREATE", "UPDATE", "DELETE", "CONNECT", "unknown"];
const VERDICTS: [Verdict; 3] = [Verdict::Allowed, Verdict::Denied, Verdict::Malformed];

fn counter_index(endpoint: usize, operation: usize, verdict: usize) -> usize {
    (endpoint * OPERATIONS.len() + operation) * VERDICTS.len() + verdict
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `multicloud_webhook` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("multicloud_webhook");
        let family = Family::<RequestLabels, Counter>::default();
        registry.register(
            "admission_requests",
            "Admission requests by endpoint, operation and verdict",
            family.clone(),
        );
        let mut requests = Vec::new();
        for endpoint in ENDPOINTS {
            for operation in OPERATIONS {
                for verdict in VERDICTS {
                    let labels = RequestLabels {
                        endpoint: endpoint.label(),
                        operation,
                        verdict: verdict.label(),
                    };
                    requests.push(family.get_or_create(&labels).clone());
                }
            }
        }
        let latency_family: Family<EndpointLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        registry.register(
            "admission_duration_seconds",
            "Time from a complete request body to the reply",
            latency_family.clone(),
        );
        let latency = ENDPOINTS.map(|endpoint| {
            latency_family
                .get_or_create(&EndpointLabels {
                    endpoint: endpoint.label(),
                })
                .clone()
        });
        let clusters = Family::<ClusterLabels, Gauge>::default();
        registry.register(
            "cluster_state",
            "1 for the current sync state of each management cluster (ready, not_synced, unreachable)",
            clusters.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            clusters,
        }
    }

    /// Counts one request and its latency.
    /// `operation` is the review's operation (`CREATE`...) or `unknown`.
    pub fn observe(
        &self,
        endpoint: Endpoint,
        operation: &'static str,
        verdict: Verdict,
        elapsed: Duration,
    ) {
        let endpoint = endpoint as usize;
        let operation = OPERATIONS
            .iter()
            .position(|known| *known == operation)
            .unwrap_or(OPERATIONS.len() - 1);
        let verdict = verdict as usize;
        if let Some(counter) = self
            .requests
            .get(counter_index(endpoint, operation, verdict))
        {
            counter.inc();
        }
        if let Some(histogram) = self.latency.get(endpoint) {
            histogram.observe(elapsed.as_secs_f64());
        }
    }

    /// The metrics in the OpenMetrics text format, with the cluster states as of now.
    pub fn encode(&self, clusters: &[(String, ClusterState)]) -> Result<String, std::fmt::Error> {
        // Rebuilt at every scrape so that removed clusters disappear.
        self.clusters.clear();
        for (cluster, state) in clusters {
            let current = state_label(state);
            for state in ["ready", "not_synced", "unreachable"] {
                let labels = ClusterLabels {
                    cluster: cluster.clone(),
                    state,
                };
                self.clusters
                    .get_or_create(&labels)
                    .set(i64::from(state == current));
            }
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

fn state_label(state: &ClusterState) -> &'static str {
    match state {
        ClusterState::Ready { .. } => "ready",
        ClusterState::NotSynced => "not_synced",
        ClusterState::Unreachable { .. } => "unreachable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposes_requests_latency_and_cluster_state() {
        let metrics = Metrics::new();
        metrics.observe(
            Endpoint::Validate,
            "CREATE",
            Verdict::Denied,
            Duration::from_micros(120),
        );
        let text = metrics
            .encode(&[("edge-1".into(), ClusterState::NotSynced)])
            .expect("encodes");
        assert!(text.contains(
            r#"multicloud_webhook_admission_requests_total{endpoint="validate",operation="CREATE",verdict="denied"} 1"#
        ));
        assert!(text.contains(r#"multicloud_webhook_admission_duration_seconds_bucket{le="0.0002",endpoint="validate"} 1"#));
        assert!(text.contains(
            r#"multicloud_webhook_cluster_state{cluster="edge-1",state="not_synced"} 1"#
        ));
        assert!(
            text.contains(r#"multicloud_webhook_cluster_state{cluster="edge-1",state="ready"} 0"#)
        );
        let text = metrics.encode(&[]).expect("encodes");
        assert!(!text.contains("edge-1"));
    }
}
