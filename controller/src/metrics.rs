//! Prometheus metrics, and the client layer that counts every API request the controller makes,
//! so that the cost of a reconcile at steady state can be measured, not guessed.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of a counted API request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// HTTP method, or `WATCH` for a watch.
    pub method: String,
    /// `read` (GET, LIST, WATCH) or `write` (everything else).
    pub kind: String,
}

/// Labels of a finished reconcile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReconcileLabels {
    /// `ok` or `error`.
    pub result: String,
}

/// The controller's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    reconciles: Family<ReconcileLabels, Counter>,
    reconcile_duration: Histogram,
    leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("multicloud_controller");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "api_requests",
            "Requests the controller made to Kubernetes API servers",
            requests.clone(),
        );
        let reconciles = Family::<ReconcileLabels, Counter>::default();
        registry.register(
            "reconciles",
            "Finished reconciles of instances",
            reconciles.clone(),
        );
        let reconcile_duration = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        registry.register(
            "reconcile_duration_seconds",
            "Time a reconcile of one instance took",
            reconcile_duration.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "leader",
            "1 while this replica holds the leader Lease and reconciles",
            leader.clone(),
        );
        Self {
            registry: Arc::new(registry),
            requests,
            reconciles,
            reconcile_duration,
            leader,
        }
    }
}

impl Metrics {
    /// Counts one API request.
    pub fn count_request(&self, method: &http::Method, query: Option<&str>) {
        let watch = query.is_some_and(|q| q.split('&').any(|pair| pair == "watch=true"));
        let method = if watch { "WATCH" } else { method.as_str() };
        let kind = match method {
            "GET" | "WATCH" | "HEAD" => "read",
            _ => "write",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                kind: kind.to_owned(),
            })
            .inc();
    }

    /// Records a finished reconcile.
    pub fn reconciled(&self, ok: bool, took: Duration) {
        let result = if ok { "ok" } else { "error" };
        self.reconciles
            .get_or_create(&ReconcileLabels {
                result: result.to_owned(),
            })
            .inc();
        self.reconcile_duration.observe(took.as_secs_f64());
    }

    /// Whether this replica leads.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// A client layer counting requests into these metrics.
    pub fn layer(&self) -> CountingLayer {
        CountingLayer {
            metrics: self.clone(),
        }
    }
}

/// A tower layer counting each request before it is sent.
#[derive(Clone)]
pub struct CountingLayer {
    metrics: Metrics,
}

impl<S> tower::Layer<S> for CountingLayer {
    type Service = Counting<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Counting {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`CountingLayer`] makes.
#[derive(Clone)]
pub struct Counting<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, B> tower::Service<http::Request<B>> for Counting<S>
where
    S: tower::Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        self.metrics
            .count_request(request.method(), request.uri().query());
        self.inner.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watches_reads_and_writes_are_told_apart() {
        let metrics = Metrics::default();
        metrics.count_request(&http::Method::GET, Some("labelSelector=a&watch=true"));
        metrics.count_request(&http::Method::GET, None);
        metrics.count_request(&http::Method::PATCH, Some("fieldManager=multicloud"));
        let text = metrics.encode();
        assert!(
            text.contains(r#"api_requests_total{method="WATCH",kind="read"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"api_requests_total{method="GET",kind="read"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"api_requests_total{method="PATCH",kind="write"} 1"#),
            "{text}"
        );
    }
}
