//! Which objects are the instance's own, and what it says when an object of its names is not.
//!
//! The controller marks what it creates with the instance's uid ([`INSTANCE_UID_LABEL`]) and
//! changes or deletes only objects carrying it. A name alone proves nothing: anyone may have made
//! a namespace `k-<name>` first, and a Karmada CR retained from a former instance of the same
//! name carries that instance's uid (or, from before the mark, none). Pure functions, so every
//! case is a unit test.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use multicloud_api::MulticloudInstance;
use multicloud_api::karmada::Karmada;
use multicloud_api::keys::{
    ADOPT_KARMADA_ANNOTATION, INSTANCE_LABEL, INSTANCE_UID_LABEL, RETAINED_FROM_ANNOTATION,
};

use crate::status::Blocker;

/// Who an existing object was made for, as its labels say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Maker {
    /// This instance: its uid is on the object.
    This,
    /// Another multicloud instance, e.g. a former one of the same name: its uid, or `None` when
    /// the object carries only the instance label (made before the uid mark existed).
    Former(Option<String>),
    /// Not made by multicloud at all.
    Stranger,
}

/// Who `meta` says the object was made for, given the instance's `uid`.
pub fn maker(meta: &ObjectMeta, uid: &str) -> Maker {
    let labels = meta.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    match (label(INSTANCE_UID_LABEL), label(INSTANCE_LABEL)) {
        (Some(marked), _) if marked == uid => Maker::This,
        (Some(other), _) => Maker::Former(Some(other.to_owned())),
        (None, Some(_)) => Maker::Former(None),
        (None, None) => Maker::Stranger,
    }
}

/// Whether the object is the instance's own: it carries the instance's uid, or it was made for
/// this instance by a controller from before the uid mark. Such an object carries the instance
/// label with this name and no uid, is not retained, and is no older than the instance itself
/// (so a namespace someone made before the instance existed, or a CR retained from a former
/// instance, never counts). The controller marks it with the uid the first time it sees it.
pub fn is_own(meta: &ObjectMeta, instance: &MulticloudInstance) -> bool {
    let uid = instance.metadata.uid.as_deref().unwrap_or_default();
    match maker(meta, uid) {
        Maker::This => !uid.is_empty(),
        Maker::Former(None) => {
            let named = meta.labels.as_ref().and_then(|l| l.get(INSTANCE_LABEL))
                == instance.metadata.name.as_ref();
            let retained = meta
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key(RETAINED_FROM_ANNOTATION));
            let made = meta.creation_timestamp.as_ref().map(|t| t.0);
            let born = instance.metadata.creation_timestamp.as_ref().map(|t| t.0);
            let after = matches!((made, born), (Some(made), Some(born)) if made >= born);
            named && !retained && after
        }
        Maker::Former(Some(_)) | Maker::Stranger => false,
    }
}

/// The labels that mark an object as made for the instance `name` with `uid`.
pub fn mark(name: &str, uid: &str) -> BTreeMap<String, String> {
    [
        (INSTANCE_LABEL.to_owned(), name.to_owned()),
        (INSTANCE_UID_LABEL.to_owned(), uid.to_owned()),
    ]
    .into()
}

/// Whether the instance asks, by [`ADOPT_KARMADA_ANNOTATION`], to take over exactly `karmada`.
pub fn adoption_requested(instance: &MulticloudInstance, karmada: &Karmada) -> bool {
    let wanted = instance
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ADOPT_KARMADA_ANNOTATION))
        .map(|v| v.trim());
    let uid = karmada.metadata.uid.as_deref();
    matches!((wanted, uid), (Some(w), Some(u)) if !u.is_empty() && w == u)
}

/// Where a conflicting namespace is: the global cluster, or a named management cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    /// The global cluster (where instances and Karmada CRs live).
    Global,
    /// A registered management cluster.
    Management(&'a str),
}

impl Place<'_> {
    fn describe(self) -> String {
        match self {
            Place::Global => "in the global cluster".to_owned(),
            Place::Management(cluster) => format!("on management cluster `{cluster}`"),
        }
    }
}

/// The instance waits: namespace `namespace` exists at `place` and is not its own.
pub fn namespace_conflict(namespace: &str, place: Place<'_>, found: &Maker) -> Blocker {
    let whose = match found {
        Maker::Former(Some(uid)) => format!("it was made for another instance (uid {uid})"),
        Maker::Former(None) => "it was made for an earlier instance of this name".to_owned(),
        Maker::Stranger | Maker::This => {
            format!("it was not created by multicloud (no {INSTANCE_UID_LABEL} label)")
        }
    };
    Blocker {
        reason: "NamespaceConflict",
        message: format!(
            "namespace {namespace} already exists {} and {whose}; the controller does not use, \
             label or delete a namespace it did not create. Delete or rename that namespace, or \
             create the instance under another name; it proceeds once {namespace} is free",
            place.describe()
        ),
    }
}

/// The instance waits: the Karmada CR of its name is not its own (retained from a former
/// instance, or made by someone else), and adopting it was not asked for.
pub fn karmada_not_adopted(instance: &str, karmada: &Karmada) -> Blocker {
    let namespace = karmada.metadata.namespace.as_deref().unwrap_or_default();
    let name = karmada.metadata.name.as_deref().unwrap_or_default();
    let uid = karmada.metadata.uid.as_deref().unwrap_or("<uid>");
    let origin = karmada
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(RETAINED_FROM_ANNOTATION))
        .map_or_else(
            || "was not created for this instance".to_owned(),
            |from| format!("was retained from a former instance `{from}`"),
        );
    Blocker {
        reason: "KarmadaNotAdopted",
        message: format!(
            "the Karmada CR {namespace}/{name} {origin}; it is left as it is (its spec, member \
             clusters and admin kubeconfig are not taken over). To take it over with this \
             instance's spec, annotate the instance with its uid: `kubectl annotate \
             multicloudinstance {instance} {ADOPT_KARMADA_ANNOTATION}={uid}`; to start afresh, \
             delete the Karmada CR and namespace {namespace}, or use another instance name"
        ),
    }
}

/// The instance waits: an object it would write in its own namespace is not its own.
pub fn object_conflict(what: &str, namespace: &str, name: &str) -> Blocker {
    Blocker {
        reason: "ObjectConflict",
        message: format!(
            "{what} {namespace}/{name} exists and was not created for this instance (no \
             {INSTANCE_UID_LABEL} label with its uid); the controller does not overwrite it. \
             Delete it and the controller writes its own"
        ),
    }
}

/// What a Karmada CR's `status.secretRef` says, when it names anything other than `namespace`/
/// `name`. karmada-operator always writes the CR's own namespace and the derived name
/// (`operator/pkg/controller/karmada/planner.go`, `afterRunJob`: `Status.SecretRef` is
/// `{karmada.Namespace, AdminKarmadaConfigSecretName(karmada.Name)}`), so any other value was
/// written by someone else and is never followed.
pub fn foreign_secret_ref(karmada: &Karmada, namespace: &str, name: &str) -> Option<String> {
    let reference = karmada.status.as_ref()?.secret_ref.as_ref()?;
    let ref_namespace = if reference.namespace.is_empty() {
        namespace
    } else {
        reference.namespace.as_str()
    };
    (ref_namespace != namespace || reference.name != name).then(|| {
        format!(
            "the Karmada CR's status.secretRef names {ref_namespace}/{}, not the admin \
             kubeconfig Secret karmada-operator writes ({namespace}/{name}); it is ignored: the \
             admin kubeconfig is read only from {namespace}/{name}",
            reference.name
        )
    })
}

#[cfg(test)]
mod tests {
    use multicloud_api::karmada::{KarmadaCrSpec, KarmadaStatus, SecretRef};
    use serde_json::json;

    use super::*;

    fn meta(labels: serde_json::Value) -> ObjectMeta {
        serde_json::from_value(json!({"name": "k-demo", "labels": labels})).expect("meta")
    }

    fn karmada(uid: &str) -> Karmada {
        let mut karmada = Karmada::new("demo", KarmadaCrSpec::default());
        karmada.metadata.namespace = Some("k-demo".into());
        karmada.metadata.uid = Some(uid.into());
        karmada
    }

    fn instance(annotations: serde_json::Value) -> MulticloudInstance {
        serde_json::from_value(json!({
            "apiVersion": "multicloud.dev/v1alpha1",
            "kind": "MulticloudInstance",
            "metadata": {"name": "demo", "uid": "new", "annotations": annotations},
            "spec": {}
        }))
        .expect("instance")
    }

    #[test]
    fn only_the_instances_own_uid_makes_an_object_its_own() {
        assert_eq!(maker(&meta(json!(mark("demo", "u1"))), "u1"), Maker::This);
        assert_eq!(
            maker(&meta(json!(mark("demo", "u0"))), "u1"),
            Maker::Former(Some("u0".into()))
        );
        assert_eq!(
            maker(&meta(json!({INSTANCE_LABEL: "demo"})), "u1"),
            Maker::Former(None)
        );
        assert_eq!(maker(&meta(json!({})), "u1"), Maker::Stranger);
        assert_eq!(maker(&ObjectMeta::default(), "u1"), Maker::Stranger);
    }

    fn at(second: i64) -> serde_json::Value {
        json!(
            k8s_openapi::jiff::Timestamp::from_second(second)
                .expect("time")
                .to_string()
        )
    }

    #[test]
    fn an_unmarked_object_made_for_the_instance_by_an_earlier_controller_is_its_own() {
        let mut demo = instance(json!({}));
        demo.metadata.creation_timestamp = serde_json::from_value(at(100)).ok();
        let legacy = |labels: serde_json::Value, second: i64, annotations: serde_json::Value| {
            serde_json::from_value::<ObjectMeta>(json!({
                "name": "k-demo",
                "labels": labels,
                "annotations": annotations,
                "creationTimestamp": at(second)
            }))
            .expect("meta")
        };
        let named = json!({INSTANCE_LABEL: "demo"});
        assert!(is_own(&legacy(named.clone(), 100, json!({})), &demo));
        assert!(is_own(&legacy(named.clone(), 160, json!({})), &demo));
        assert!(is_own(
            &legacy(json!(mark("demo", "new")), 10, json!({})),
            &demo
        ));
        // Made before the instance existed: someone else's, whatever its labels say.
        assert!(!is_own(&legacy(named.clone(), 99, json!({})), &demo));
        assert!(!is_own(
            &legacy(named, 160, json!({RETAINED_FROM_ANNOTATION: "demo"})),
            &demo
        ));
        assert!(!is_own(
            &legacy(json!({INSTANCE_LABEL: "other"}), 160, json!({})),
            &demo
        ));
        assert!(!is_own(
            &legacy(json!(mark("demo", "old")), 160, json!({})),
            &demo
        ));
        assert!(!is_own(&legacy(json!({}), 160, json!({})), &demo));
    }

    #[test]
    fn adoption_needs_the_exact_uid_of_the_retained_cr() {
        let retained = karmada("old-uid");
        assert!(adoption_requested(
            &instance(json!({ADOPT_KARMADA_ANNOTATION: "old-uid"})),
            &retained
        ));
        for value in ["true", "", "yes", "other-uid"] {
            assert!(
                !adoption_requested(
                    &instance(json!({ADOPT_KARMADA_ANNOTATION: value})),
                    &retained
                ),
                "{value:?} must not adopt"
            );
        }
        assert!(!adoption_requested(&instance(json!({})), &retained));
        let mut without_uid = retained;
        without_uid.metadata.uid = None;
        assert!(!adoption_requested(
            &instance(json!({ADOPT_KARMADA_ANNOTATION: ""})),
            &without_uid
        ));
    }

    #[test]
    fn a_conflict_names_the_namespace_the_place_and_the_way_out() {
        let blocker = namespace_conflict("k-victim", Place::Global, &Maker::Stranger);
        assert_eq!(blocker.reason, "NamespaceConflict");
        assert!(
            blocker
                .message
                .contains("k-victim already exists in the global cluster")
        );
        assert!(blocker.message.contains("not created by multicloud"));
        assert!(blocker.message.contains("Delete or rename"));
        let remote = namespace_conflict("k-far", Place::Management("edge-1"), &Maker::Former(None));
        assert!(remote.message.contains("on management cluster `edge-1`"));
    }

    #[test]
    fn a_retained_cr_says_exactly_how_to_adopt_it() {
        let mut retained = karmada("0a1b");
        retained.metadata.annotations =
            Some([(RETAINED_FROM_ANNOTATION.into(), "demo".into())].into());
        let blocker = karmada_not_adopted("demo", &retained);
        assert_eq!(blocker.reason, "KarmadaNotAdopted");
        assert!(
            blocker
                .message
                .contains("retained from a former instance `demo`")
        );
        assert!(blocker.message.contains(&format!(
            "kubectl annotate multicloudinstance demo {ADOPT_KARMADA_ANNOTATION}=0a1b"
        )));
    }

    #[test]
    fn a_secret_ref_outside_the_instance_namespace_is_ignored() {
        let with_ref = |namespace: &str, name: &str| {
            let mut k = karmada("u");
            k.status = Some(KarmadaStatus {
                secret_ref: Some(SecretRef {
                    namespace: namespace.into(),
                    name: name.into(),
                }),
                ..KarmadaStatus::default()
            });
            k
        };
        let own = "demo-karmada-admin-config";
        assert_eq!(
            foreign_secret_ref(&with_ref("k-demo", own), "k-demo", own),
            None
        );
        assert_eq!(foreign_secret_ref(&with_ref("", own), "k-demo", own), None);
        assert_eq!(foreign_secret_ref(&karmada("u"), "k-demo", own), None);
        let foreign = foreign_secret_ref(&with_ref("multicloud-system", "edge-1"), "k-demo", own)
            .expect("foreign");
        assert!(
            foreign.contains("names multicloud-system/edge-1"),
            "{foreign}"
        );
        assert!(foreign.contains("ignored"), "{foreign}");
        assert!(foreign_secret_ref(&with_ref("k-demo", "other"), "k-demo", own).is_some());
    }
}
