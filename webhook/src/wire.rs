//! The `admission.k8s.io/v1` AdmissionReview on the wire, reduced to what the webhook reads and
//! writes.
//!
//! kube's `AdmissionReview` decodes everything the API server sends: the user's groups and
//! extra attributes, the request options, every `managedFields` entry of both objects. None of
//! it matters to a decision, and decoding it was four fifths of the time a request took. Here
//! serde skips it while reading, and the reply is written directly (its patch base64-encoded,
//! as the API server's Go types expect `[]byte`).

use std::borrow::Cow;
use std::collections::BTreeMap;

use base64::Engine as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use kube::core::admission::Operation;
use multicloud_api::{MulticloudInstance, MulticloudInstanceSpec, MulticloudInstanceStatus};
use serde::{Deserialize, Serialize};

/// API version of the reviews the webhook is registered for (`admissionReviewVersions: [v1]`).
pub const API_VERSION: &str = "admission.k8s.io/v1";

/// An AdmissionReview as received; `T` is what the objects decode into. Short strings are
/// borrowed from the body rather than copied.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<'a, T> {
    /// Echoed in the reply.
    #[serde(borrow, default)]
    pub api_version: Option<Cow<'a, str>>,
    /// `AdmissionReview`, when given.
    #[serde(borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// The request; a review without one is not something to answer.
    #[serde(borrow)]
    pub request: Option<Request<'a, T>>,
}

/// The parts of an admission request a decision needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a, T> {
    /// Echoed in the reply.
    pub uid: String,
    /// The kind of the object being admitted.
    #[serde(borrow)]
    pub kind: Kind<'a>,
    /// Set when a subresource (e.g. `status`) is written.
    #[serde(borrow, default)]
    pub sub_resource: Option<Cow<'a, str>>,
    /// Namespace of a namespaced object.
    #[serde(borrow, default)]
    pub namespace: Option<Cow<'a, str>>,
    /// CREATE, UPDATE, DELETE or CONNECT.
    pub operation: Operation,
    /// The object as it would be stored (absent on DELETE).
    pub object: Option<T>,
    /// The object as it is stored (UPDATE, DELETE).
    pub old_object: Option<T>,
}

/// Group and kind of the admitted object (its version does not matter to the rules).
#[derive(Debug, Deserialize)]
pub struct Kind<'a> {
    /// API group, empty for the core group.
    #[serde(borrow)]
    pub group: Cow<'a, str>,
    /// Kind, e.g. `MulticloudInstance`.
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
}

/// A `MulticloudInstance` decoded without its `managedFields` (bookkeeping no rule reads).
#[derive(Debug, Deserialize)]
pub struct LeanInstance {
    #[serde(default)]
    metadata: LeanMeta,
    spec: MulticloudInstanceSpec,
    #[serde(default)]
    status: Option<MulticloudInstanceStatus>,
}

/// `ObjectMeta` minus `managedFields`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    annotations: Option<BTreeMap<String, String>>,
    creation_timestamp: Option<Time>,
    deletion_grace_period_seconds: Option<i64>,
    deletion_timestamp: Option<Time>,
    finalizers: Option<Vec<String>>,
    generate_name: Option<String>,
    generation: Option<i64>,
    labels: Option<BTreeMap<String, String>>,
    name: Option<String>,
    namespace: Option<String>,
    owner_references: Option<Vec<OwnerReference>>,
    resource_version: Option<String>,
    self_link: Option<String>,
    uid: Option<String>,
}

impl From<LeanInstance> for MulticloudInstance {
    fn from(lean: LeanInstance) -> Self {
        let m = lean.metadata;
        let metadata = ObjectMeta {
            annotations: m.annotations,
            creation_timestamp: m.creation_timestamp,
            deletion_grace_period_seconds: m.deletion_grace_period_seconds,
            deletion_timestamp: m.deletion_timestamp,
            finalizers: m.finalizers,
            generate_name: m.generate_name,
            generation: m.generation,
            labels: m.labels,
            managed_fields: None,
            name: m.name,
            namespace: m.namespace,
            owner_references: m.owner_references,
            resource_version: m.resource_version,
            self_link: m.self_link,
            uid: m.uid,
        };
        MulticloudInstance {
            metadata,
            spec: lean.spec,
            status: lean.status,
        }
    }
}

/// The webhook's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The request's uid: the API server rejects a reply without it.
    pub uid: String,
    /// Whether the request is admitted.
    pub allowed: bool,
    /// Why not, when denied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Denial>,
    /// Base64 of the JSON Patch, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// `JSONPatch` whenever there is a patch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// Shown by the client (kubectl prints them), allowed or not.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    api_version: Cow<'static, str>,
}

/// The `status` of a denial (a `metav1.Status`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Denial {
    /// Always `Failure`.
    pub status: &'static str,
    /// HTTP code the API server answers the client with.
    pub code: u16,
    /// Machine-readable reason.
    pub reason: &'static str,
    /// What is wrong and what to do, shown to the user verbatim.
    pub message: String,
}

/// Review versions whose reply has the shape this webhook sends (v1beta1's is the same as v1's).
pub const ANSWERED_VERSIONS: [&str; 2] = [API_VERSION, "admission.k8s.io/v1beta1"];

impl<T> Envelope<'_, T> {
    /// Why this is not a review the webhook can answer, if it is not.
    pub fn unanswerable(&self) -> Option<String> {
        if let Some(version) = self.api_version.as_deref()
            && !ANSWERED_VERSIONS.contains(&version)
        {
            return Some(format!(
                "apiVersion `{version}` is not served; send an {API_VERSION} AdmissionReview"
            ));
        }
        match self.kind.as_deref() {
            Some(kind) if kind != "AdmissionReview" => Some(format!(
                "kind `{kind}` is not an AdmissionReview; send an {API_VERSION} AdmissionReview"
            )),
            _ => None,
        }
    }
}

impl Reply {
    /// An admitting reply to the request with `uid`, in the review's `api_version`.
    pub fn admit(uid: String, api_version: Option<Cow<'_, str>>) -> Self {
        let api_version = match api_version {
            Some(version) if version != API_VERSION => Cow::Owned(version.into_owned()),
            _ => Cow::Borrowed(API_VERSION),
        };
        Self {
            uid,
            allowed: true,
            status: None,
            patch: None,
            patch_type: None,
            warnings: Vec::new(),
            api_version,
        }
    }

    /// This reply, denying with `message` (403 Forbidden).
    #[must_use]
    pub fn deny(mut self, message: impl Into<String>) -> Self {
        self.allowed = false;
        self.patch = None;
        self.patch_type = None;
        self.status = Some(Denial {
            status: "Failure",
            code: 403,
            reason: "Forbidden",
            message: message.into(),
        });
        self
    }

    /// This reply, carrying `patch` (JSON, as bytes).
    #[must_use]
    pub fn with_patch(mut self, patch: &[u8]) -> Self {
        self.patch = Some(base64::engine::general_purpose::STANDARD.encode(patch));
        self.patch_type = Some("JSONPatch");
        self
    }

    /// The denial message, if denied.
    pub fn message(&self) -> &str {
        self.status.as_ref().map_or("", |s| s.message.as_str())
    }

    /// The reply as an AdmissionReview body.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Review<'a> {
            api_version: &'a str,
            kind: &'static str,
            response: &'a Reply,
        }
        serde_json::to_vec(&Review {
            api_version: &self.api_version,
            kind: "AdmissionReview",
            response: self,
        })
    }
}

/// The objects of a review, decoded as `O` (the object) and `P` (the stored object); either can
/// be [`IgnoredAny`], which reads past it without keeping anything. Used after a first look at the
/// envelope, so that only what a rule reads is ever held.
#[derive(Debug, Deserialize)]
pub struct Objects<O, P> {
    /// The request's objects.
    pub request: Option<ObjectsOf<O, P>>,
}

/// See [`Objects`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectsOf<O, P> {
    /// The object as it would be stored.
    pub object: Option<O>,
    /// The object as it is stored.
    pub old_object: Option<P>,
}

/// A Secret reduced to what the cluster Secret rule reads: name, labels, deletion and the
/// kubeconfig. Other keys of `data` (and their values, whatever their size) are skipped unread;
/// the kubeconfig is base64-decoded straight from the body, without a copy of the encoded text.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeanSecret {
    #[serde(default)]
    metadata: SecretMeta,
    #[serde(default)]
    data: Option<KubeconfigBytes>,
    #[serde(default)]
    string_data: Option<KubeconfigText>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SecretMeta {
    name: Option<String>,
    namespace: Option<String>,
    labels: Option<BTreeMap<String, String>>,
    deletion_timestamp: Option<Time>,
}

impl LeanSecret {
    /// The value of `label`, if the Secret carries it.
    pub fn label(&self, label: &str) -> Option<&str> {
        self.metadata
            .labels
            .as_ref()?
            .get(label)
            .map(String::as_str)
    }
}

impl From<LeanSecret> for k8s_openapi::api::core::v1::Secret {
    fn from(lean: LeanSecret) -> Self {
        use k8s_openapi::ByteString;
        let key = multicloud_api::keys::KUBECONFIG_KEY.to_owned();
        Self {
            metadata: ObjectMeta {
                name: lean.metadata.name,
                namespace: lean.metadata.namespace,
                labels: lean.metadata.labels,
                deletion_timestamp: lean.metadata.deletion_timestamp,
                ..ObjectMeta::default()
            },
            data: lean.data.map(|d| {
                d.0.map(|b| (key.clone(), ByteString(b)))
                    .into_iter()
                    .collect()
            }),
            string_data: lean
                .string_data
                .map(|d| d.0.map(|s| (key.clone(), s)).into_iter().collect()),
            ..Self::default()
        }
    }
}

/// The `kubeconfig` entry of a Secret's `data`, decoded; every other entry skipped.
#[derive(Debug, Default)]
struct KubeconfigBytes(Option<Vec<u8>>);

/// The `kubeconfig` entry of a Secret's `stringData`; every other entry skipped.
#[derive(Debug, Default)]
struct KubeconfigText(Option<String>);

impl<'de> Deserialize<'de> for KubeconfigBytes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Encoded;
        impl<'de> serde::de::Visitor<'de> for Encoded {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("base64 text")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
                base64::engine::general_purpose::STANDARD
                    .decode(text)
                    .map_err(|_| E::custom("the value is not base64"))
            }
        }
        struct Base64(Vec<u8>);
        impl<'de> Deserialize<'de> for Base64 {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str(Encoded).map(Base64)
            }
        }
        only_kubeconfig::<D, Base64>(deserializer).map(|v| Self(v.map(|b| b.0)))
    }
}

impl<'de> Deserialize<'de> for KubeconfigText {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        only_kubeconfig::<D, String>(deserializer).map(Self)
    }
}

/// The value under `kubeconfig` in a map of strings, the other entries read past.
fn only_kubeconfig<'de, D, V>(deserializer: D) -> Result<Option<V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct OnlyKubeconfig<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for OnlyKubeconfig<V> {
        type Value = Option<V>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a map of strings")
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<V>, E> {
            Ok(None)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Option<V>, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if key == multicloud_api::keys::KUBECONFIG_KEY && found.is_none() {
                    found = Some(map.next_value::<V>()?);
                } else {
                    // Read for syntax, kept nowhere.
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }
    deserializer.deserialize_any(OnlyKubeconfig(std::marker::PhantomData))
}
