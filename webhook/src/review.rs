//! One admission review: decoded from the request body, dispatched by kind to the
//! `multicloud-api` rules, answered with the request's uid.
//!
//! The rules decide; this module only translates between the wire and them. Every reply starts
//! from the request's uid; a patch always goes out with `patchType: JSONPatch`; the rules'
//! warnings always go out, allowed or not.

use k8s_openapi::api::core::v1::Secret;
use kube::core::admission::Operation as WireOperation;
use multicloud_api::MulticloudInstance;
use multicloud_api::clusters::ClusterDirectory;
use multicloud_api::keys::{CLUSTER_LABEL, GROUP, SYSTEM_NAMESPACE};
use multicloud_api::rules::{self, Decision, Operation, Request};
use serde::de::IgnoredAny;
use thiserror::Error;

use crate::shape::{self, CheckedObject};
use crate::wire::{self, Envelope, Kind, LeanInstance, LeanSecret, Objects, Reply};

/// Why a body is not an admission review (answered with HTTP 400, as there is no uid to echo).
#[derive(Debug, Error)]
pub enum ReviewError {
    /// Not JSON, or not of the AdmissionReview shape.
    #[error("the body is not an admission.k8s.io/v1 AdmissionReview: {}", bounded(.0.to_string()))]
    Decode(#[from] serde_json::Error),
    /// Another version or kind than the webhook answers.
    #[error("{0}")]
    Unanswerable(String),
    /// A review without a request (a response, perhaps).
    #[error("the AdmissionReview carries no request")]
    NoRequest,
    /// More JSON values than any real review holds (decoding each costs memory).
    #[error(
        "the body is not an admission.k8s.io/v1 AdmissionReview: it holds more than {} JSON \
         values, far more than any real review",
        shape::MAX_VALUES
    )]
    TooManyValues,
}

/// What the review is about.
#[derive(Debug)]
enum Subject {
    Instance {
        object: Option<Box<MulticloudInstance>>,
        old: Option<Box<MulticloudInstance>>,
    },
    ClusterSecret(Option<Box<Secret>>),
    /// Anything the rules do not govern (a subresource, an unlabelled Secret): admitted as is.
    Other,
    /// An instance that does not decode: denied with the reason.
    Undecodable(String),
}

/// A decoded admission review, ready to be decided.
#[derive(Debug)]
pub struct Review {
    reply: Reply,
    operation: Option<Operation>,
    operation_label: &'static str,
    subject: Subject,
}

impl Review {
    /// Decodes a request body.
    pub fn parse(body: &[u8]) -> Result<Self, ReviewError> {
        // Before anything is decoded: memory grows with the number of values as well as with
        // the size of the body.
        if shape::exceeds_values(body, shape::MAX_VALUES) {
            return Err(ReviewError::TooManyValues);
        }
        // Fast path for what nearly every request is: an instance, decoded straight into the
        // typed object in one pass. Anything else (a Secret, an instance that does not decode)
        // takes the generic route, which can say what is wrong with it.
        if let Ok(Envelope {
            api_version,
            kind,
            request: Some(request),
        }) = serde_json::from_slice::<Envelope<LeanInstance>>(body)
            && kind.as_deref().is_none_or(|k| k == "AdmissionReview")
            && api_version
                .as_deref()
                .is_none_or(|v| wire::ANSWERED_VERSIONS.contains(&v))
            && is_instance(&request.kind)
            && !is_subresource(request.sub_resource.as_deref())
        {
            let (operation, operation_label) = operation(&request.operation);
            return Ok(Self {
                reply: Reply::admit(request.uid, api_version),
                operation,
                operation_label,
                subject: Subject::Instance {
                    object: request.object.map(|o| Box::new(o.into())),
                    old: request.old_object.map(|o| Box::new(o.into())),
                },
            });
        }
        // A first look: what the review is about, its objects read past without being kept.
        // Then only what the rules read is decoded, straight into typed structs: never a
        // `serde_json::Value` of an object (which costs many times its size in memory, and an
        // attacker chooses that size).
        let envelope: Envelope<CheckedObject> = serde_json::from_slice(body)?;
        if let Some(why) = envelope.unanswerable() {
            return Err(ReviewError::Unanswerable(why));
        }
        let request = envelope.request.ok_or(ReviewError::NoRequest)?;
        let (operation, operation_label) = operation(&request.operation);
        let kind = &request.kind;
        let subject = if is_subresource(request.sub_resource.as_deref()) {
            Subject::Other
        } else if is_instance(kind) {
            instance_subject(body)
        } else if kind.group.is_empty() && kind.kind == "Secret" {
            secret_subject(request.namespace.as_deref(), body)
        } else {
            Subject::Other
        };
        Ok(Self {
            reply: Reply::admit(request.uid, envelope.api_version),
            operation,
            operation_label,
            subject,
        })
    }

    /// `CREATE`, `UPDATE`, `DELETE` or `CONNECT`.
    pub fn operation_label(&self) -> &'static str {
        self.operation_label
    }

    /// The management cluster the validating rules will look up, if any: only a new instance
    /// is checked against its cluster.
    pub fn cluster_to_consult(&self) -> Option<&str> {
        match (&self.subject, self.operation) {
            (
                Subject::Instance {
                    object: Some(object),
                    old,
                },
                Some(operation),
            ) if object.metadata.deletion_timestamp.is_none()
                && (operation == Operation::Create
                    || (operation == Operation::Update && old.is_none())) =>
            {
                Some(object.spec.management_cluster.as_str())
            }
            _ => None,
        }
    }

    /// The mutating webhook's reply; `clusters` gives the host-path root of default paths.
    pub fn mutate(self, clusters: &dyn ClusterDirectory) -> Reply {
        let decision = match (&self.subject, self.operation) {
            (Subject::Instance { object, old }, Some(operation)) => rules::mutate(
                &Request {
                    operation,
                    uid: &self.reply.uid,
                    object: object.as_deref(),
                    old_object: old.as_deref(),
                },
                clusters,
            ),
            (Subject::Undecodable(reason), _) => return self.reply.deny(reason),
            _ => Decision::default(),
        };
        respond(self.reply, decision)
    }

    /// The validating webhook's reply, with what is known of the clusters right now.
    pub fn validate(self, clusters: &dyn ClusterDirectory) -> Reply {
        let decision = match (&self.subject, self.operation) {
            (Subject::Instance { object, old }, Some(operation)) => rules::validate(
                &Request {
                    operation,
                    uid: &self.reply.uid,
                    object: object.as_deref(),
                    old_object: old.as_deref(),
                },
                clusters,
            ),
            (Subject::ClusterSecret(secret), Some(operation)) => {
                rules::validate_cluster_secret(operation, secret.as_deref())
            }
            (Subject::Undecodable(reason), _) => return self.reply.deny(reason),
            _ => Decision::default(),
        };
        respond(self.reply, decision)
    }
}

fn operation(operation: &WireOperation) -> (Option<Operation>, &'static str) {
    match operation {
        WireOperation::Create => (Some(Operation::Create), "CREATE"),
        WireOperation::Update => (Some(Operation::Update), "UPDATE"),
        WireOperation::Delete => (Some(Operation::Delete), "DELETE"),
        WireOperation::Connect => (None, "CONNECT"),
    }
}

fn is_instance(kind: &Kind<'_>) -> bool {
    kind.group == GROUP && kind.kind == "MulticloudInstance"
}

fn is_subresource(sub_resource: Option<&str>) -> bool {
    sub_resource.is_some_and(|s| !s.is_empty())
}

/// The instances of a review that did not decode in one pass: each decoded on its own, so the
/// denial names the one that is wrong.
fn instance_subject(body: &[u8]) -> Subject {
    let object = serde_json::from_slice::<Objects<LeanInstance, IgnoredAny>>(body)
        .map(|o| o.request.and_then(|r| r.object));
    let old = serde_json::from_slice::<Objects<IgnoredAny, LeanInstance>>(body)
        .map(|o| o.request.and_then(|r| r.old_object));
    let reason = |which: &str, error: &serde_json::Error| {
        format!(
            "{which} is not a valid MulticloudInstance: {}; fix the field it names",
            bounded(without_position(error))
        )
    };
    match (object, old) {
        (Ok(object), Ok(old)) => Subject::Instance {
            object: object.map(|o| Box::new(o.into())),
            old: old.map(|o| Box::new(o.into())),
        },
        (Err(error), _) => Subject::Undecodable(reason("the object", &error)),
        (_, Err(error)) => Subject::Undecodable(reason("the stored object", &error)),
    }
}

/// serde_json's message without the " at line L column C" it appends (a position in the whole
/// review, which means nothing to the user).
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

fn secret_subject(namespace: Option<&str>, body: &[u8]) -> Subject {
    // The webhook configuration's objectSelector sends only cluster Secrets; anything else
    // that arrives (a misconfiguration) is not ours to judge.
    if namespace != Some(SYSTEM_NAMESPACE) {
        return Subject::Other;
    }
    // The stored object is not read: the rule judges the Secret as it would be stored.
    let object = match serde_json::from_slice::<Objects<LeanSecret, IgnoredAny>>(body) {
        Ok(objects) => objects.request.and_then(|r| r.object),
        // serde quotes the offending value, and in a Secret that may be a credential.
        Err(_) => {
            return Subject::Undecodable(
                "the object is not a valid Secret: its data or metadata is malformed".to_owned(),
            );
        }
    };
    let Some(object) = object else {
        return Subject::ClusterSecret(None);
    };
    if object.label(CLUSTER_LABEL) != Some("true") {
        return Subject::Other;
    }
    Subject::ClusterSecret(Some(Box::new(object.into())))
}

/// Longest part of a decoding error quoted in a denial: serde quotes the offending value,
/// which may be as large as the request.
const MAX_QUOTED_ERROR: usize = 300;

/// `text` cut to [`MAX_QUOTED_ERROR`] characters.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_QUOTED_ERROR {
        return text;
    }
    let cut: String = text.chars().take(MAX_QUOTED_ERROR).collect();
    format!("{cut}… (cut)")
}

fn respond(reply: Reply, decision: Decision) -> Reply {
    let allowed = decision.allowed();
    let message = decision.message();
    let Decision {
        patch, warnings, ..
    } = decision;
    let mut reply = reply;
    reply.warnings = warnings;
    if !allowed {
        return reply.deny(message);
    }
    if patch.is_empty() {
        return reply;
    }
    match serde_json::to_vec(&patch) {
        Ok(patch) => reply.with_patch(&patch),
        Err(error) => reply.deny(format!("the webhook could not encode its patch: {error}")),
    }
}

#[cfg(test)]
#[path = "review_tests/mod.rs"]
mod tests;
