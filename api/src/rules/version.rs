//! The karmada version: a release multicloud knows the images of, and upgrades only.
//!
//! karmada-operator applies whatever tags the CR names (`operator/pkg/controlplane/*` patch
//! the image of each workload) and has no downgrade path: a control plane's etcd data and CRDs,
//! once written by a newer release, are not guaranteed to be readable by an older one.

use super::Violation;
use crate::instance::{DEFAULT_KARMADA_VERSION, MulticloudInstanceSpec};
use crate::release::{Release, known_minors};

const FIELD: &str = "spec.karmada.version";

/// Violations of the version rules. `old` is the stored spec on an update: an unchanged version
/// is never re-judged, so an instance admitted under older rules can still be edited.
pub(super) fn check(
    spec: &MulticloudInstanceSpec,
    old: Option<&MulticloudInstanceSpec>,
) -> Vec<Violation> {
    let version = spec.karmada.version.as_str();
    let before = old.map(|o| o.karmada.version.as_str());
    if before == Some(version) {
        return Vec::new();
    }
    let Some(release) = Release::parse(version) else {
        return vec![Violation::new(
            FIELD,
            format!(
                "\"{version}\" is not a karmada release; use vMAJOR.MINOR.PATCH, e.g. \
                 {DEFAULT_KARMADA_VERSION}"
            ),
        )];
    };
    if release.companion_images().is_none() {
        return vec![Violation::new(
            FIELD,
            format!(
                "karmada {release} is not a release multicloud can install: it pins etcd and \
                 kube-apiserver to the tags each karmada release was built with, and knows those \
                 of {}; use one of them (latest stable {DEFAULT_KARMADA_VERSION})",
                known_minors()
            ),
        )];
    }
    match before.and_then(Release::parse) {
        Some(previous) if release < previous => vec![Violation::new(
            FIELD,
            format!(
                "cannot go down from {previous} to {release}: karmada-operator only upgrades, and \
                 etcd data and CRDs written by {previous} may not be readable by {release}; keep \
                 {previous} (or a later release), or create a new instance at {release}"
            ),
        )],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use crate::clusters::ClusterCatalog;
    use crate::instance::MulticloudInstance;
    use crate::rules::{Operation, Request, validate};
    use crate::testing::{instance, local_with_default_class};

    fn at(version: &str) -> MulticloudInstance {
        let mut mci = instance("demo");
        mci.spec.virtual_cluster_name = Some("k-demo".into());
        mci.spec.karmada.version = version.into();
        mci
    }

    fn create(version: &str) -> Vec<String> {
        let mci = at(version);
        let request = Request {
            uid: crate::rules::OFFLINE_UID,
            operation: Operation::Create,
            object: Some(&mci),
            old_object: None,
        };
        messages(&validate(&request, &local_with_default_class()))
    }

    fn change(from: &str, to: &str) -> Vec<String> {
        let (old, new) = (at(from), at(to));
        let request = Request {
            uid: crate::rules::OFFLINE_UID,
            operation: Operation::Update,
            object: Some(&new),
            old_object: Some(&old),
        };
        messages(&validate(&request, &ClusterCatalog::default()))
    }

    fn messages(decision: &crate::rules::Decision) -> Vec<String> {
        decision
            .violations
            .iter()
            .filter(|v| v.field == "spec.karmada.version")
            .map(|v| v.message.clone())
            .collect()
    }

    #[test]
    fn admits_known_releases() {
        for version in ["v1.18.2", "v1.18.0", "v1.13.0", "v1.17.5"] {
            assert!(
                create(version).is_empty(),
                "{version}: {:?}",
                create(version)
            );
        }
    }

    #[test]
    fn denies_what_is_not_a_release_with_an_example() {
        for version in ["latest", "1.18.2", "v1.18", "v1.18.2-rc.0", ""] {
            let denied = create(version);
            assert_eq!(denied.len(), 1, "{version}");
            assert!(
                denied[0].contains("use vMAJOR.MINOR.PATCH, e.g. v1.18.2"),
                "{denied:?}"
            );
        }
    }

    #[test]
    fn denies_a_release_whose_images_are_unknown_and_lists_the_known_ones() {
        let denied = create("v1.19.0");
        assert_eq!(denied.len(), 1);
        assert!(denied[0].contains("karmada v1.19.0 is not a release multicloud can install"));
        assert!(
            denied[0].contains("v1.13, v1.14, v1.15, v1.16, v1.17, v1.18"),
            "{denied:?}"
        );
        assert_eq!(create("v1.12.0").len(), 1);
    }

    #[test]
    fn denies_a_downgrade_and_says_what_to_do() {
        let denied = change("v1.18.2", "v1.17.5");
        assert_eq!(denied.len(), 1);
        assert!(
            denied[0].starts_with("cannot go down from v1.18.2 to v1.17.5"),
            "{denied:?}"
        );
        assert!(denied[0].contains("create a new instance at v1.17.5"));
        assert_eq!(
            change("v1.18.2", "v1.18.1").len(),
            1,
            "patch downgrades too"
        );
    }

    #[test]
    fn admits_upgrades_and_leaves_an_unchanged_version_alone() {
        assert!(change("v1.17.5", "v1.18.2").is_empty());
        assert!(change("v1.18.0", "v1.18.2").is_empty());
        // Stored before these rules: editing anything else must stay possible.
        assert!(change("v1.12.0", "v1.12.0").is_empty());
        assert!(change("latest", "latest").is_empty());
        // From an unparsable stored value, any known release is an upgrade.
        assert!(change("latest", "v1.18.2").is_empty());
    }
}
