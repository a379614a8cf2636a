//! The one retry policy of the watches: soon at first, doubling, never long.

use std::time::Duration;

/// First retry delay after a failure.
pub const FIRST_RETRY: Duration = Duration::from_millis(500);
/// Longest retry delay: a process runs a handful of watches per API server, so even one that is
/// down for long sees less than one request a second from each.
pub const MAX_RETRY: Duration = Duration::from_secs(5);

/// Retry delays: [`FIRST_RETRY`], doubling up to [`MAX_RETRY`], back to the first on
/// [`reset`](kube::runtime::utils::Backoff::reset) (once something got through).
#[derive(Debug, Clone)]
pub struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_RETRY }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let delay = self.next;
        self.next = delay.saturating_mul(2).min(MAX_RETRY);
        Some(delay)
    }
}

impl kube::runtime::utils::Backoff for Backoff {
    fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

#[cfg(test)]
mod tests {
    use kube::runtime::utils::Backoff as _;

    use super::*;

    #[test]
    fn retries_double_up_to_five_seconds_and_start_over_after_a_success() {
        let mut backoff = Backoff::default();
        let delays: Vec<_> = backoff.by_ref().take(6).collect();
        assert_eq!(
            delays,
            [0.5, 1.0, 2.0, 4.0, 5.0, 5.0].map(Duration::from_secs_f64)
        );
        backoff.reset();
        assert_eq!(backoff.next(), Some(FIRST_RETRY));
    }
}
