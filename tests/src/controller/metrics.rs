//! The controller's own account of its work, read from its `/metrics`: the API requests it made
//! and the reconciles it finished. Benchmarks and fault tests report these instead of guessing.

use std::collections::BTreeMap;

/// Counters scraped from the controller's `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    /// API requests by `METHOD/kind`, `kind` being `read` or `write`.
    pub requests: BTreeMap<String, f64>,
    /// Finished reconciles, successful or not.
    pub reconciles: f64,
    /// Finished reconciles that failed (and were retried).
    pub failed_reconciles: f64,
}

impl Counters {
    /// Requests of `kind` (`read` or `write`).
    pub fn total(&self, kind: &str) -> f64 {
        self.requests
            .iter()
            .filter(|(key, _)| key.ends_with(&format!("/{kind}")))
            .map(|(_, n)| n)
            .sum()
    }

    /// What was counted after `earlier`.
    pub fn since(&self, earlier: &Counters) -> Counters {
        Counters {
            requests: self
                .requests
                .iter()
                .map(|(key, n)| (key.clone(), n - earlier.requests.get(key).unwrap_or(&0.0)))
                .collect(),
            reconciles: self.reconciles - earlier.reconciles,
            failed_reconciles: self.failed_reconciles - earlier.failed_reconciles,
        }
    }
}

/// Reads the counters from the `/metrics` of the controller listening on `address`.
pub async fn scrape(address: &str) -> Counters {
    let text = http_get(address, "/metrics").await;
    let mut counters = Counters::default();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let value: f64 = value.parse().unwrap_or_default();
        let label = |name: &str| {
            series
                .split(&format!("{name}=\""))
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_default()
                .to_owned()
        };
        if series.starts_with("multicloud_controller_api_requests_total{") {
            let key = format!("{}/{}", label("method"), label("kind"));
            *counters.requests.entry(key).or_default() += value;
        } else if series.starts_with("multicloud_controller_reconciles_total{") {
            counters.reconciles += value;
            if label("result") == "error" {
                counters.failed_reconciles += value;
            }
        }
    }
    counters
}

/// The body of `GET http://<address><path>` (HTTP/1.0, the controller's probe server).
pub async fn http_get(address: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("probe port answers");
    let request = format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("response is read");
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}
