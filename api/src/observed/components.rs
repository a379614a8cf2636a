//! The workloads karmada-operator makes on the management cluster, in its install order, and
//! what their state says.
//!
//! Order: `operator/pkg/init.go` `NewInitJob` (CRDs, certificates, namespace, etcd, karmada
//! apiserver, aggregated apiserver, then kube-controller-manager, karmada-controller-manager,
//! scheduler, webhook and the optional ones from `pkg/tasks/init/component.go`). Names:
//! `operator/pkg/util/naming.go` `generateResourceName`, through [`KarmadaObjects`]. Which image
//! carries the karmada version: `operator/pkg/apis/operator/v1alpha1/defaults.go` (etcd, the
//! karmada apiserver and kube-controller-manager carry their own tags). `Completed` needs only
//! one ready pod per component (`pkg/tasks/init/wait.go` `WaitForSomePods(..., 1)`), so a
//! version counts as running only once its workload's rollout is over (the checks of `kubectl
//! rollout status`): an old pod still serving is not the new version.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use crate::names::KarmadaObjects;

/// Kind of a component's workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadKind {
    /// `apps/v1` StatefulSet (etcd).
    StatefulSet,
    /// `apps/v1` Deployment (every other component).
    Deployment,
}

impl std::fmt::Display for WorkloadKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::StatefulSet => "StatefulSet",
            Self::Deployment => "Deployment",
        })
    }
}

/// One component the operator installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Suffix of its object names (`<prefix>-<suffix>`).
    pub suffix: &'static str,
    /// Its workload kind.
    pub kind: WorkloadKind,
    /// Whether its image tag is the karmada version.
    pub karmada_tag: bool,
    /// Whether every install has it (the others only when the CR asks for them).
    pub always: bool,
}

impl Component {
    /// Its workload's name for the Karmada CR whose objects are `objects`.
    pub fn name(&self, objects: &KarmadaObjects) -> String {
        format!("{}-{}", objects.prefix(), self.suffix)
    }
}

const fn component(
    suffix: &'static str,
    kind: WorkloadKind,
    karmada_tag: bool,
    always: bool,
) -> Component {
    Component {
        suffix,
        kind,
        karmada_tag,
        always,
    }
}

/// Every component, in the operator's install order.
pub const COMPONENTS: [Component; 9] = [
    component("etcd", WorkloadKind::StatefulSet, false, true),
    component("apiserver", WorkloadKind::Deployment, false, true),
    component("aggregated-apiserver", WorkloadKind::Deployment, true, true),
    component(
        "kube-controller-manager",
        WorkloadKind::Deployment,
        false,
        true,
    ),
    component("controller-manager", WorkloadKind::Deployment, true, true),
    component("scheduler", WorkloadKind::Deployment, true, true),
    component("webhook", WorkloadKind::Deployment, true, true),
    // Installed by default since the operator defaults it (defaults.go), absent from old ones.
    component("metrics-adapter", WorkloadKind::Deployment, true, false),
    component("search", WorkloadKind::Deployment, true, false),
];

/// What was seen of one component's workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The component.
    pub component: Component,
    /// The workload's name.
    pub name: String,
    /// Desired replicas; `None` while the workload does not exist.
    pub desired: Option<i32>,
    /// Ready (StatefulSet) or available (Deployment) replicas.
    pub ready: i32,
    /// Image of each container of its pod template.
    pub images: Vec<String>,
    /// For a Deployment, the message of a false `Available` or `Progressing` condition.
    pub message: Option<String>,
    /// Its latest Warning event (e.g. `FailedCreate: ...`), when it is not ready.
    pub warning: Option<String>,
    /// What of its pod template's last change has not rolled out yet; `None` once every
    /// replica runs the template.
    pub rollout: Option<String>,
}

impl Workload {
    /// A workload that does not exist.
    pub fn missing(component: Component, objects: &KarmadaObjects) -> Self {
        Self {
            component,
            name: component.name(objects),
            desired: None,
            ready: 0,
            images: Vec::new(),
            message: None,
            warning: None,
            rollout: None,
        }
    }

    /// A StatefulSet's state: its ready replicas count.
    pub fn of_statefulset(
        component: Component,
        objects: &KarmadaObjects,
        set: &StatefulSet,
    ) -> Self {
        let spec = set.spec.as_ref();
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let status = set.status.as_ref();
        let rollout = match status {
            _ if unobserved(
                set.metadata.generation,
                status.and_then(|s| s.observed_generation),
            ) =>
            {
                Some(UNOBSERVED.to_owned())
            }
            Some(s) if s.update_revision.is_some() && s.update_revision != s.current_revision => {
                Some(format!(
                    "{} of {desired} replicas updated",
                    s.updated_replicas.unwrap_or(0)
                ))
            }
            _ => None,
        };
        Self {
            desired: Some(desired),
            ready: status.and_then(|s| s.ready_replicas).unwrap_or(0),
            images: images(spec.map(|s| &s.template)),
            rollout,
            ..Self::missing(component, objects)
        }
    }

    /// A Deployment's state: its available replicas count, and a false `Available` or a true
    /// `ReplicaFailure` condition says why.
    pub fn of_deployment(component: Component, objects: &KarmadaObjects, d: &Deployment) -> Self {
        let spec = d.spec.as_ref();
        let status = d.status.as_ref();
        let message = status
            .and_then(|s| s.conditions.as_ref())
            .and_then(|conditions| {
                conditions
                    .iter()
                    .find(|c| {
                        (c.type_ == "ReplicaFailure" && c.status == "True")
                            || (c.type_ == "Available" && c.status != "True")
                    })
                    .and_then(|c| c.message.clone())
            });
        let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        let available = status.and_then(|s| s.available_replicas).unwrap_or(0);
        let updated = status.and_then(|s| s.updated_replicas).unwrap_or(0);
        let current = status.and_then(|s| s.replicas).unwrap_or(0);
        let rollout = if unobserved(
            d.metadata.generation,
            status.and_then(|s| s.observed_generation),
        ) {
            Some(UNOBSERVED.to_owned())
        } else if updated < desired {
            Some(format!("{updated} of {desired} replicas updated"))
        } else if current > updated {
            Some(format!("{} old replicas still running", current - updated))
        } else if available < updated {
            Some(format!(
                "{available} of {updated} updated replicas available"
            ))
        } else {
            None
        };
        Self {
            desired: Some(desired),
            ready: available,
            images: images(spec.map(|s| &s.template)),
            message,
            rollout,
            ..Self::missing(component, objects)
        }
    }

    /// Whether it exists.
    pub fn exists(&self) -> bool {
        self.desired.is_some()
    }

    /// Whether it serves: at least one ready replica, the operator's own bar.
    pub fn serving(&self) -> bool {
        self.exists() && self.ready >= 1
    }

    /// Whether every desired replica is ready.
    pub fn complete(&self) -> bool {
        self.desired.is_some_and(|d| self.ready >= d)
    }

    /// Whether a karmada-versioned component runs `version`: every container image of its
    /// template has that tag and the template is rolled out; always true for the others.
    pub fn runs(&self, version: &str) -> bool {
        !self.component.karmada_tag
            || (!self.images.is_empty()
                && self.images.iter().all(|i| tag(i) == Some(version))
                && self.rollout.is_none())
    }

    /// `ready/desired ready`, plus why not.
    pub fn summary(&self) -> String {
        let Some(desired) = self.desired else {
            return format!("{} {} not created yet", self.component.kind, self.name);
        };
        let mut text = format!("{} {}/{desired} ready", self.name, self.ready);
        if let Some(why) = self
            .warning
            .as_ref()
            .or(self.message.as_ref())
            .filter(|_| !self.complete())
        {
            text.push_str("; ");
            text.push_str(why);
        }
        text
    }
}

/// A rollout its workload controller has not looked at yet.
const UNOBSERVED: &str = "its controller has not seen the change yet";

fn unobserved(generation: Option<i64>, observed: Option<i64>) -> bool {
    matches!((generation, observed), (Some(g), Some(o)) if o < g)
        || (generation.is_some() && observed.is_none())
}

fn images(template: Option<&PodTemplateSpec>) -> Vec<String> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(|s| {
            s.containers
                .iter()
                .filter_map(|c| c.image.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// The tag of an image reference (`repo/name:tag` or `repo:port/name:tag@digest`).
pub fn tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, tag)| tag)
}

/// The components that count for `workloads`: every one that is always installed, and the
/// optional ones that exist.
pub fn counted(workloads: &[Workload]) -> impl Iterator<Item = &Workload> {
    workloads
        .iter()
        .filter(|w| w.component.always || w.exists())
}

/// Whether every counted component serves.
pub fn all_serving(workloads: &[Workload]) -> bool {
    !workloads.is_empty() && counted(workloads).all(Workload::serving)
}

/// The counted karmada-versioned components not (yet) running `version`, as `name (tag)`.
pub fn behind(workloads: &[Workload], version: &str) -> Vec<String> {
    counted(workloads)
        .filter(|w| w.exists() && !w.runs(version))
        .map(|w| {
            let tags: Vec<&str> = w.images.iter().filter_map(|i| tag(i)).collect();
            let rollout = w
                .rollout
                .as_ref()
                .map(|r| format!("; rolling out: {r}"))
                .unwrap_or_default();
            format!(
                "{} ({}{rollout})",
                w.component.suffix,
                if tags.is_empty() {
                    "no tag".to_owned()
                } else {
                    tags.join(", ")
                }
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(suffix: &str, desired: Option<i32>, ready: i32, image: &str) -> Workload {
        let component = COMPONENTS
            .iter()
            .copied()
            .find(|c| c.suffix == suffix)
            .expect("known component");
        Workload {
            desired,
            ready,
            images: vec![image.to_owned()],
            ..Workload::missing(component, &KarmadaObjects::new("demo"))
        }
    }

    #[test]
    fn names_follow_the_operator_prefix() {
        let objects = KarmadaObjects::new("demo");
        let names: Vec<String> = COMPONENTS.iter().map(|c| c.name(&objects)).collect();
        assert_eq!(names[0], "demo-karmada-etcd");
        assert_eq!(names[2], "demo-karmada-aggregated-apiserver");
        assert_eq!(
            COMPONENTS[4].name(&KarmadaObjects::new("my-karmada")),
            "my-karmada-controller-manager"
        );
    }

    #[test]
    fn tags_are_read_from_any_image_reference() {
        assert_eq!(
            tag("docker.io/karmada/karmada-webhook:v1.18.2"),
            Some("v1.18.2")
        );
        assert_eq!(
            tag("registry:5000/karmada/webhook:v1.2@sha256:ab"),
            Some("v1.2")
        );
        assert_eq!(tag("registry:5000/karmada/webhook"), None);
    }

    #[test]
    fn a_component_behind_the_requested_version_is_named_with_its_tag() {
        let workloads = [
            workload("etcd", Some(1), 1, "registry.k8s.io/etcd:3.5.16-0"),
            workload("webhook", Some(1), 1, "karmada/karmada-webhook:v1.17.0"),
            workload("scheduler", Some(1), 1, "karmada/karmada-scheduler:v1.18.2"),
            workload("search", None, 0, ""),
        ];
        assert_eq!(behind(&workloads, "v1.18.2"), vec!["webhook (v1.17.0)"]);
        assert!(behind(&workloads[2..], "v1.18.2").is_empty());
    }

    #[test]
    fn a_new_tag_counts_only_once_its_rollout_is_over() {
        let webhook = COMPONENTS
            .iter()
            .copied()
            .find(|c| c.suffix == "webhook")
            .expect("known component");
        let objects = KarmadaObjects::new("demo");
        let deployment = |status: serde_json::Value| -> Deployment {
            serde_json::from_value(serde_json::json!({
                "metadata": {"name": "demo-karmada-webhook", "generation": 2},
                "spec": {
                    "replicas": 1,
                    "selector": {},
                    "template": {"spec": {"containers": [
                        {"name": "webhook", "image": "karmada/karmada-webhook:v1.18.2"}
                    ]}}
                },
                "status": status
            }))
            .expect("valid Deployment")
        };
        // The old pod still serves while the new one cannot start (wait.go is satisfied).
        let rolling = Workload::of_deployment(
            webhook,
            &objects,
            &deployment(serde_json::json!({
                "observedGeneration": 2, "replicas": 2, "updatedReplicas": 1,
                "availableReplicas": 1
            })),
        );
        assert!(rolling.serving());
        assert!(!rolling.runs("v1.18.2"));
        assert_eq!(
            behind(std::slice::from_ref(&rolling), "v1.18.2"),
            vec!["webhook (v1.18.2; rolling out: 1 old replicas still running)"]
        );
        let unseen = Workload::of_deployment(
            webhook,
            &objects,
            &deployment(serde_json::json!({
                "observedGeneration": 1, "replicas": 1, "updatedReplicas": 1,
                "availableReplicas": 1
            })),
        );
        assert!(!unseen.runs("v1.18.2"));
        let done = Workload::of_deployment(
            webhook,
            &objects,
            &deployment(serde_json::json!({
                "observedGeneration": 2, "replicas": 1, "updatedReplicas": 1,
                "availableReplicas": 1
            })),
        );
        assert!(done.runs("v1.18.2"));
    }

    #[test]
    fn serving_needs_every_installed_component_with_one_ready_replica() {
        let mut workloads: Vec<Workload> = COMPONENTS
            .iter()
            .filter(|c| c.always)
            .map(|c| workload(c.suffix, Some(2), 1, "x:v1"))
            .collect();
        assert!(all_serving(&workloads));
        workloads.push(workload("search", None, 0, ""));
        assert!(
            all_serving(&workloads),
            "an absent optional component does not count"
        );
        workloads[1].ready = 0;
        assert!(!all_serving(&workloads));
        assert!(!all_serving(&[]));
    }

    #[test]
    fn summary_says_why_a_workload_is_not_ready() {
        let mut etcd = workload("etcd", Some(1), 0, "etcd:3");
        etcd.warning = Some("FailedCreate: create Pod demo-karmada-etcd-0 failed".into());
        assert_eq!(
            etcd.summary(),
            "demo-karmada-etcd 0/1 ready; FailedCreate: create Pod demo-karmada-etcd-0 failed"
        );
        assert_eq!(
            workload("webhook", None, 0, "").summary(),
            "Deployment demo-karmada-webhook not created yet"
        );
    }
}
