//! hostPath directories claimed twice: the check the webhook cannot make alone.
//!
//! The webhook refuses a hostPath that overlaps another live instance's directory on the same
//! management cluster, but it judges each request against its own watch of instances. Two
//! creates that race (or reach two webhook replicas at once) are each admitted before either
//! replica has seen the other, and karmada-operator would then mount one directory into two
//! etcds (`DirectoryOrCreate`, operator/pkg/util/patcher/pather.go). So before the Karmada CR
//! of a hostPath instance is created, the controller looks at every instance once more: the
//! directory belongs to whoever already has a Karmada CR, else to the earliest created; any
//! other instance waits with reason `HostPathConflict` and never gets a CR.

use kube::ResourceExt;
use kube::api::{Api, ListParams};
use kube::runtime::reflector::ObjectRef;
use multicloud_api::rules::host_path_overlap;
use multicloud_api::{MulticloudInstance, names};

use crate::context::Context;
use crate::error::Error;
use crate::status::Blocker;

/// The instance that holds a directory overlapping `instance`'s, when it is not `instance`.
///
/// `has_karmada` says whether an instance already has its Karmada CR: such an instance keeps
/// its directory whatever its age. Among instances without one, the earliest created wins, and
/// the uid breaks a tie (creation times have one-second resolution), so that two controllers
/// or two reconciles always pick the same holder.
pub fn holder<'a>(
    instance: &MulticloudInstance,
    others: &'a [MulticloudInstance],
    has_karmada: impl Fn(&MulticloudInstance) -> bool,
) -> Option<(&'a MulticloudInstance, &'static str)> {
    let path = instance.spec.etcd.storage.host_path()?;
    if has_karmada(instance) {
        return None;
    }
    let key = |i: &MulticloudInstance| {
        (
            i.metadata.creation_timestamp.as_ref().map(|t| t.0),
            i.metadata.uid.clone().unwrap_or_default(),
        )
    };
    others
        .iter()
        .filter(|other| other.metadata.uid != instance.metadata.uid)
        .filter(|other| other.spec.management_cluster == instance.spec.management_cluster)
        .filter_map(|other| {
            let relation = host_path_overlap(path, other.spec.etcd.storage.host_path()?)?;
            Some((other, relation))
        })
        .find(|(other, _)| has_karmada(other) || key(other) < key(instance))
}

/// Whether another instance holds a directory overlapping `instance`'s hostPath; the blocker
/// that keeps `instance` waiting if so.
pub async fn conflict(
    ctx: &Context,
    instance: &MulticloudInstance,
) -> Result<Option<Blocker>, Error> {
    if instance.spec.etcd.storage.host_path().is_none() {
        return Ok(None);
    }
    let api = Api::<MulticloudInstance>::all(ctx.client.clone());
    let others = api
        .list(&ListParams::default())
        .await
        .map_err(|e| Error::kube("list instances for their hostPath directories", e))?
        .items;
    let has_karmada = |other: &MulticloudInstance| {
        let name = other.name_any();
        let key = ObjectRef::new(&names::karmada(&name)).within(&names::namespace(&name));
        ctx.karmadas.get(&key).is_some()
    };
    Ok(holder(instance, &others, has_karmada)
        .map(|(other, relation)| blocked(instance, other, relation)))
}

fn blocked(instance: &MulticloudInstance, holder: &MulticloudInstance, relation: &str) -> Blocker {
    let path = instance.spec.etcd.storage.host_path().unwrap_or_default();
    let theirs = holder.spec.etcd.storage.host_path().unwrap_or_default();
    Blocker {
        reason: "HostPathConflict",
        message: format!(
            "hostPath \"{path}\" overlaps the etcd directory {theirs} of instance `{}` on \
             management cluster `{}` ({relation}), which was there first: the two etcds would \
             share their data, so no Karmada CR is made for this instance. Delete it and create \
             it again with another hostPath (or none, for a fresh directory)",
            holder.name_any(),
            instance.spec.management_cluster
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use serde_json::json;

    fn instance(name: &str, uid: &str, created: &str, path: &str) -> MulticloudInstance {
        let mut instance: MulticloudInstance = serde_json::from_value(json!({
            "apiVersion": "multicloud.dev/v1alpha1",
            "kind": "MulticloudInstance",
            "metadata": {"name": name, "uid": uid},
            "spec": {"etcd": {"storage": {"type": "HostPath", "hostPath": path}}}
        }))
        .expect("an instance");
        let at = format!("2026-12-02T01:00:{created}Z")
            .parse()
            .expect("a time");
        instance.metadata.creation_timestamp = Some(Time(at));
        instance
    }

    #[test]
    fn the_earlier_instance_holds_a_shared_directory() {
        let first = instance("a", "1", "00", "/var/lib/multicloud/x/etcd");
        let second = instance("b", "2", "01", "/var/lib/multicloud/x");
        let all = [first.clone(), second.clone()];
        let found = holder(&second, &all, |_| false).map(|(h, r)| (h.name_any(), r));
        assert_eq!(
            found,
            Some(("a".to_owned(), "a directory that contains it"))
        );
        assert!(holder(&first, &all, |_| false).is_none());
    }

    #[test]
    fn an_instance_with_a_karmada_cr_keeps_its_directory_whatever_its_age() {
        let older = instance("a", "1", "00", "/var/lib/multicloud/x");
        let running = instance("b", "2", "05", "/var/lib/multicloud/x");
        let all = [older.clone(), running.clone()];
        let has = |i: &MulticloudInstance| i.name_any() == "b";
        assert_eq!(
            holder(&older, &all, has).map(|(h, _)| h.name_any()),
            Some("b".into())
        );
        assert!(holder(&running, &all, has).is_none());
    }

    #[test]
    fn the_uid_breaks_a_tie_and_apart_or_elsewhere_is_no_conflict() {
        let one = instance("a", "1", "00", "/var/lib/multicloud/x");
        let two = instance("b", "2", "00", "/var/lib/multicloud/x");
        let all = [one.clone(), two.clone()];
        assert!(holder(&one, &all, |_| false).is_none());
        assert!(holder(&two, &all, |_| false).is_some());

        let apart = instance("c", "3", "09", "/var/lib/multicloud/xy");
        assert!(holder(&apart, &[one.clone(), apart.clone()], |_| false).is_none());
        let mut elsewhere = instance("d", "4", "09", "/var/lib/multicloud/x");
        elsewhere.spec.management_cluster = "edge".into();
        assert!(holder(&elsewhere, &[one, elsewhere.clone()], |_| false).is_none());
    }
}
