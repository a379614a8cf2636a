//! Waiting for an instance to be installed or gone, with a progress display. The instance is
//! watched, so a change shows at once; the objects on the management cluster are looked at
//! every second, since they may live on another cluster the plugin cannot watch cheaply.

use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::runtime::{WatchStreamExt, watcher};
use multicloud_api::MulticloudInstance;
use tokio::time::Instant;

use self::progress::Progress;
use self::steps::{Outcome, Step, StepState, assess};
use crate::context::Context;
use crate::duration::human_duration;
use crate::error::CmdError;
use crate::instances;
use crate::observe::observe;

/// How often the objects that are not watched are looked at.
const POLL: Duration = Duration::from_secs(1);

/// Something to wait for, driven by the instance's watch and a timer.
struct Waiter {
    stream: futures::stream::BoxStream<'static, ()>,
    tick: tokio::time::Interval,
    deadline: Instant,
}

impl Waiter {
    fn new(client: &Client, name: &str, timeout: Duration) -> Self {
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        // Any event (or error, retried with backoff) only means "look again".
        let stream = watcher(instances::api(client), config)
            .default_backoff()
            .map(|_| ())
            .boxed();
        Self {
            stream,
            tick: tokio::time::interval(POLL),
            deadline: Instant::now() + timeout,
        }
    }

    /// Resolves at the next reason to look; `false` once the time is up.
    async fn next(&mut self) -> bool {
        tokio::select! {
            _ = tokio::time::sleep_until(self.deadline) => false,
            _ = self.tick.tick() => true,
            _ = self.stream.next() => true,
        }
    }
}

/// Waits until `name` is Running, showing each install step as it completes. Fails with the
/// first failure's reason, or at the timeout with the step it was stuck at.
pub async fn until_running(
    ctx: &Context,
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<MulticloudInstance, CmdError> {
    let mut waiter = Waiter::new(client, name, timeout);
    let mut progress = Progress::new(ctx);
    let mut last: Vec<StepState> = Vec::new();
    while waiter.next().await {
        let instance = instances::get(client, name).await?;
        let observed = observe(ctx, client, instance).await;
        let (steps, outcome) = assess(&observed);
        match outcome {
            Outcome::Running => {
                progress.update(&steps);
                progress.finish();
                return Ok(observed.instance);
            }
            Outcome::Failed(reason) => {
                progress.fail(&steps, &reason);
                let step = current(&steps).map_or("install", Step::title);
                return Err(CmdError::msg(format!(
                    "instance `{name}` failed at step \"{step}\": {reason}; `kubectl multicloud \
                     diagnose {name}` names the cause and the fix"
                )));
            }
            Outcome::InProgress => progress.update(&steps),
        }
        last = steps;
    }
    progress.finish();
    let at = match last.iter().find(|s| !s.done) {
        Some(state) => format!(
            "; it is at step \"{}\"{}",
            state.step.title(),
            state
                .detail
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ),
        None => String::new(),
    };
    Err(CmdError::msg(format!(
        "timed out after {} waiting for instance `{name}` to be Running{at}; the install goes \
         on: follow it with `kubectl multicloud describe {name}` or find what blocks it with \
         `kubectl multicloud diagnose {name}`",
        human_duration(timeout)
    )))
}

fn current(steps: &[StepState]) -> Option<Step> {
    steps.iter().find(|s| !s.done).map(|s| s.step)
}

/// Waits until `name` no longer exists, showing what its deletion waits for.
pub async fn until_deleted(
    ctx: &Context,
    client: &Client,
    name: &str,
    timeout: Duration,
) -> Result<(), CmdError> {
    let mut waiter = Waiter::new(client, name, timeout);
    let mut last = String::new();
    let style = ctx.stderr;
    while waiter.next().await {
        let instance = instances::api(client)
            .get_opt(name)
            .await
            .map_err(|e| CmdError::kube(format!("failed to read instance `{name}`"), e))?;
        let Some(instance) = instance else {
            ctx.flush_warnings();
            eprintln!(
                "{} instance {name} deleted",
                style.paint(crate::style::Paint::Good, "✓")
            );
            return Ok(());
        };
        // While deleting, Ready says what the deletion waits for, or why it cannot finish.
        let waiting = instance
            .status
            .as_ref()
            .filter(|s| s.phase == Some(multicloud_api::Phase::Deleting))
            .and_then(|s| s.condition("Ready"))
            .map(|c| match c.reason.as_str() {
                "Deleting" => c.message.clone(),
                reason => format!("{reason}: {}", c.message),
            })
            .unwrap_or_else(|| {
                "waiting for the controller to carry out the deletion policy".into()
            });
        if waiting != last {
            ctx.flush_warnings();
            eprintln!("… deleting {name}: {waiting}");
            last = waiting;
        }
    }
    Err(CmdError::msg(format!(
        "timed out after {} waiting for instance `{name}` to be deleted ({last}); the deletion \
         goes on: check `kubectl multicloud describe {name}`",
        human_duration(timeout)
    )))
}

pub mod progress;
pub mod steps;
