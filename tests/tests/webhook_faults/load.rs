//! Sustained, paced load: kept-alive connections each sending one request per tick, the way the
//! API server's connection pool does, every request recorded with when it was sent, how long
//! it took and how it ended. Bounded in connections, rate and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::task::JoinSet;

use super::client::{Connection, Outcome, Target};

/// One request.
#[derive(Debug, Clone)]
pub struct Sample {
    /// When it was sent, from the start of the scenario.
    pub sent: Duration,
    pub latency: Duration,
    pub outcome: Outcome,
}

/// What a stream of requests sends: the path and body of request `n`, and its uid.
pub type Requests = Arc<dyn Fn(u64) -> (&'static str, Vec<u8>, String) + Send + Sync>;

/// How a load is shaped.
#[derive(Clone, Copy)]
pub struct Shape {
    /// Connections kept alive for the whole run.
    pub connections: usize,
    /// Requests per second over all connections.
    pub rate: u64,
    /// Close and reopen each connection after this many requests (fresh TLS handshakes).
    pub reconnect_every: Option<u64>,
}

/// A running load; [`Load::stop`] ends it and hands back every sample.
pub struct Load {
    stop: Arc<AtomicBool>,
    tasks: JoinSet<Vec<Sample>>,
}

impl Load {
    /// Starts `shape.connections` workers sending `requests` to `target`; sample times count
    /// from `origin`.
    pub fn start(target: &Target, shape: Shape, requests: Requests, origin: Instant) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let interval = Duration::from_secs_f64(shape.connections as f64 / shape.rate.max(1) as f64);
        let mut tasks = JoinSet::new();
        for _ in 0..shape.connections {
            let worker = Worker {
                target: target.clone(),
                requests: requests.clone(),
                counter: counter.clone(),
                stop: stop.clone(),
                origin,
                reconnect_every: shape.reconnect_every,
            };
            tasks.spawn(worker.run(interval));
        }
        Self { stop, tasks }
    }

    /// Stops sending, waits for the requests in flight, and returns every sample in send order.
    pub async fn stop(mut self) -> Vec<Sample> {
        self.stop.store(true, Ordering::Relaxed);
        let mut samples = Vec::new();
        while let Some(done) = self.tasks.join_next().await {
            samples.extend(done.expect("load worker"));
        }
        samples.sort_by_key(|s| s.sent);
        samples
    }
}

struct Worker {
    target: Target,
    requests: Requests,
    counter: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    origin: Instant,
    reconnect_every: Option<u64>,
}

impl Worker {
    async fn run(self, interval: Duration) -> Vec<Sample> {
        let mut samples = Vec::new();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut connection: Option<Connection> = None;
        let mut on_connection = 0;
        while !self.stop.load(Ordering::Relaxed) {
            ticker.tick().await;
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let (path, body, uid) = (self.requests)(n);
            let sent = Instant::now();
            // A connection the server closed while idle is not reused, as a pool would not.
            if let Some(open) = &mut connection
                && open.closed_by_server().await
            {
                connection = None;
            }
            if connection.is_none() {
                match Connection::open(&self.target).await {
                    Ok(open) => {
                        connection = Some(open);
                        on_connection = 0;
                    }
                    Err(outcome) => {
                        samples.push(self.sample(sent, outcome));
                        continue;
                    }
                }
            }
            let Some(open) = connection.as_mut() else {
                continue;
            };
            on_connection += 1;
            let (outcome, keep) = match open.exchange("POST", path, &body).await {
                Ok(answer) => (answer.verdict(&uid), !answer.closing),
                Err(outcome) => (outcome, false),
            };
            samples.push(self.sample(sent, outcome));
            if !keep
                || self
                    .reconnect_every
                    .is_some_and(|every| on_connection >= every)
            {
                connection = None;
            }
        }
        samples
    }

    fn sample(&self, sent: Instant, outcome: Outcome) -> Sample {
        Sample {
            sent: sent - self.origin,
            latency: sent.elapsed(),
            outcome,
        }
    }
}

/// Counts and latency percentiles of some samples.
pub struct Summary {
    pub sent: usize,
    pub failed: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Summary {
    /// `samples`, of which those `failed` says are failures; latencies of the answered ones.
    pub fn of<'a>(
        samples: impl IntoIterator<Item = &'a Sample>,
        failed: impl Fn(&Sample) -> bool,
    ) -> Self {
        Self::flagged(samples.into_iter().map(|s| (s, failed(s))))
    }

    /// Samples, each with whether it failed.
    pub fn flagged<'a>(samples: impl IntoIterator<Item = (&'a Sample, bool)>) -> Self {
        let mut latencies = Vec::new();
        let (mut sent, mut failures) = (0, 0);
        for (sample, failed) in samples {
            sent += 1;
            if failed {
                failures += 1;
            }
            if matches!(sample.outcome, Outcome::Admitted | Outcome::Denied(_)) {
                latencies.push(sample.latency);
            }
        }
        latencies.sort_unstable();
        let at = |q: f64| {
            let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            latencies.get(index).copied().unwrap_or_default()
        };
        Self {
            sent,
            failed: failures,
            p50: at(0.5),
            p99: at(0.99),
            max: at(1.0),
        }
    }

    /// One line of the report.
    pub fn line(&self, label: &str) -> String {
        let ms = |d: Duration| format!("{:.2} ms", d.as_secs_f64() * 1000.0);
        format!(
            "  - {label}: sent {}, failed {}; latency p50 {}, p99 {}, max {}",
            self.sent,
            self.failed,
            ms(self.p50),
            ms(self.p99),
            ms(self.max)
        )
    }
}

/// The first few samples `matching`, for a failure message.
pub fn examples(samples: &[Sample], matching: impl Fn(&Sample) -> bool) -> String {
    samples
        .iter()
        .filter(|s| matching(s))
        .take(5)
        .map(|s| format!("at {:.3}s: {:?}", s.sent.as_secs_f64(), s.outcome))
        .collect::<Vec<_>>()
        .join("\n")
}
