//! The HTTP surface: `POST /mutate` and `/validate`, `GET /healthz`, `/readyz` and
//! `/metrics`. Other methods get 405 (axum's method router), bodies above the limit 413,
//! bodies that are not admission reviews 400 with the reason.
//!
//! A review's body is read and decoded within a memory budget ([`crate::intake`]).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::Service;

use crate::clusters::{self, Directory};
use crate::instances::{InstanceIndex, Knowledge};
use crate::intake::{Budget, Intake, Refusal};
use crate::metrics::{Endpoint, Metrics, Verdict};
use crate::review;
use crate::wire::Reply;

/// Largest accepted request body. The API server caps objects at about 3 MiB; a review holds
/// the object and the old object, plus some envelope.
pub const BODY_LIMIT: usize = 7 * 1024 * 1024;

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// What is known of the management clusters.
    pub directory: Arc<Directory>,
    /// The hostPath directories of the existing instances.
    pub instances: Arc<InstanceIndex>,
    /// `--host-path-root`.
    pub host_path_root: Arc<str>,
    /// Request and cluster metrics.
    pub metrics: Arc<Metrics>,
    /// Longest a request waits for a cluster that is not synced yet.
    pub cluster_wait: Duration,
    /// Set once shutdown has begun: readiness fails so traffic moves elsewhere.
    pub draining: Arc<AtomicBool>,
}

impl AppState {
    /// What the rules know right now.
    fn knowledge(&self) -> Knowledge<'_> {
        Knowledge {
            clusters: &self.directory,
            instances: &self.instances,
            host_path_root: &self.host_path_root,
        }
    }
}

/// The router, with the body limit and the per-request timeout applied.
pub fn router(state: AppState, request_timeout: Duration) -> Router {
    let draining = state.draining.clone();
    Router::new()
        .route("/mutate", post(mutate))
        .route("/validate", post(validate))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower::layer::layer_fn(move |inner| Bounded {
            inner,
            limit: request_timeout,
            draining: draining.clone(),
        }))
        .with_state(Arc::new(Shared {
            app: state,
            budget: Budget::default(),
        }))
}

/// The state handlers see: the application's, and the decoding budget.
#[derive(Debug)]
struct Shared {
    app: AppState,
    budget: Budget,
}

impl std::ops::Deref for Shared {
    type Target = AppState;
    fn deref(&self) -> &AppState {
        &self.app
    }
}

/// What every request gets around its handler: 503 when the inner service (reading the body
/// included) takes longer than `limit`; and, from the shutdown signal on (`draining`),
/// `Connection: close` on every HTTP/1 answer, so that each kept-alive connection the API
/// server uses during the shutdown delay is closed cleanly after an answer rather than at the
/// drain, where a request sent on a connection at the moment it closes fails ("server closed
/// idle connection"; Go does not retry a POST). HTTP/2 needs nothing: its drain sends GOAWAY,
/// after which no client starts a stream on the connection.
///
/// A plain service rather than `middleware::from_fn`, which costs a clone of the route per
/// request on the hot path.
#[derive(Clone)]
struct Bounded<S> {
    inner: S,
    limit: Duration,
    draining: Arc<AtomicBool>,
}

impl<S> Service<Request> for Bounded<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let http1 = request.version() < axum::http::Version::HTTP_2;
        let answer = self.inner.call(request);
        let (limit, draining) = (self.limit, self.draining.clone());
        Box::pin(async move {
            let mut response = match tokio::time::timeout(limit, answer).await {
                Ok(response) => response?,
                Err(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    format!(
                        "the request was not answered within {}s\n",
                        limit.as_secs_f64()
                    ),
                )
                    .into_response(),
            };
            if http1 && draining.load(Ordering::Relaxed) {
                response.headers_mut().insert(
                    header::CONNECTION,
                    header::HeaderValue::from_static("close"),
                );
            }
            Ok(response)
        })
    }
}

/// The body of a review declared as JSON, read within the memory budget; or the answer that
/// refuses it.
async fn intake(
    state: &Shared,
    endpoint: Endpoint,
    started: Instant,
    request: Request,
) -> Result<Intake, Response> {
    let (parts, body) = request.into_parts();
    if !declared_json(&parts.headers) {
        return Err(not_json(state, endpoint, started));
    }
    state
        .budget
        .read(&parts.headers, body)
        .await
        .map_err(|refusal| refused(state, endpoint, started, refusal))
}

async fn mutate(State(state): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let endpoint = Endpoint::Mutate;
    let intake = match intake(&state, endpoint, started, request).await {
        Ok(intake) => intake,
        Err(response) => return response,
    };
    // Decoding a large body takes a while: off the runtime's threads, so that ordinary
    // reviews on the same threads are not held up by it.
    let shared = state.clone();
    let decided = intake
        .decode(move |review| {
            let operation = review.operation_label();
            (operation, review.mutate(&shared.knowledge()))
        })
        .await;
    match decided {
        Ok((operation, reply)) => answer(&state, endpoint, operation, started, reply),
        Err(refusal) => refused(&state, endpoint, started, refusal),
    }
}

async fn validate(State(state): State<Arc<Shared>>, request: Request) -> Response {
    let started = Instant::now();
    let endpoint = Endpoint::Validate;
    let intake = match intake(&state, endpoint, started, request).await {
        Ok(intake) => intake,
        Err(response) => return response,
    };
    let shared = state.clone();
    let decided = intake
        .decode(move |review| {
            let operation = review.operation_label();
            match review.cluster_to_consult() {
                Some(cluster) => Err(Box::new((cluster.to_owned(), review))),
                None => Ok((operation, review.validate(&shared.knowledge()))),
            }
        })
        .await;
    let (operation, reply) = match decided {
        Ok(Ok(decided)) => decided,
        // An instance to check against its cluster: small once decoded, and its share of the
        // budget is already given back while it waits.
        Ok(Err(waiting)) => {
            let (cluster, review) = *waiting;
            // Bounded: a cluster registered a moment ago gets its first list in, one that is
            // not synced in time is denied as such.
            state.directory.settle(&cluster, state.cluster_wait).await;
            (
                review.operation_label(),
                review.validate(&state.knowledge()),
            )
        }
        Err(refusal) => return refused(&state, endpoint, started, refusal),
    };
    answer(&state, endpoint, operation, started, reply)
}

fn refused(state: &AppState, endpoint: Endpoint, started: Instant, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Malformed(error) => malformed(state, endpoint, started, &error),
        Refusal::Http(status, message) => {
            state
                .metrics
                .observe(endpoint, "unknown", Verdict::Malformed, started.elapsed());
            (status, message).into_response()
        }
    }
}

fn answer(
    state: &AppState,
    endpoint: Endpoint,
    operation: &'static str,
    started: Instant,
    reply: Reply,
) -> Response {
    let verdict = if reply.allowed {
        Verdict::Allowed
    } else {
        Verdict::Denied
    };
    let response = match reply.to_json() {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the reply could not be encoded: {error}\n"),
        )
            .into_response(),
    };
    let elapsed = started.elapsed();
    state.metrics.observe(endpoint, operation, verdict, elapsed);
    tracing::debug!(?endpoint, uid = %reply.uid, operation, ?verdict, ?elapsed, "admission review answered");
    response
}

/// Whether the body is declared as JSON, as the API server always sends it.
fn declared_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"))
}

fn not_json(state: &AppState, endpoint: Endpoint, started: Instant) -> Response {
    state
        .metrics
        .observe(endpoint, "unknown", Verdict::Malformed, started.elapsed());
    (
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "the body must be an admission.k8s.io/v1 AdmissionReview sent as Content-Type: application/json\n",
    )
        .into_response()
}

fn malformed(
    state: &AppState,
    endpoint: Endpoint,
    started: Instant,
    error: &review::ReviewError,
) -> Response {
    state
        .metrics
        .observe(endpoint, "unknown", Verdict::Malformed, started.elapsed());
    tracing::info!(?endpoint, %error, "malformed admission request");
    (StatusCode::BAD_REQUEST, format!("{error}\n")).into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<Shared>>) -> Response {
    if state.draining.load(Ordering::Relaxed) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: shutting down\n",
        )
            .into_response()
    } else if !clusters::ready(&state.directory) {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the StorageClasses of `local` or the cluster Secrets are not listed yet\n",
        )
            .into_response()
    } else if !state.instances.has_synced() {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: the MulticloudInstances are not listed yet\n",
        )
            .into_response()
    } else {
        (StatusCode::OK, "ok\n").into_response()
    }
}

async fn metrics(State(state): State<Arc<Shared>>) -> Response {
    match state.metrics.encode(&state.directory.snapshot()) {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "metrics could not be encoded\n",
        )
            .into_response(),
    }
}
