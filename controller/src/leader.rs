//! Leader election on a `coordination.k8s.io/v1` Lease, so that of several replicas only one
//! reconciles.
//!
//! The algorithm is client-go's: a holder renews the Lease every third of its duration; a
//! candidate takes it over only after seeing it unchanged for a whole duration, measured on the
//! candidate's own clock (so clock skew between nodes does not matter); a holder that cannot
//! renew within two thirds of the duration gives up before anyone else may take over. A replica
//! that loses the Lease stops, and its Deployment starts it again as a candidate.
//!
//! The renew deadline is enforced on the requests themselves, not only on their errors: the global
//! client has no read timeout (its watches stay open for minutes), so an API server that accepts a
//! renewal and never answers would otherwise hold the renewer forever while this replica kept
//! reconciling, and another replica, seeing the Lease unchanged, took over: two leaders. Every
//! attempt is cut off at the deadline, which is counted from the *start* of the last renewal that
//! succeeded (the Lease may have been written, and seen by a candidate, as soon as that request
//! was sent).

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::error::is_status;

/// Which Lease, and who we are.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// Our identity in `holderIdentity`.
    pub identity: String,
    /// `leaseDurationSeconds`.
    pub duration: Duration,
}

impl LeaseConfig {
    fn renew_period(&self) -> Duration {
        self.duration / 3
    }

    fn renew_deadline(&self) -> Duration {
        self.duration * 2 / 3
    }

    /// Pause before another attempt after a failed renewal: several attempts fit in the time
    /// between the renew period and the deadline.
    fn retry_period(&self) -> Duration {
        (self.duration / 9).max(Duration::from_millis(100))
    }
}

/// The Lease as a candidate judges it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// We hold it.
    Ours,
    /// Nobody holds it, or its holder stopped renewing.
    Free,
    /// Someone else holds it.
    HeldBy(String),
}

/// Judges `spec`, last seen changing `unchanged_for` ago.
fn judge(
    spec: &LeaseSpec,
    identity: &str,
    unchanged_for: Duration,
    default_duration: Duration,
) -> Verdict {
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    if holder.is_empty() {
        return Verdict::Free;
    }
    if holder == identity {
        return Verdict::Ours;
    }
    let duration = spec
        .lease_duration_seconds
        .and_then(|s| u64::try_from(s).ok())
        .map_or(default_duration, Duration::from_secs);
    if unchanged_for > duration {
        Verdict::Free
    } else {
        Verdict::HeldBy(holder.to_owned())
    }
}

/// The part of a Lease whose change shows its holder is alive.
fn record_of(spec: &LeaseSpec) -> String {
    format!(
        "{:?}/{:?}/{:?}",
        spec.holder_identity,
        spec.renew_time.as_ref().map(|t| t.0),
        spec.lease_transitions
    )
}

/// Tries to take or renew the Lease.
struct Elector {
    api: Api<Lease>,
    config: LeaseConfig,
    /// The last record seen, and when it was first seen.
    observed: Option<(String, Instant)>,
}

impl Elector {
    /// `Ok(true)` when we hold the Lease after this call.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let seconds = i32::try_from(self.config.duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = self.new_lease(now, seconds);
            return conflict_is_false(self.api.create(&PostParams::default(), &lease).await);
        };
        let spec = lease.spec.take().unwrap_or_default();
        let record = record_of(&spec);
        let unchanged_for = match &self.observed {
            Some((seen, at)) if *seen == record => at.elapsed(),
            _ => {
                self.observed = Some((record, Instant::now()));
                Duration::ZERO
            }
        };
        let next = match judge(
            &spec,
            &self.config.identity,
            unchanged_for,
            self.config.duration,
        ) {
            Verdict::HeldBy(holder) => {
                tracing::debug!(%holder, "leader Lease held by another replica");
                return Ok(false);
            }
            Verdict::Ours => LeaseSpec {
                renew_time: Some(now),
                lease_duration_seconds: Some(seconds),
                ..spec
            },
            Verdict::Free => LeaseSpec {
                holder_identity: Some(self.config.identity.clone()),
                lease_duration_seconds: Some(seconds),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                lease_transitions: Some(spec.lease_transitions.unwrap_or(0).saturating_add(1)),
                ..spec
            },
        };
        lease.spec = Some(next);
        // The resourceVersion we read makes this a compare-and-swap: of two candidates only one wins.
        conflict_is_false(
            self.api
                .replace(&self.config.name, &PostParams::default(), &lease)
                .await,
        )
    }

    /// The Lease as we create it when there is none: held by us from `now`.
    fn new_lease(&self, now: MicroTime, seconds: i32) -> Lease {
        Lease {
            metadata: ObjectMeta {
                name: Some(self.config.name.clone()),
                namespace: Some(self.config.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.config.identity.clone()),
                lease_duration_seconds: Some(seconds),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        }
    }

    /// Gives the Lease up, so another replica need not wait for it to expire.
    async fn release(&mut self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        if let Err(error) = self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            tracing::warn!(%error, "failed to release the leader Lease");
        } else {
            tracing::info!("released the leader Lease");
        }
    }
}

fn conflict_is_false<T>(result: Result<T, kube::Error>) -> Result<bool, kube::Error> {
    match result {
        Ok(_) => Ok(true),
        Err(error) if is_status(&error, 409) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Held leadership: renewed in the background until lost or released.
pub struct Leadership {
    lost: oneshot::Receiver<String>,
    stop: Option<oneshot::Sender<()>>,
    renewer: JoinHandle<Elector>,
}

/// Waits until this replica holds the Lease.
pub async fn acquire(api: Api<Lease>, config: LeaseConfig) -> Leadership {
    let mut elector = Elector {
        api,
        config,
        observed: None,
    };
    let retry = elector.config.renew_period();
    let deadline = elector.config.renew_deadline();
    let acquired = loop {
        let started = Instant::now();
        // Bounded like a renewal: a request that hangs must not hold a candidate forever.
        match tokio::time::timeout(deadline, elector.try_acquire_or_renew()).await {
            Ok(Ok(true)) => break started,
            Ok(Ok(false)) => {}
            Ok(Err(error)) => tracing::warn!(%error, "failed to read or take the leader Lease"),
            Err(_) => tracing::warn!(
                ?deadline,
                "the API server did not answer about the leader Lease in time"
            ),
        }
        tokio::time::sleep(retry).await;
    };
    tracing::info!(
        lease = %format!("{}/{}", elector.config.namespace, elector.config.name),
        identity = %elector.config.identity,
        "became leader"
    );
    let (lost_tx, lost) = oneshot::channel();
    let (stop, stopped) = oneshot::channel();
    let renewer = tokio::spawn(async move {
        let why = renew_until_lost(&mut elector, acquired, stopped).await;
        if let Some(why) = why {
            tracing::warn!(reason = %why, "stopped leading");
            let _ = lost_tx.send(why);
        }
        elector
    });
    Leadership {
        lost,
        stop: Some(stop),
        renewer,
    }
}

/// Renews the Lease every renew period until `stopped` fires (`None`) or the Lease is lost (the
/// reason). No attempt outlives the renew deadline, counted from the start of the last renewal
/// that succeeded (`renewed`).
async fn renew_until_lost(
    elector: &mut Elector,
    mut renewed: Instant,
    mut stopped: oneshot::Receiver<()>,
) -> Option<String> {
    let mut pause = elector.config.renew_period();
    loop {
        let deadline = renewed + elector.config.renew_deadline();
        let next = (Instant::now() + pause).min(deadline);
        tokio::select! {
            () = tokio::time::sleep_until(next.into()) => {}
            _ = &mut stopped => return None,
        }
        let started = Instant::now();
        let attempt = tokio::time::timeout_at(deadline.into(), elector.try_acquire_or_renew());
        let failure = tokio::select! {
            outcome = attempt => match outcome {
                Ok(Ok(true)) => {
                    renewed = started;
                    pause = elector.config.renew_period();
                    continue;
                }
                Ok(Ok(false)) => return Some("another replica took the leader Lease".to_owned()),
                Ok(Err(error)) => error.to_string(),
                Err(_) => "the API server did not answer".to_owned(),
            },
            _ = &mut stopped => return None,
        };
        if Instant::now() >= deadline {
            return Some(format!(
                "the leader Lease could not be renewed within {:?}: {failure}",
                elector.config.renew_deadline()
            ));
        }
        tracing::warn!(error = %failure, "failed to renew the leader Lease; retrying");
        pause = elector.config.retry_period();
    }
}

impl Leadership {
    /// Resolves, with the reason, when leadership is lost.
    pub async fn lost(&mut self) -> String {
        (&mut self.lost)
            .await
            .unwrap_or_else(|_| "the Lease renewal stopped".to_owned())
    }

    /// Stops renewing and gives the Lease up.
    pub async fn release(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Ok(mut elector) = self.renewer.await {
            // Bounded: a hung API server must not hold up the shutdown; the Lease then expires.
            let limit = elector.config.renew_deadline();
            if tokio::time::timeout(limit, elector.release())
                .await
                .is_err()
            {
                tracing::warn!(?limit, "the leader Lease could not be released in time");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DURATION: Duration = Duration::from_secs(15);

    fn held_by(holder: &str) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(holder.into()),
            lease_duration_seconds: Some(15),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn empty_lease_is_free_and_our_own_is_ours() {
        assert_eq!(
            judge(&LeaseSpec::default(), "a", Duration::ZERO, DURATION),
            Verdict::Free
        );
        assert_eq!(
            judge(&held_by("a"), "a", Duration::ZERO, DURATION),
            Verdict::Ours
        );
    }

    #[test]
    fn another_holder_keeps_it_until_it_stops_renewing_for_a_whole_duration() {
        let spec = held_by("b");
        assert_eq!(
            judge(&spec, "a", Duration::from_secs(14), DURATION),
            Verdict::HeldBy("b".into())
        );
        assert_eq!(
            judge(&spec, "a", Duration::from_secs(16), DURATION),
            Verdict::Free
        );
    }

    #[test]
    fn renew_deadline_comes_before_anyone_may_take_over() {
        let config = LeaseConfig {
            namespace: "ns".into(),
            name: "lease".into(),
            identity: "a".into(),
            duration: DURATION,
        };
        assert!(config.renew_period() < config.renew_deadline());
        assert!(config.renew_deadline() < config.duration);
        // A failed renewal is retried at least twice before the deadline.
        assert!(config.renew_period() + 2 * config.retry_period() < config.renew_deadline());
    }
}
