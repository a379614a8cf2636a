//! Names of everything derived from an instance, in one place: the webhook, the controller and
//! the plugin all find the same objects by these functions.
//!
//! The karmada-operator names follow its own convention: for a `Karmada` CR named `N`, the prefix
//! is `N-karmada`, or `N` itself when `N` already contains "karmada".

use crate::keys::VIRTUAL_CLUSTER_PREFIX;

/// Longest DNS-1123 label.
pub const MAX_LABEL_LENGTH: usize = 63;

/// Longest instance name: `k-<name>` must still be a DNS-1123 label.
pub const MAX_INSTANCE_NAME_LENGTH: usize = MAX_LABEL_LENGTH - VIRTUAL_CLUSTER_PREFIX.len();

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

/// Default etcd data directory on the node for a hostPath-backed instance.
pub fn default_host_path(virtual_cluster: &str) -> String {
    format!("/var/lib/multicloud/{virtual_cluster}/etcd")
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
            format!("{karmada}-karmada")
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
    }
}
