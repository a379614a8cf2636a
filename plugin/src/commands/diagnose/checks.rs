//! The checks of `diagnose`, in install order, as a pure function of an [`Observation`].

use multicloud_api::Phase;
use multicloud_api::karmada::KarmadaCondition;
use multicloud_api::keys::SYSTEM_NAMESPACE;
use multicloud_api::names::{self, KarmadaObjects};
use serde::Serialize;

use crate::observe::{Management, Observation, Workload, karmada_crd_name};

mod storage;

use storage::{claims, storage_class};

/// The verdict on one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Not there yet; something before it is still in progress.
    Waiting,
    /// Broken.
    Failed,
}

/// One step of the checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is checked.
    pub step: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// What was found.
    pub detail: String,
    /// Why it is not Ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub(super) fn ok(step: &'static str, detail: impl Into<String>) -> Self {
        Self {
            step,
            verdict: Verdict::Ok,
            detail: detail.into(),
            cause: None,
            fix: None,
        }
    }

    pub(super) fn bad(
        step: &'static str,
        verdict: Verdict,
        detail: impl Into<String>,
        cause: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Self {
            step,
            verdict,
            detail: detail.into(),
            cause: Some(cause.into()),
            fix: Some(fix.into()),
        }
    }
}

/// Every check, in karmada-operator's install order (`operator/pkg/init.go`).
pub fn checklist(observed: &Observation) -> Vec<Check> {
    let instance = &observed.instance;
    let name = instance.name();
    let cluster = instance.spec.management_cluster.as_str();
    let namespace = names::namespace(name);
    let on = format!("on management cluster `{cluster}`");
    let mut checks = Vec::new();
    checks.extend(deletion(observed));
    checks.push(reachable(observed));
    let management = observed.management.as_ref().ok();
    checks.push(crds(observed));
    checks.push(storage_class(
        observed,
        management.map(|m| &m.storage_classes),
        &on,
    ));
    if let Some(management) = management {
        checks.push(claims(observed, &management.claims, &namespace, &on));
        checks.extend(workloads(management, name, &namespace, &on));
        checks.extend(components(&management.components, &namespace, &on));
    }
    checks.push(karmada_condition(observed, &namespace, name));
    checks.push(operator_crd(observed));
    checks
}

/// Whether the management cluster answers, and how to make it.
fn reachable(observed: &Observation) -> Check {
    let step = "management cluster reachable";
    let cluster = observed.instance.spec.management_cluster.as_str();
    let why = match &observed.management {
        Ok(management) => {
            return Check::ok(
                step,
                format!("`{cluster}` answers ({})", management.version),
            );
        }
        Err(why) => why,
    };
    let fix = if cluster == multicloud_api::keys::LOCAL_CLUSTER {
        "check that the global cluster's API server is up and that --kubeconfig/--context \
         point at it"
            .to_owned()
    } else {
        format!(
            "check that its API server is up and reachable from here and from the cluster, and \
             that the kubeconfig in Secret {SYSTEM_NAMESPACE}/{cluster} is right; register it \
             again with `kubectl multicloud cluster add {cluster} --cluster-kubeconfig FILE \
             --overwrite`"
        )
    };
    Check::bad(
        step,
        Verdict::Failed,
        format!("`{cluster}` does not answer"),
        why.clone(),
        fix,
    )
}

/// etcd's StatefulSet and the Karmada API server's Deployment.
fn workloads(management: &Management, name: &str, namespace: &str, on: &str) -> [Check; 2] {
    let objects = KarmadaObjects::for_instance(&names::karmada(name));
    let (etcd, apiserver) = (objects.etcd_statefulset(), objects.apiserver_deployment());
    [
        workload(
            "etcd StatefulSet ready",
            &etcd,
            &management.etcd,
            &format!("kubectl -n {namespace} describe statefulset {etcd} {on}"),
        ),
        workload(
            "karmada apiserver Deployment available",
            &apiserver,
            &management.apiserver,
            &format!("kubectl -n {namespace} describe deployment {apiserver} {on}"),
        ),
    ]
}

/// Whether karmada-operator's CRD is in the global cluster: without it nothing installs.
fn operator_crd(observed: &Observation) -> Check {
    let step = "karmada-operator CRD present";
    match &observed.karmada_crd {
        Ok(true) => Check::ok(step, karmada_crd_name()),
        Ok(false) => Check::bad(
            step,
            Verdict::Failed,
            format!("{} is missing", karmada_crd_name()),
            "karmada-operator is not installed in the global cluster, so nobody turns the Karmada \
             CR into a control plane",
            "install karmada-operator (https://karmada.io/docs/installation/install-karmada-operator), \
             e.g. `helm install karmada-operator karmada-charts/karmada-operator -n karmada-system \
             --create-namespace`",
        ),
        Err(why) => Check::bad(
            step,
            Verdict::Failed,
            "cannot be read",
            why.clone(),
            "check that you may read CustomResourceDefinitions in the global cluster",
        ),
    }
}

fn workload(
    step: &'static str,
    name: &str,
    part: &Result<Option<Workload>, String>,
    describe: &str,
) -> Check {
    match part {
        Err(why) => Check::bad(
            step,
            Verdict::Failed,
            "cannot be read",
            why.clone(),
            "check that you may read it there",
        ),
        Ok(None) => Check::bad(
            step,
            Verdict::Waiting,
            format!("{name} not created yet"),
            format!("{name} does not exist yet"),
            "karmada-operator creates it once the earlier steps are done; see the Karmada CR step",
        ),
        Ok(Some(w)) if w.up => Check::ok(step, format!("{name} {}/{} ready", w.ready, w.desired)),
        Ok(Some(w)) => Check::bad(
            step,
            Verdict::Failed,
            format!("{name} {}/{} ready", w.ready, w.desired),
            w.message.clone().unwrap_or_else(|| {
                format!("{name} has {} of {} replicas ready", w.ready, w.desired)
            }),
            format!("look at its pods' events and logs: {describe}"),
        ),
    }
}

fn karmada_condition(observed: &Observation, namespace: &str, name: &str) -> Check {
    const STEP: &str = "Karmada CR ready";
    let instance_ready = observed
        .instance
        .status
        .as_ref()
        .and_then(|s| s.condition("Ready"))
        .map(|c| format!("{}: {}", c.reason, c.message));
    match &observed.karmada {
        Err(why) => Check::bad(
            STEP,
            Verdict::Failed,
            "cannot be read",
            why.clone(),
            "check that you may read karmadas.operator.karmada.io",
        ),
        Ok(None) => Check::bad(
            STEP,
            if observed.karmada_crd == Ok(false) {
                Verdict::Failed
            } else {
                Verdict::Waiting
            },
            format!("{namespace}/{name} not created"),
            instance_ready.unwrap_or_else(|| "the controller has not created it".to_owned()),
            format!(
                "check that multicloud-controller runs: `kubectl -n {SYSTEM_NAMESPACE} logs deploy/multicloud-controller`"
            ),
        ),
        Ok(Some(karmada)) => match karmada.status.as_ref().and_then(|s| s.ready()) {
            Some(ready) if ready.status == "True" => {
                Check::ok(STEP, format!("{}: {}", ready.reason, ready.message))
            }
            Some(ready) => not_ready(observed, ready),
            None => Check::bad(
                STEP,
                Verdict::Waiting,
                "no condition yet",
                "karmada-operator has not reported on the Karmada CR",
                "check that karmada-operator runs in the global cluster: `kubectl -n karmada-system get pods`",
            ),
        },
    }
}

/// The Karmada CR step when karmada-operator reports it not Ready: failed (or refused), or
/// still at work; a failure it retries says how often it did.
fn not_ready(observed: &Observation, ready: &KarmadaCondition) -> Check {
    let status = observed.instance.status.as_ref();
    let failed = matches!(ready.reason.as_str(), "Failed" | "ValidationError")
        || status.and_then(|s| s.phase) == Some(Phase::Failed);
    // karmada-operator retries a failed run (planner.go); say how often it did.
    let retries = status
        .and_then(|s| s.install.as_ref())
        .filter(|_| ready.reason == "Failed")
        .map(|i| {
            format!(
                " (karmada-operator retries: {} failure(s) so far; the instance is reported \
                 Failed if not installed by {})",
                i.failures, i.deadline
            )
        })
        .unwrap_or_default();
    Check::bad(
        "Karmada CR ready",
        if failed {
            Verdict::Failed
        } else {
            Verdict::Waiting
        },
        format!("Ready={} {}", ready.status, ready.reason),
        format!("{}{retries}", ready.message),
        "see karmada-operator's logs in the global cluster: `kubectl -n karmada-system logs \
         deploy/karmada-operator`",
    )
}

/// While the instance is deleted: whether the deletion can finish, and the way out when not
/// (the controller's `Ready` condition says, from [`multicloud_api::observed::deletion`]).
fn deletion(observed: &Observation) -> Option<Check> {
    const STEP: &str = "deletion can finish";
    let instance = &observed.instance;
    instance.metadata.deletion_timestamp.as_ref()?;
    let ready = instance.status.as_ref().and_then(|s| s.condition("Ready"));
    Some(match ready {
        Some(c) if c.reason != "Deleting" && c.status != "True" => Check::bad(
            STEP,
            Verdict::Failed,
            c.reason.clone(),
            c.message.clone(),
            format!(
                "fix the cause named above, or give the control plane up: `kubectl multicloud \
                 delete {} {}` (what it leaves behind is listed)",
                instance.name(),
                multicloud_api::observed::deletion::ABANDON_FLAG
            ),
        ),
        Some(c) => Check::ok(STEP, c.message.clone()),
        None => Check::ok(STEP, "waiting for the controller"),
    })
}

/// The operator's first task: the Karmada CRDs from `spec.crdTarball`
/// (`operator/pkg/tasks/init/crd.go`); a failure there is named as such.
fn crds(observed: &Observation) -> Check {
    const STEP: &str = "Karmada CRDs downloaded";
    let message = observed
        .karmada
        .as_ref()
        .ok()
        .and_then(Option::as_ref)
        .and_then(|k| k.status.as_ref())
        .and_then(|s| s.ready())
        .filter(|c| c.reason == "Failed")
        .map(|c| c.message.clone())
        .filter(|m| multicloud_api::observed::steps::is_crd_failure(m));
    match message {
        Some(message) => Check::bad(
            STEP,
            Verdict::Failed,
            "karmada-operator could not fetch the Karmada CRDs",
            message,
            "karmada-operator downloads crds.tar.gz (by default from GitHub) before anything else: \
             let it reach that URL, or, on an air-gapped cluster, serve the tarball inside the \
             network and point the Karmada CR's spec.crdTarball at it",
        ),
        None => Check::ok(STEP, "karmada-operator reports no CRD failure"),
    }
}

/// The components after the karmada apiserver, in the operator's order.
fn components(
    components: &Result<Vec<multicloud_api::observed::Workload>, String>,
    namespace: &str,
    on: &str,
) -> Option<Check> {
    const STEP: &str = "karmada components available";
    let components = match components {
        Ok(components) if components.is_empty() => return None,
        Ok(components) => components,
        Err(why) => {
            return Some(Check::bad(
                STEP,
                Verdict::Failed,
                "cannot be read",
                why.clone(),
                "check that you may read Deployments there",
            ));
        }
    };
    let rest: Vec<&multicloud_api::observed::Workload> =
        multicloud_api::observed::components::counted(components)
            .filter(|w| !matches!(w.component.suffix, "etcd" | "apiserver"))
            .collect();
    if let Some(broken) = rest.iter().find(|w| w.warning.is_some() && !w.complete()) {
        return Some(Check::bad(
            STEP,
            Verdict::Failed,
            broken.summary(),
            broken.warning.clone().unwrap_or_default(),
            format!(
                "kubectl -n {namespace} describe deployment {} {on}",
                broken.name
            ),
        ));
    }
    if let Some(waiting) = rest.iter().find(|w| !w.serving()) {
        return Some(Check::bad(
            STEP,
            Verdict::Waiting,
            waiting.summary(),
            format!("{} has no ready replica yet", waiting.name),
            "karmada-operator installs the components after the karmada apiserver; see the Karmada CR step",
        ));
    }
    Some(Check::ok(
        STEP,
        rest.iter()
            .map(|w| {
                format!(
                    "{} {}/{}",
                    w.component.suffix,
                    w.ready,
                    w.desired.unwrap_or(0)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    ))
}
