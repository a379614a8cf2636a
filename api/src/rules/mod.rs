//! The admission rules (the decisions README.md lists under "Using it on a cluster") as pure
//! functions.
//!
//! [`mutate`] is the mutating webhook's decision, [`validate`] the validating webhook's, and
//! [`admit`] runs both in the API server's order (mutate, apply the patch, validate) for the
//! plugin's client-side and offline checks. Nothing here does I/O: what the rules need to know of
//! the management clusters comes in through a [`ClusterDirectory`].

mod air_gap;
mod availability;
mod cert_sans;
mod cluster_secret;
mod deletion;
mod host_path;
mod management;
mod mutation;
mod naming;
mod spec;
mod updates;
mod version;

use std::fmt;

use json_patch::{Patch, PatchOperation};
use serde::Serialize;
use thiserror::Error;

use crate::clusters::ClusterDirectory;
use crate::instance::MulticloudInstance;

pub use availability::{
    Availability, HA_COMPONENT_REPLICAS, HA_MAX_UNAVAILABLE, NotHaReason, Plan as AvailabilityPlan,
    SPREAD_TOPOLOGY_KEY, assess as assess_availability, plan as availability_plan,
};
pub use cert_sans::MAX_CERT_SANS;
pub use cluster_secret::validate as validate_cluster_secret;
pub use host_path::{
    check_form as check_host_path_form, normalise as normalise_host_path,
    overlap as host_path_overlap,
};
pub use naming::check_cluster_name;

/// The write being admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Operation {
    /// A new object.
    Create,
    /// A change to an existing object.
    Update,
    /// A deletion.
    Delete,
}

/// An admission request for a `MulticloudInstance`, already decoded.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// What is being done.
    pub operation: Operation,
    /// The admission request's uid (`request.uid`): it makes the default host path of a new
    /// instance fresh. Offline checks have none and pass a placeholder.
    pub uid: &'a str,
    /// The object as it would be stored (absent on DELETE).
    pub object: Option<&'a MulticloudInstance>,
    /// The object as it is stored (UPDATE and DELETE).
    pub old_object: Option<&'a MulticloudInstance>,
}

/// The request uid offline checks pass (the plugin's `check` and client-side checks): the
/// default host path they show then ends in `-00000000`, where the webhook's is fresh per request.
pub const OFFLINE_UID: &str = "00000000-0000-0000-0000-000000000000";

/// One reason a request is denied: the field at fault and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Violation {
    /// JSON path of the field at fault, e.g. `spec.etcd.replicas`.
    pub field: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl Violation {
    /// A violation of `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What the webhook answers: allowed unless there are violations, with a patch and warnings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Every reason to deny; empty means allowed.
    pub violations: Vec<Violation>,
    /// JSON Patch for the mutating webhook (empty from [`validate`]).
    pub patch: Vec<PatchOperation>,
    /// Warnings the client shows (kubectl prints them).
    pub warnings: Vec<String>,
}

impl Decision {
    /// Whether the request is admitted.
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// The denial message: every violation, `; `-separated.
    pub fn message(&self) -> String {
        self.violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn deny(violations: Vec<Violation>) -> Self {
        Self {
            violations,
            ..Self::default()
        }
    }

    /// The patch as a [`json_patch::Patch`].
    pub fn json_patch(&self) -> Patch {
        Patch(self.patch.clone())
    }
}

/// The mutating webhook's decision: fills in the virtual cluster name, its label, the
/// high-availability annotations and, on CREATE, the default host path under the directory's
/// host-path root. Idempotent: for the patched object it returns an empty patch, so the API
/// server may reinvoke it safely.
pub fn mutate(request: &Request<'_>, clusters: &dyn ClusterDirectory) -> Decision {
    match request.operation {
        Operation::Delete => Decision::default(),
        Operation::Create | Operation::Update => {
            let Some(object) = request.object else {
                return Decision::deny(vec![missing_object()]);
            };
            if object.metadata.deletion_timestamp.is_some() {
                // Leave objects being deleted alone: removing the finalizer must never fail.
                return Decision::default();
            }
            if object.name().is_empty() {
                return Decision::deny(vec![naming::generate_name_unsupported(object)]);
            }
            let new_host_path =
                (request.operation == Operation::Create).then(|| mutation::HostPathDefault {
                    root: clusters.host_path_root(),
                    request_uid: request.uid,
                });
            Decision {
                patch: mutation::patch(object, new_host_path),
                ..Decision::default()
            }
        }
    }
}

/// The validating webhook's decision on the object as it will be stored.
pub fn validate(request: &Request<'_>, clusters: &dyn ClusterDirectory) -> Decision {
    match request.operation {
        Operation::Delete => match request.old_object {
            Some(old) => Decision::deny(deletion::check(old)),
            None => Decision::default(),
        },
        Operation::Create | Operation::Update => {
            let Some(object) = request.object else {
                return Decision::deny(vec![missing_object()]);
            };
            let old = request.old_object;
            if object.metadata.deletion_timestamp.is_some() {
                return Decision::deny(
                    old.map(|old| updates::check(old, object))
                        .unwrap_or_default(),
                );
            }
            let mut violations = naming::check(object);
            violations.extend(spec::check(&object.spec));
            let old_spec = old.map(|old| &old.spec);
            violations.extend(version::check(&object.spec, old_spec));
            violations.extend(air_gap::check(&object.spec.karmada));
            violations.extend(cert_sans::check(&object.spec, old_spec));
            match (request.operation, old) {
                (Operation::Update, Some(old)) => violations.extend(updates::check(old, object)),
                _ => {
                    violations.extend(management::check(object, clusters));
                    violations.extend(host_path::check(object, clusters));
                }
            }
            let spec_changed = old.is_none_or(|old| old.spec != object.spec);
            let warnings = if violations.is_empty() && spec_changed {
                availability::warnings(&object.spec)
            } else {
                Vec::new()
            };
            Decision {
                violations,
                patch: Vec::new(),
                warnings,
            }
        }
    }
}

/// The outcome of [`admit`]: the decision and the object as it would be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Admission {
    /// Combined decision: the mutating patch, the validating verdict and warnings.
    pub decision: Decision,
    /// The object after the mutating patch (absent on DELETE or when mutation denied).
    pub object: Option<MulticloudInstance>,
}

/// Why [`admit`] could not apply its own patch (a bug, never the user's input).
#[derive(Debug, Error)]
#[error("applying the mutating patch failed: {0}")]
pub struct PatchFailed(String);

/// Both webhooks in the API server's order: mutate, apply the patch, validate the result.
pub fn admit(
    request: &Request<'_>,
    clusters: &dyn ClusterDirectory,
) -> Result<Admission, PatchFailed> {
    let mutation = mutate(request, clusters);
    if !mutation.allowed() {
        return Ok(Admission {
            decision: mutation,
            object: None,
        });
    }
    let object = match request.object {
        Some(object) => Some(apply(object, &mutation.patch)?),
        None => None,
    };
    let validation = validate(
        &Request {
            object: object.as_ref(),
            ..*request
        },
        clusters,
    );
    Ok(Admission {
        decision: Decision {
            violations: validation.violations,
            patch: mutation.patch,
            warnings: validation.warnings,
        },
        object,
    })
}

/// `object` with `patch` applied.
pub fn apply(
    object: &MulticloudInstance,
    patch: &[PatchOperation],
) -> Result<MulticloudInstance, PatchFailed> {
    let mut value = serde_json::to_value(object).map_err(|e| PatchFailed(e.to_string()))?;
    json_patch::patch(&mut value, patch).map_err(|e| PatchFailed(e.to_string()))?;
    serde_json::from_value(value).map_err(|e| PatchFailed(e.to_string()))
}

fn missing_object() -> Violation {
    Violation::new(
        "request.object",
        "the admission request carries no object; the API server sent a malformed review",
    )
}

/// Human list of names for messages: `a, b, c`, or `none`.
pub(crate) fn list_or_none<I, S>(names: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let joined = names
        .into_iter()
        .map(|n| n.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    if joined.is_empty() {
        "none".to_owned()
    } else {
        joined
    }
}

#[cfg(test)]
mod tests;
