//! The deletion of a Karmada CR, as karmada-operator handles it
//! (`operator/pkg/controller/karmada/controller.go` `Reconcile` and `removeFinalizer`): the
//! deinit job unless the label disables it (`operator/pkg/deinit.go`, `pkg/tasks/deinit/`), run
//! by the planner like any job (`planner.go`: `Progressing` first, `Failed` with the error and a
//! requeue), then the finalizer.

use std::time::Instant;

use kube::api::{Api, Patch, PatchParams};
use multicloud_api::karmada::Karmada;
use multicloud_api::observed::operator::{FINALIZER, tears_down};
use serde_json::json;

use super::{RETRY, Round, Run, Step, host_client, install, set, workloads, write_ready};

/// How the stand-in's teardown of a deleted Karmada CR goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TeardownFault {
    /// As the real one's: it deletes what it made, then removes its finalizer.
    #[default]
    None,
    /// Every teardown run fails with this message (as an API server refusing the operator's
    /// deletes would make it: `pkg/tasks/deinit/component.go` returns the error).
    Fails(String),
    /// The teardown run never returns (a call that hangs): the condition stays `Progressing`
    /// and the finalizer stays.
    Hangs,
}

/// The deletion of `karmada`: the teardown unless the label disables it, then the finalizer.
pub(super) async fn delete(round: &Round<'_>, karmada: &Karmada) -> Step {
    let Round {
        global, runs, key, ..
    } = *round;
    let holds = karmada
        .metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|f| f == FINALIZER));
    if !holds {
        return Ok(());
    }
    let current = runs.lock().ok().and_then(|r| r.get(key).cloned());
    if matches!(current, Some(Run::TearingDown)) {
        // A run that hangs holds the CR's worker (controller-runtime never runs one key twice
        // at once): nothing more happens to it, not even the label, until a restart.
        return Ok(());
    }
    if tears_down(karmada) {
        let name = karmada.metadata.name.as_deref().unwrap_or_default();
        if matches!(current, Some(Run::Failed { at, .. }) if at.elapsed() < RETRY) {
            return Ok(());
        }
        // planner.go `preRunJob`: each deinit run resets the condition first.
        write_ready(
            global,
            name,
            "False",
            "Progressing",
            "karmada deinit job is in progressing",
        )
        .await?;
        let fault = round.teardown.lock().map(|f| f.clone()).unwrap_or_default();
        let outcome = match fault {
            TeardownFault::Hangs => {
                set(runs, key, Run::TearingDown);
                return Ok(());
            }
            TeardownFault::Fails(message) => Err(message),
            TeardownFault::None => match host_client(global, karmada).await {
                Ok(host) => workloads::tear_down(&host, karmada)
                    .await
                    .map_err(|e| install::message_of(&e)),
                Err(e) => Err(format!(
                    "error when creating cluster client to install karmada, err: {}",
                    install::message_of(&e)
                )),
            },
        };
        if let Err(message) = outcome {
            // planner.go `runJobErr`: the job's error, then a requeue.
            write_ready(global, name, "False", "Failed", &message).await?;
            set(
                runs,
                key,
                Run::Failed {
                    at: Instant::now(),
                    generation: karmada.metadata.generation.unwrap_or_default(),
                },
            );
            return Ok(());
        }
    }
    let namespace = karmada.metadata.namespace.as_deref().unwrap_or_default();
    let name = karmada.metadata.name.as_deref().unwrap_or_default();
    // controller.go `removeFinalizer` reads the CR again (the run wrote its status meanwhile)
    // and retries on a conflict.
    let api = Api::<Karmada>::namespaced(global.clone(), namespace);
    let Some(karmada) = api.get_opt(name).await? else {
        return Ok(());
    };
    let remaining: Vec<String> = karmada
        .metadata
        .finalizers
        .iter()
        .flatten()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    let patch = json!({"metadata": {
        "finalizers": remaining,
        "resourceVersion": karmada.metadata.resource_version,
    }});
    api.patch(name, &PatchParams::default(), &Patch::Merge(patch))
        .await?;
    Ok(())
}
