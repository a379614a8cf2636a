//! One reconcile of an instance: hold the finalizer, apply what the instance needs (or carry out
//! its deletion policy), observe, and write the status when it changed.
//!
//! Every step is idempotent and keyed by names derived from the instance name, so a controller
//! stopped at any point and started again (or a second replica taking over) picks up where the
//! objects are, and never makes a duplicate.

mod apply;
mod diff;
mod host_path;
mod observe;
pub(crate) mod ownership;
mod status_write;

use std::borrow::Cow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kube::runtime::controller::Action;
use multicloud_api::karmada::Karmada;
use multicloud_api::{MulticloudInstance, Phase, names};
use multicloud_runtime::report::error_chain;

use crate::context::Context;
use crate::error::Error;
use crate::finalizer::{self, Cleanup};
use crate::members::AdminSecret;
use crate::status::{
    self, Clock, MemberObservation, Observation, StorageObservation, WorkloadObservation,
};

/// Reconciles one instance.
pub async fn reconcile(
    instance: Arc<MulticloudInstance>,
    ctx: Arc<Context>,
) -> Result<Action, Error> {
    let started = Instant::now();
    let result = bounded(ctx.settings.reconcile_timeout, run(&instance, &ctx)).await;
    ctx.metrics.reconciled(result.is_ok(), started.elapsed());
    if result.is_ok() {
        ctx.failures.succeeded(instance.name());
    }
    result
}

/// `work`, or [`Error::TimedOut`] once `limit` has passed. The global client has no read
/// timeout of its own (its watches stay open for minutes), so without this a request the API
/// server never answers would hold its instance forever.
async fn bounded<T>(
    limit: Duration,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    tokio::time::timeout(limit, work)
        .await
        .unwrap_or(Err(Error::TimedOut(limit)))
}

/// Retries a failed reconcile with exponential backoff per instance.
pub fn error_policy(instance: Arc<MulticloudInstance>, error: &Error, ctx: Arc<Context>) -> Action {
    let delay = ctx.failures.failed(instance.name());
    tracing::warn!(
        instance = instance.name(),
        error = %error_chain(error),
        retry_in = ?delay,
        "reconcile failed"
    );
    Action::requeue(delay)
}

async fn run(instance: &MulticloudInstance, ctx: &Context) -> Result<Action, Error> {
    ctx.caches_synced().await?;
    if instance.metadata.deletion_timestamp.is_some() {
        return delete(instance, ctx).await;
    }
    if !finalizer::is_held(instance) {
        finalizer::hold(ctx, instance).await?;
    }
    let applied = apply::apply(ctx, instance).await?;
    let name = instance.name();
    let admin = AdminSecret::for_instance(name);
    // A status.secretRef naming any other Secret is never followed: the status shows no
    // kubeconfig and the member count says why.
    let ignored = applied
        .karmada
        .as_deref()
        .and_then(|k| ownership::foreign_secret_ref(k, &admin.namespace, &admin.name));
    let karmada = trusted(applied.karmada.as_deref(), ignored.as_deref(), name);
    let karmada = karmada.as_deref();
    let management = observe::management(ctx, instance, karmada.is_some()).await;
    let members = match &ignored {
        Some(why) => MemberObservation::Unreachable(why.clone()),
        None => ctx.members.observe(name),
    };
    let observation = Observation {
        karmada,
        storage: management.storage,
        workloads: management.workloads,
        members,
        blocker: applied.blocker,
        deleting: None,
    };
    let derived = status::derive(instance, &observation, clock(ctx));
    let running = derived.phase == Some(Phase::Running);
    // The admin kubeconfig is read only from the instance's own namespace, under the name
    // karmada-operator gives it, whatever the Karmada CR's status says.
    if running && ignored.is_none() && derived.kubeconfig_secret_ref.is_some() {
        ctx.members.refresh(name, admin);
    } else {
        ctx.members.forget(name);
    }
    let settled = running
        && !matches!(observation.storage, StorageObservation::Unreachable(_))
        && !matches!(observation.workloads, WorkloadObservation::Unreachable(_))
        && !matches!(observation.members, MemberObservation::Unreachable(_));
    status_write::write(ctx, instance, derived).await?;
    Ok(Action::requeue(if settled {
        // A running instance comes back at least once per member interval, so that the member
        // count the safe-delete rule reads is never older than that.
        ctx.settings.resync_interval.min(ctx.members.interval())
    } else {
        ctx.settings.poll_interval
    }))
}

/// `karmada` as the status may read it: without its status.secretRef when that was `ignored`
/// (the reason why).
fn trusted<'a>(
    karmada: Option<&'a Karmada>,
    ignored: Option<&str>,
    name: &str,
) -> Option<Cow<'a, Karmada>> {
    match (ignored, karmada) {
        (Some(why), Some(karmada)) => {
            tracing::warn!(instance = name, "{why}");
            let mut trusted = karmada.clone();
            if let Some(status) = trusted.status.as_mut() {
                status.secret_ref = None;
            }
            Some(Cow::Owned(trusted))
        }
        (_, karmada) => karmada.map(Cow::Borrowed),
    }
}

/// Carries out the deletion policy, reporting `Deleting` until the finalizer can go.
async fn delete(instance: &MulticloudInstance, ctx: &Context) -> Result<Action, Error> {
    if !finalizer::is_held(instance) {
        return Ok(Action::await_change());
    }
    let name = instance.name();
    ctx.members.forget(name);
    match finalizer::clean_up(ctx, instance).await? {
        Cleanup::Done => {
            tracing::info!(instance = name, policy = %instance.spec.deletion_policy, "released");
            finalizer::release(ctx, instance).await?;
            ctx.recorder.forget(name);
            Ok(Action::await_change())
        }
        Cleanup::Waiting(what) => {
            let karmada = ctx
                .karmadas
                .get(
                    &kube::runtime::reflector::ObjectRef::new(&names::karmada(name))
                        .within(&names::namespace(name)),
                )
                .filter(|k| ownership::is_own(&k.metadata, instance));
            let deleting = observe::deletion(ctx, instance, karmada.as_deref(), what).await;
            let observation = Observation {
                karmada: karmada.as_deref(),
                storage: StorageObservation::NotRequested,
                workloads: WorkloadObservation::NotRead,
                members: MemberObservation::NotCounted,
                blocker: None,
                deleting: Some(deleting),
            };
            let mut derived = status::derive(instance, &observation, clock(ctx));
            // What was last seen of the storage stays as it was while the instance goes away.
            if let Some(previous) = instance
                .status
                .as_ref()
                .and_then(|s| s.condition(status::STORAGE_READY))
            {
                for condition in &mut derived.conditions {
                    if condition.type_ == status::STORAGE_READY {
                        *condition = previous.clone();
                    }
                }
            }
            status_write::write(ctx, instance, derived).await?;
            Ok(Action::requeue(ctx.settings.poll_interval))
        }
    }
}

/// Now, and the install time limit, for [`status::derive`].
fn clock(ctx: &Context) -> Clock {
    Clock {
        now: k8s_openapi::jiff::Timestamp::now(),
        install_timeout: ctx.settings.install_timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_reconcile_that_never_ends_is_abandoned_at_its_limit() {
        let limit = Duration::from_secs(120);
        let started = tokio::time::Instant::now();
        let outcome = bounded(limit, std::future::pending::<Result<(), Error>>()).await;
        assert!(
            matches!(outcome, Err(Error::TimedOut(l)) if l == limit),
            "{outcome:?}"
        );
        assert_eq!(started.elapsed(), limit);
        let message = outcome.expect_err("timed out").to_string();
        assert!(
            message.contains("within 120 s (--reconcile-timeout)"),
            "{message}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_reconcile_within_its_limit_keeps_its_outcome() {
        let limit = Duration::from_secs(120);
        let done = bounded(limit, async {
            tokio::time::sleep(Duration::from_secs(119)).await;
            Ok(7)
        })
        .await;
        assert_eq!(done.ok(), Some(7));
        let failed = bounded(limit, async {
            Err::<(), _>(Error::NotSynced("namespaces"))
        })
        .await;
        assert!(matches!(failed, Err(Error::NotSynced("namespaces"))));
    }
}
