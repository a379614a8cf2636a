//! Names of everything derived from an instance, in one place: the webhook, the controller and
//! the plugin all find the same objects by these functions, and the longest admissible instance
//! name is computed here from the same list.
//!
//! karmada-operator names the objects of a `Karmada` CR called `N` with `generateResourceName`
//! (operator/pkg/util/naming.go): `N-karmada-<suffix>`, or `N-<suffix>` when `N` already
//! contains "karmada". [`OPERATOR_OBJECTS`] lists every name it makes that way, with the file
//! that makes it.

use crate::keys::VIRTUAL_CLUSTER_PREFIX;

/// Longest DNS label (DNS-1123 and DNS-1035 alike): namespaces, Services, label values.
pub const MAX_LABEL_LENGTH: usize = 63;

/// Longest DNS-1123 subdomain: Deployments, Secrets, PVCs, PodDisruptionBudgets.
pub const MAX_SUBDOMAIN_LENGTH: usize = 253;

/// Longest StatefulSet name whose pods can be created: the StatefulSet controller labels each pod
/// `controller-revision-hash: <statefulset>-<hash>`, the hash has up to 10 characters and a label
/// value at most 63, so a longer name leaves the pods failing to create (kubernetes/kubernetes
/// issue 64023; seen with karmada-operator: FailedCreate on its etcd StatefulSet).
pub const MAX_STATEFULSET_NAME_LENGTH: usize = MAX_LABEL_LENGTH - "-".len() - 10;

/// What the operator adds to `N` when `N` does not contain "karmada".
const KARMADA_INFIX: &str = "-karmada";

/// The kind of a derived object, and what that kind allows of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A Service: its name is a DNS-1035 label (a letter first, at most 63 characters).
    Service,
    /// A StatefulSet: at most [`MAX_STATEFULSET_NAME_LENGTH`] characters.
    StatefulSet,
    /// A StatefulSet's pod: its name is its hostname, a DNS label.
    Pod,
    /// A namespace: a DNS-1123 label.
    Namespace,
    /// A Deployment: a DNS-1123 subdomain.
    Deployment,
    /// A Secret: a DNS-1123 subdomain.
    Secret,
    /// A PodDisruptionBudget: a DNS-1123 subdomain.
    PodDisruptionBudget,
    /// A PersistentVolumeClaim: a DNS-1123 subdomain.
    PersistentVolumeClaim,
    /// The `Karmada` custom resource: a DNS-1123 subdomain.
    Karmada,
}

impl NameKind {
    /// Longest name of this kind.
    pub const fn max_length(self) -> usize {
        match self {
            Self::Service | Self::Pod | Self::Namespace => MAX_LABEL_LENGTH,
            Self::StatefulSet => MAX_STATEFULSET_NAME_LENGTH,
            Self::Deployment
            | Self::Secret
            | Self::PodDisruptionBudget
            | Self::PersistentVolumeClaim
            | Self::Karmada => MAX_SUBDOMAIN_LENGTH,
        }
    }

    /// Why a name of this kind is limited, for messages.
    pub const fn limit_reason(self) -> &'static str {
        match self {
            Self::Service => "a Service name is a DNS-1035 label of at most 63 characters",
            Self::StatefulSet => {
                "a StatefulSet name over 52 characters makes its pods' controller-revision-hash \
                 label longer than 63, and the pods are never created"
            }
            Self::Pod => "a pod's name is its hostname, a DNS label of at most 63 characters",
            Self::Namespace => "a namespace name is a DNS-1123 label of at most 63 characters",
            Self::Deployment
            | Self::Secret
            | Self::PodDisruptionBudget
            | Self::PersistentVolumeClaim
            | Self::Karmada => "an object name is a DNS-1123 subdomain of at most 253 characters",
        }
    }
}

impl std::fmt::Display for NameKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Service => "Service",
            Self::StatefulSet => "StatefulSet",
            Self::Pod => "Pod",
            Self::Namespace => "Namespace",
            Self::Deployment => "Deployment",
            Self::Secret => "Secret",
            Self::PodDisruptionBudget => "PodDisruptionBudget",
            Self::PersistentVolumeClaim => "PersistentVolumeClaim",
            Self::Karmada => "Karmada",
        })
    }
}

/// One object karmada-operator names `generateResourceName(N, suffix)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorObject {
    /// What kind of object it is.
    pub kind: NameKind,
    /// What follows the prefix and `-`.
    pub suffix: &'static str,
}

const fn object(kind: NameKind, suffix: &'static str) -> OperatorObject {
    OperatorObject { kind, suffix }
}

/// Every object karmada-operator names after the Karmada CR with `generateResourceName`
/// (operator/pkg/util/naming.go), read from its callers at karmada HEAD f8fdd02.
pub const OPERATOR_OBJECTS: &[OperatorObject] = &[
    // operator/pkg/controlplane/etcd/etcd.go: the StatefulSet, its headless peer Service, the
    // client Service and a PodDisruptionBudget, all `KarmadaEtcdName`/`KarmadaEtcdClientName`.
    object(NameKind::StatefulSet, "etcd"),
    object(NameKind::Service, "etcd"),
    object(NameKind::Service, "etcd-client"),
    object(NameKind::PodDisruptionBudget, "etcd"),
    // operator/pkg/controlplane/apiserver/apiserver.go: Deployment, Service and PDB of the API
    // server and of the aggregated API server; karmadaresource/apiservice/apiservice.go makes
    // the same Service names again inside the Karmada API.
    object(NameKind::Deployment, "apiserver"),
    object(NameKind::Service, "apiserver"),
    object(NameKind::PodDisruptionBudget, "apiserver"),
    object(NameKind::Deployment, "aggregated-apiserver"),
    object(NameKind::Service, "aggregated-apiserver"),
    object(NameKind::PodDisruptionBudget, "aggregated-apiserver"),
    // operator/pkg/controlplane/controlplane.go: Deployments and PDBs, no Services.
    object(NameKind::Deployment, "kube-controller-manager"),
    object(NameKind::PodDisruptionBudget, "kube-controller-manager"),
    object(NameKind::Deployment, "controller-manager"),
    object(NameKind::PodDisruptionBudget, "controller-manager"),
    object(NameKind::Deployment, "scheduler"),
    object(NameKind::PodDisruptionBudget, "scheduler"),
    object(NameKind::Deployment, "descheduler"),
    object(NameKind::PodDisruptionBudget, "descheduler"),
    // operator/pkg/controlplane/webhook/webhook.go, metricsadapter/metricsadapter.go,
    // search/search.go: Deployment, Service and PDB each.
    object(NameKind::Deployment, "webhook"),
    object(NameKind::Service, "webhook"),
    object(NameKind::PodDisruptionBudget, "webhook"),
    object(NameKind::Deployment, "metrics-adapter"),
    object(NameKind::Service, "metrics-adapter"),
    object(NameKind::PodDisruptionBudget, "metrics-adapter"),
    object(NameKind::Deployment, "search"),
    object(NameKind::Service, "search"),
    object(NameKind::PodDisruptionBudget, "search"),
    // operator/pkg/util/naming.go: certificate and kubeconfig Secrets; the components'
    // kubeconfigs are `ComponentKarmadaConfigSecretName(<component name>)`, `<name>-config`.
    object(NameKind::Secret, "admin-config"),
    object(NameKind::Secret, "cert"),
    object(NameKind::Secret, "etcd-cert"),
    object(NameKind::Secret, "webhook-cert"),
    object(NameKind::Secret, "aggregated-apiserver-config"),
    object(NameKind::Secret, "kube-controller-manager-config"),
    object(NameKind::Secret, "controller-manager-config"),
    object(NameKind::Secret, "scheduler-config"),
    object(NameKind::Secret, "descheduler-config"),
    object(NameKind::Secret, "webhook-config"),
    object(NameKind::Secret, "metrics-adapter-config"),
    object(NameKind::Secret, "search-config"),
];

/// The shapes of derived names other than `<P>-<suffix>`, as `(kind, before, after)` around the
/// operator prefix `P` (or, for our own objects, around the instance name).
///
/// - etcd pods `<P>-etcd-<i>` and their PVCs `etcd-data-<P>-etcd-<i>`: the StatefulSet's
///   `volumeClaimTemplates` entry is `etcd-data` (operator/pkg/util/patcher/pather.go), and the
///   StatefulSet controller names a claim `<template>-<pod>`. The ordinal is the highest of the
///   largest allowed member count, 7 (`instance::ALLOWED_ETCD_REPLICAS`).
const OPERATOR_WRAPPED: &[(NameKind, &str, &str)] = &[
    (NameKind::Pod, "", "-etcd-6"),
    (NameKind::PersistentVolumeClaim, "etcd-data-", "-etcd-6"),
];

/// Characters the operator's prefix adds to an instance name of its own.
const fn prefix_overhead(contains_karmada: bool) -> usize {
    if contains_karmada {
        0
    } else {
        KARMADA_INFIX.len()
    }
}

/// Longest instance name such that every derived name fits its kind: computed from
/// [`OPERATOR_OBJECTS`], the etcd pods and PVCs, and our own namespace `k-<name>`.
/// `contains_karmada`: whether the name contains "karmada" (the operator then adds nothing).
pub const fn longest_instance_name(contains_karmada: bool) -> usize {
    let overhead = prefix_overhead(contains_karmada);
    // Our namespace (the virtual cluster) `k-<name>`.
    let mut longest = MAX_LABEL_LENGTH - VIRTUAL_CLUSTER_PREFIX.len();
    let mut i = 0;
    while i < OPERATOR_OBJECTS.len() {
        let o = OPERATOR_OBJECTS[i];
        let fits = o.kind.max_length() - overhead - 1 - o.suffix.len();
        if fits < longest {
            longest = fits;
        }
        i += 1;
    }
    let mut i = 0;
    while i < OPERATOR_WRAPPED.len() {
        let (kind, before, after) = OPERATOR_WRAPPED[i];
        let fits = kind.max_length() - overhead - before.len() - after.len();
        if fits < longest {
            longest = fits;
        }
        i += 1;
    }
    longest
}

/// Longest instance name without "karmada" in it: 34, bound by the Service
/// `<name>-karmada-aggregated-apiserver`.
pub const MAX_INSTANCE_NAME_LENGTH: usize = longest_instance_name(false);

/// Longest instance name that contains "karmada": 42, bound by the Service
/// `<name>-aggregated-apiserver`.
pub const MAX_KARMADA_INSTANCE_NAME_LENGTH: usize = longest_instance_name(true);

/// One name derived from an instance name, with the limit its kind sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedName {
    /// What kind of object carries it.
    pub kind: NameKind,
    /// The name.
    pub name: String,
}

impl DerivedName {
    /// Whether the name fits its kind's length limit.
    pub fn fits(&self) -> bool {
        self.name.len() <= self.kind.max_length()
    }
}

/// Every name derived from instance `instance`: ours (namespace, Karmada CR) and the
/// operator's, the longest etcd ordinal included.
pub fn derived_names(instance: &str) -> Vec<DerivedName> {
    let objects = KarmadaObjects::for_instance(instance);
    let prefix = objects.prefix();
    let mut names = vec![
        DerivedName {
            kind: NameKind::Namespace,
            name: namespace(instance),
        },
        DerivedName {
            kind: NameKind::Karmada,
            name: karmada(instance),
        },
    ];
    names.extend(OPERATOR_OBJECTS.iter().map(|o| DerivedName {
        kind: o.kind,
        name: format!("{prefix}-{}", o.suffix),
    }));
    names.extend(
        OPERATOR_WRAPPED
            .iter()
            .map(|(kind, before, after)| DerivedName {
                kind: *kind,
                name: format!("{before}{prefix}{after}"),
            }),
    );
    names
}

/// The longest admissible length for `instance`, by whether it contains "karmada".
pub fn max_length_of(instance: &str) -> usize {
    if instance.contains("karmada") {
        MAX_KARMADA_INSTANCE_NAME_LENGTH
    } else {
        MAX_INSTANCE_NAME_LENGTH
    }
}

/// Whether `instance` is an admissible instance name: a DNS-1035 label short enough for every
/// derived name.
pub fn is_instance_name(instance: &str) -> bool {
    is_dns1035_label(instance) && instance.len() <= max_length_of(instance)
}

/// The virtual cluster of instance `name`: `k-<name>`.
pub fn virtual_cluster(instance: &str) -> String {
    format!("{VIRTUAL_CLUSTER_PREFIX}{instance}")
}

/// Namespace in the global cluster holding the instance's Karmada CR (the virtual cluster name).
pub fn namespace(instance: &str) -> String {
    virtual_cluster(instance)
}

/// Name of the instance's `Karmada` CR (the instance name).
pub fn karmada(instance: &str) -> String {
    instance.to_owned()
}

/// The directory every hostPath must lie under unless the webhook is told otherwise
/// (`--host-path-root`).
pub const DEFAULT_HOST_PATH_ROOT: &str = "/var/lib/multicloud";

/// Default etcd data directory of a hostPath-backed instance:
/// `<root>/<virtual cluster>-<token>/etcd`, written into the instance by the mutating webhook.
///
/// `token` is fresh for every creation ([`creation_token`]), so an instance created again under
/// the same name never finds its predecessor's etcd data: neither karmada-operator's teardown
/// (operator/pkg/tasks/deinit/) nor ours removes a directory from a node. Without a token
/// (`""`) the path is `<root>/<virtual cluster>/etcd`.
pub fn default_host_path(root: &str, virtual_cluster: &str, token: &str) -> String {
    let root = root.trim_end_matches('/');
    if token.is_empty() {
        format!("{root}/{virtual_cluster}/etcd")
    } else {
        format!("{root}/{virtual_cluster}-{token}/etcd")
    }
}

/// Length of a [`creation_token`].
pub const CREATION_TOKEN_LENGTH: usize = 8;

/// The token that makes a default host path fresh: the first 8 hex digits of the admission
/// request's uid (a UUID the API server makes for every request), lower-cased.
///
/// The request uid is used because the object's own uid is still empty when the mutating
/// webhook sees a CREATE (testdata/admission/*/01-mutate-create.json). Non-hex characters are
/// skipped, so the token is always safe in a path; it is shorter (or empty) only for a uid
/// without 8 hex digits, which no API server sends.
pub fn creation_token(uid: &str) -> String {
    uid.chars()
        .filter(char::is_ascii_hexdigit)
        .take(CREATION_TOKEN_LENGTH)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Name of the copy of a remote management cluster's kubeconfig Secret in the instance namespace,
/// referenced by the Karmada CR's `spec.hostCluster.secretRef`.
pub const HOST_CLUSTER_SECRET: &str = "management-cluster-kubeconfig";

/// Names karmada-operator gives the objects of one Karmada instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KarmadaObjects {
    prefix: String,
    karmada: String,
}

impl KarmadaObjects {
    /// Names for the Karmada CR called `karmada`.
    pub fn new(karmada: &str) -> Self {
        let prefix = if karmada.contains("karmada") {
            karmada.to_owned()
        } else {
            format!("{karmada}{KARMADA_INFIX}")
        };
        Self {
            prefix,
            karmada: karmada.to_owned(),
        }
    }

    /// Names for the Karmada CR of instance `instance`.
    pub fn for_instance(instance: &str) -> Self {
        Self::new(&karmada(instance))
    }

    /// The operator's name prefix (`N-karmada`, or `N`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// etcd StatefulSet (and its headless Service).
    pub fn etcd_statefulset(&self) -> String {
        format!("{}-etcd", self.prefix)
    }

    /// PVC of etcd member `ordinal`.
    pub fn etcd_pvc(&self, ordinal: u32) -> String {
        format!("etcd-data-{}-{ordinal}", self.etcd_statefulset())
    }

    /// Whether `pvc` is the claim of one of the etcd members (`etcd-data-<P>-etcd-<ordinal>`,
    /// the name the StatefulSet controller gives the claims of its `volumeClaimTemplates`).
    pub fn is_etcd_pvc(&self, pvc: &str) -> bool {
        pvc.strip_prefix(&format!("etcd-data-{}-", self.etcd_statefulset()))
            .is_some_and(|ordinal| {
                !ordinal.is_empty() && ordinal.bytes().all(|b| b.is_ascii_digit())
            })
    }

    /// karmada apiserver Deployment (and its Service).
    pub fn apiserver_deployment(&self) -> String {
        format!("{}-apiserver", self.prefix)
    }

    /// Secret holding the admin kubeconfig under [`Self::ADMIN_KUBECONFIG_KEY`].
    pub fn admin_kubeconfig_secret(&self) -> String {
        format!("{}-admin-config", self.prefix)
    }

    /// Key of the admin kubeconfig in [`Self::admin_kubeconfig_secret`].
    pub const ADMIN_KUBECONFIG_KEY: &'static str = "karmada.config";

    /// Label selector matching every workload the operator made for this Karmada CR.
    pub fn selector(&self) -> String {
        format!("app.kubernetes.io/instance={}", self.karmada)
    }
}

/// Whether `name` is a DNS-1123 label: lower-case alphanumerics and `-`, starting and ending
/// with an alphanumeric, at most 63 characters.
pub fn is_dns1123_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= MAX_LABEL_LENGTH
        && bytes.iter().all(|b| alnum(b) || *b == b'-')
        && bytes.first().is_some_and(alnum)
        && bytes.last().is_some_and(alnum)
}

/// Whether `name` is a DNS-1035 label, the rule for Service names: a DNS-1123 label that
/// starts with a letter.
pub fn is_dns1035_label(name: &str) -> bool {
    is_dns1123_label(name) && name.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_cluster_and_namespace_are_k_prefixed() {
        assert_eq!(virtual_cluster("demo"), "k-demo");
        assert_eq!(namespace("demo"), "k-demo");
    }

    #[test]
    fn operator_prefix_appends_karmada_unless_present() {
        let demo = KarmadaObjects::for_instance("demo");
        assert_eq!(demo.etcd_statefulset(), "demo-karmada-etcd");
        assert_eq!(demo.etcd_pvc(2), "etcd-data-demo-karmada-etcd-2");
        assert_eq!(demo.apiserver_deployment(), "demo-karmada-apiserver");
        assert_eq!(demo.admin_kubeconfig_secret(), "demo-karmada-admin-config");
        assert_eq!(demo.selector(), "app.kubernetes.io/instance=demo");
        assert!(demo.is_etcd_pvc("etcd-data-demo-karmada-etcd-0"));
        assert!(demo.is_etcd_pvc("etcd-data-demo-karmada-etcd-12"));
        assert!(!demo.is_etcd_pvc("etcd-data-demo-karmada-etcd-"));
        assert!(!demo.is_etcd_pvc("etcd-data-demo-karmada-etcd-0x"));
        assert!(!demo.is_etcd_pvc("etcd-data-demo2-karmada-etcd-0"));
        assert!(!demo.is_etcd_pvc("data"));
        let named = KarmadaObjects::new("my-karmada");
        assert_eq!(named.etcd_statefulset(), "my-karmada-etcd");
    }

    #[test]
    fn dns1123_labels_are_recognised() {
        assert!(is_dns1123_label("a"));
        assert!(is_dns1123_label("demo-1"));
        assert!(!is_dns1123_label(""));
        assert!(!is_dns1123_label("-demo"));
        assert!(!is_dns1123_label("demo-"));
        assert!(!is_dns1123_label("Demo"));
        assert!(!is_dns1123_label("de.mo"));
        assert!(is_dns1123_label(&"a".repeat(63)));
        assert!(!is_dns1123_label(&"a".repeat(64)));
        assert!(is_dns1123_label("1abc") && !is_dns1035_label("1abc"));
        assert!(is_dns1035_label("abc1"));
    }

    #[test]
    fn the_longest_names_are_bound_by_the_aggregated_apiserver_service() {
        // `<name>-karmada-aggregated-apiserver` and `<name>-aggregated-apiserver`, 63 each.
        assert_eq!(MAX_INSTANCE_NAME_LENGTH, 34);
        assert_eq!(MAX_KARMADA_INSTANCE_NAME_LENGTH, 42);
        assert_eq!(MAX_STATEFULSET_NAME_LENGTH, 52);
        let longest = "a".repeat(MAX_INSTANCE_NAME_LENGTH);
        let service = format!("{longest}-karmada-aggregated-apiserver");
        assert_eq!(service.len(), 63);
        assert!(derived_names(&longest).iter().any(|d| d.name == service));
    }

    #[test]
    fn the_default_host_path_carries_the_creation_token() {
        let token = creation_token("fdc6b0be-1f34-41aa-866c-8c30018f437a");
        assert_eq!(token, "fdc6b0be");
        assert_eq!(creation_token("A-B"), "ab");
        assert_eq!(
            default_host_path(DEFAULT_HOST_PATH_ROOT, "k-lab", &token),
            "/var/lib/multicloud/k-lab-fdc6b0be/etcd"
        );
        assert_eq!(
            default_host_path("/srv/mc/", "k-lab", ""),
            "/srv/mc/k-lab/etcd"
        );
    }
}
