//! The storage steps: the StorageClass etcd's PVCs need, and the PVCs themselves.

use multicloud_api::StorageType;
use multicloud_api::clusters::StorageClassInfo;
use multicloud_api::keys::DEFAULT_CLASS_ANNOTATION;
use multicloud_api::names::KarmadaObjects;

use super::{Check, Verdict};
use crate::observe::{Claim, Observation};

/// The step of the StorageClass check.
const STEP: &str = "StorageClass present";

/// Whether the StorageClass etcd's PVCs name (or the default one) is on the management cluster.
pub(super) fn storage_class(
    observed: &Observation,
    classes: Option<&Result<Vec<StorageClassInfo>, String>>,
    on: &str,
) -> Check {
    let storage = &observed.instance.spec.etcd.storage;
    if storage.type_ != StorageType::PersistentVolumeClaim {
        return Check::ok(
            STEP,
            format!(
                "{} storage needs none (not highly available)",
                storage.type_
            ),
        );
    }
    let classes = match classes {
        None => {
            return Check::bad(
                STEP,
                Verdict::Waiting,
                "not checked",
                "the management cluster does not answer",
                "see the first step",
            );
        }
        Some(Err(why)) => {
            return Check::bad(
                STEP,
                Verdict::Failed,
                "cannot be listed",
                why.clone(),
                "check that you may list StorageClasses there",
            );
        }
        Some(Ok(classes)) => classes,
    };
    let found = match storage.class_name() {
        Some(named) => classes.iter().find(|c| c.name == named),
        None => classes.iter().find(|c| c.default),
    };
    match found {
        Some(class) => Check::ok(STEP, class_text(class)),
        None => missing_class(storage.class_name(), classes, on),
    }
}

/// A class as the check shows it: name, whether default, binding mode and provisioner.
fn class_text(class: &StorageClassInfo) -> String {
    format!(
        "{}{}, binding mode {}, provisioner {}",
        class.name,
        if class.default { " (default)" } else { "" },
        class.volume_binding_mode.as_deref().unwrap_or("Immediate"),
        if class.provisioner.is_empty() {
            "<none>"
        } else {
            &class.provisioner
        }
    )
}

/// The failed check for a class that is not there: `named`, or the default when `None`.
fn missing_class(named: Option<&str>, classes: &[StorageClassInfo], on: &str) -> Check {
    let has = if classes.is_empty() {
        "none".to_owned()
    } else {
        classes
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (detail, fix) = match named {
        Some(named) => (
            format!("`{named}` is missing (it has: {has})"),
            format!(
                "create StorageClass `{named}` {on}; the class of an instance cannot change, so \
                 otherwise recreate it with --storage-class naming one it has"
            ),
        ),
        None => (
            format!("no default StorageClass (it has: {has})"),
            format!(
                "mark a class default {on} with the annotation {DEFAULT_CLASS_ANNOTATION}: \
                 \"true\", or install one; or recreate the instance with --storage-class or \
                 --host-path (not highly available)"
            ),
        ),
    };
    Check::bad(
        STEP,
        Verdict::Failed,
        detail,
        "etcd's PVCs cannot be provisioned, so they stay Pending",
        fix,
    )
}

pub(super) fn claims(
    observed: &Observation,
    claims: &Result<Vec<Claim>, String>,
    namespace: &str,
    on: &str,
) -> Check {
    const STEP: &str = "etcd PVCs bound";
    let storage = observed.instance.spec.etcd.storage.type_;
    if storage != StorageType::PersistentVolumeClaim {
        return Check::ok(STEP, format!("{storage} storage, no PVC"));
    }
    let claims = match claims {
        Ok(claims) => claims,
        Err(why) => {
            return Check::bad(
                STEP,
                Verdict::Failed,
                "cannot be read",
                why.clone(),
                "check that you may read PVCs there",
            );
        }
    };
    let bound = claims.iter().filter(|c| c.bound()).count();
    let detail = format!("{bound}/{} Bound", claims.len());
    let Some(claim) = claims.iter().find(|c| !c.bound()) else {
        return Check::ok(STEP, detail);
    };
    let Some(phase) = &claim.phase else {
        return Check::bad(
            STEP,
            Verdict::Waiting,
            detail,
            format!("PVC {} does not exist yet", claim.name),
            "karmada-operator creates it with the etcd StatefulSet once the Karmada CR exists; see the Karmada CR step",
        );
    };
    let event = claim.event.as_deref();
    let cause = match event {
        Some(event) => format!("PVC {} is {phase}: {event}", claim.name),
        None => format!("PVC {} is {phase}, with no events", claim.name),
    };
    let fix = claim_fix(observed, claim, phase, namespace, on);
    Check::bad(STEP, Verdict::Failed, detail, cause, fix)
}

/// What to do about `claim`, not Bound but in `phase`, from the reason of its last event.
fn claim_fix(
    observed: &Observation,
    claim: &Claim,
    phase: &str,
    namespace: &str,
    on: &str,
) -> String {
    let describe = format!("`kubectl -n {namespace} describe pvc {}` {on}", claim.name);
    let reason = claim
        .event
        .as_deref()
        .map(|e| e.split(':').next().unwrap_or_default());
    match reason {
        Some("WaitForFirstConsumer") => format!(
            "the PVC binds once the etcd pod is scheduled; look at why it is not: `kubectl -n \
             {namespace} describe pod -l {}` {on}",
            KarmadaObjects::for_instance(observed.instance.name()).selector()
        ),
        Some("ExternalProvisioning") | Some("Provisioning") => format!(
            "the StorageClass's provisioner has not made a volume: check that it runs and is \
             healthy {on}; {describe}"
        ),
        Some("ProvisioningFailed") => format!(
            "the provisioner failed as the event says: fix the StorageClass or its provisioner, \
             after which the PVC binds on its own; {describe}"
        ),
        Some("FailedBinding") => format!(
            "no volume matches the claim: make a default StorageClass or create a matching \
             PersistentVolume; {describe}"
        ),
        _ if phase == "Lost" => {
            "its volume is gone: restore etcd from a backup or recreate the instance".to_owned()
        }
        _ => format!("check that the StorageClass's provisioner is running {on}; {describe}"),
    }
}
