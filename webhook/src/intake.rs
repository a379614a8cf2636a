//! Taking a review in: its body read only once a share of a fixed memory budget is reserved for
//! it, decoded (off the runtime's threads when it is large), the share given back once the
//! review is decided.
//!
//! Memory is what a hostile client goes for: anyone who can reach the port can send reviews of
//! the largest size, many at once. A review's share is what decoding it can cost at most: its
//! size twice (the body, and what is decoded from it) plus a bound per JSON value (the number of
//! values is itself bounded, see [`crate::shape::MAX_VALUES`]). Reviews that do not fit wait, in
//! the order they came, within the request timeout. Large and ordinary reviews draw on budgets
//! of their own, so that ordinary reviews (the API server's, a few KiB each) never wait behind
//! large ones.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use futures::StreamExt as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::review::{Review, ReviewError};
use crate::routes::BODY_LIMIT;
use crate::shape::MAX_VALUES;

/// A body above this size is a large review.
pub const LARGE_BODY: usize = 256 * 1024;
/// Budget of large reviews, in KiB: two of the largest size at once.
pub const LARGE_BUDGET_KIB: u32 = 48 * 1024;
/// Budget of ordinary reviews, in KiB: hundreds of the API server's at once.
pub const ORDINARY_BUDGET_KIB: u32 = 16 * 1024;
/// What one JSON value may cost once decoded beyond its bytes (a `String`, or a map entry, and
/// its allocation).
const COST_PER_VALUE: usize = 48;

/// The budgets reviews in flight draw on.
#[derive(Debug)]
pub struct Budget {
    large: Arc<Semaphore>,
    ordinary: Arc<Semaphore>,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            large: Arc::new(Semaphore::new(LARGE_BUDGET_KIB as usize)),
            ordinary: Arc::new(Semaphore::new(ORDINARY_BUDGET_KIB as usize)),
        }
    }
}

/// Why a body is not decoded.
#[derive(Debug)]
pub enum Refusal {
    /// Not an admission review (answered 400 with the reason).
    Malformed(ReviewError),
    /// Answered with this status and text.
    Http(StatusCode, String),
}

/// A body read within its share of the budget.
#[derive(Debug)]
pub struct Intake {
    body: Vec<u8>,
    share: OwnedSemaphorePermit,
    large: bool,
}

/// The share a body of `length` bytes reserves, in KiB.
fn cost_kib(length: usize, budget: u32) -> u32 {
    let values = (length / 2).min(MAX_VALUES);
    let bytes = length
        .saturating_mul(2)
        .saturating_add(values.saturating_mul(COST_PER_VALUE));
    u32::try_from(bytes.div_ceil(1024))
        .unwrap_or(u32::MAX)
        .clamp(1, budget)
}

fn too_large() -> Refusal {
    Refusal::Http(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "length limit exceeded: the body is larger than {} MiB, the most an admission \
             review can be\n",
            BODY_LIMIT / (1024 * 1024)
        ),
    )
}

impl Budget {
    /// Reads `body`, declared by `headers`, once its share is reserved. A body declared or
    /// found larger than [`BODY_LIMIT`] is refused (413) without being read further.
    pub async fn read(&self, headers: &HeaderMap, body: Body) -> Result<Intake, Refusal> {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<usize>().ok());
        if declared.is_some_and(|length| length > BODY_LIMIT) {
            return Err(too_large());
        }
        // Without a length (chunked), the worst case is reserved.
        let length = declared.unwrap_or(BODY_LIMIT);
        let large = length > LARGE_BODY;
        let (pool, budget) = if large {
            (&self.large, LARGE_BUDGET_KIB)
        } else {
            (&self.ordinary, ORDINARY_BUDGET_KIB)
        };
        let share = pool
            .clone()
            .acquire_many_owned(cost_kib(length, budget))
            .await
            .map_err(|_| {
                Refusal::Http(StatusCode::SERVICE_UNAVAILABLE, "shutting down\n".into())
            })?;
        let mut bytes = Vec::with_capacity(length);
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| {
                Refusal::Http(
                    StatusCode::BAD_REQUEST,
                    format!("the request body could not be read: {error}\n"),
                )
            })?;
            if bytes.len() + chunk.len() > length {
                // Longer than declared, or than the limit: either way not read further.
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Intake {
            body: bytes,
            share,
            large,
        })
    }
}

impl Intake {
    /// Decodes the review and hands it to `decide`; the body is dropped once decoded, the share
    /// once `decide` returns.
    pub async fn decode<T, F>(self, decide: F) -> Result<T, Refusal>
    where
        F: FnOnce(Review) -> T + Send + 'static,
        T: Send + 'static,
    {
        let Self { body, share, large } = self;
        let work = move || {
            let review = Review::parse(&body).map_err(Refusal::Malformed)?;
            drop(body);
            let decided = decide(review);
            drop(share);
            Ok(decided)
        };
        if !large {
            return work();
        }
        tokio::task::spawn_blocking(work).await.unwrap_or_else(|_| {
            Err(Refusal::Http(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the review could not be decoded\n".into(),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_review_fits_the_large_budget_twice() {
        let cost = cost_kib(BODY_LIMIT, LARGE_BUDGET_KIB);
        assert!(
            2 * cost <= LARGE_BUDGET_KIB && 3 * cost > LARGE_BUDGET_KIB,
            "{cost}"
        );
    }

    #[test]
    fn hundreds_of_ordinary_reviews_fit_their_budget() {
        let cost = cost_kib(4 * 1024, ORDINARY_BUDGET_KIB);
        assert!(ORDINARY_BUDGET_KIB / cost >= 100, "{cost}");
        assert_eq!(cost_kib(0, ORDINARY_BUDGET_KIB), 1);
    }
}
