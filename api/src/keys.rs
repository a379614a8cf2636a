//! Well-known label, annotation and finalizer keys, and the fixed names the parts share.

/// API group of every multicloud resource.
pub const GROUP: &str = "multicloud.dev";

/// Label on an instance naming its virtual cluster (`k-<name>`), set by the mutating webhook.
pub const VIRTUAL_CLUSTER_LABEL: &str = "multicloud.dev/virtual-cluster";

/// Annotation on every instance: `"true"` when the instance is highly available, else `"false"`.
pub const HIGH_AVAILABILITY_ANNOTATION: &str = "multicloud.dev/high-availability";

/// Annotation explaining why an instance is not highly available.
pub const HIGH_AVAILABILITY_REASON_ANNOTATION: &str = "multicloud.dev/high-availability-reason";

/// Label marking a Secret in [`SYSTEM_NAMESPACE`] as a registered management cluster.
pub const CLUSTER_LABEL: &str = "multicloud.dev/cluster";

/// Label and annotation naming the instance an object was made for (namespace, Karmada CR).
pub const INSTANCE_LABEL: &str = "multicloud.dev/instance";

/// Annotation left on a retained Karmada CR naming the instance it came from.
pub const RETAINED_FROM_ANNOTATION: &str = "multicloud.dev/retained-from-instance";

/// Label carrying the `metadata.uid` of the instance an object was made for: the controller's
/// mark on what it creates (the namespace `k-<name>` on the global cluster and on a remote
/// management cluster, the Karmada CR, the copy of a management cluster's kubeconfig). The
/// controller changes and deletes only objects carrying its instance's uid here; a uid, unlike
/// the name, is never reused by a later instance of the same name.
pub const INSTANCE_UID_LABEL: &str = "multicloud.dev/instance-uid";

/// Annotation on an instance asking it to take over the Karmada CR retained from a former
/// instance of the same name (deletion policy `Retain`). Its value must be that CR's
/// `metadata.uid`, so it cannot be set by accident or carried over to another CR: without it the
/// retained CR, its namespace, members and admin kubeconfig are left alone.
pub const ADOPT_KARMADA_ANNOTATION: &str = "multicloud.dev/adopt-karmada";

/// Finalizer the controller holds on an instance until its deletion policy is carried out.
pub const FINALIZER: &str = "multicloud.dev/cleanup";

/// Field manager of every server-side apply the project makes.
pub const FIELD_MANAGER: &str = "multicloud";

/// Namespace of the webhook, the controller and the registered management cluster Secrets.
pub const SYSTEM_NAMESPACE: &str = "multicloud-system";

/// Key of the kubeconfig in a management cluster Secret (the key karmada-operator reads).
pub const KUBECONFIG_KEY: &str = "kubeconfig";

/// Name of the management cluster that is the global cluster itself.
pub const LOCAL_CLUSTER: &str = "local";

/// Prefix reserved for virtual clusters.
pub const VIRTUAL_CLUSTER_PREFIX: &str = "k-";

/// GA annotation marking a StorageClass as the cluster's default.
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// Beta annotation still honoured by Kubernetes for the default StorageClass.
pub const BETA_DEFAULT_CLASS_ANNOTATION: &str = "storageclass.beta.kubernetes.io/is-default-class";
