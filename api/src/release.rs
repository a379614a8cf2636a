//! karmada releases: the version an instance asks for, and the images that are not karmada's own
//! (etcd, kube-apiserver, kube-controller-manager) that each release was built to run with.
//!
//! karmada-operator runs etcd and the two Kubernetes components at tags compiled into the
//! operator (`EtcdDefaultVersion` and `KubeDefaultVersion` in `operator/pkg/constants/constants.go`),
//! not at the karmada version the CR asks for: an instance asking for v1.13.0 under a newer
//! operator gets that operator's etcd and kube-apiserver. multicloud pins them to what the
//! requested release's own operator would use (never older than what the oldest supported
//! operator runs), so an instance's images follow its version and never move because the
//! operator was upgraded.

use std::cmp::Ordering;
use std::fmt;

/// A karmada release version, `vMAJOR.MINOR.PATCH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Release {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version.
    pub patch: u32,
}

impl Release {
    /// Parses `vMAJOR.MINOR.PATCH` (no pre-release or build suffix, no leading zeros).
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix('v')?;
        let mut parts = rest.split('.');
        let mut number = || {
            let part = parts.next()?;
            let leading_zero = part.len() > 1 && part.starts_with('0');
            if part.is_empty() || leading_zero || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let release = Self {
            major: number()?,
            minor: number()?,
            patch: number()?,
        };
        parts.next().is_none().then_some(release)
    }

    /// The images this release was built with, when multicloud knows the release's minor.
    pub fn companion_images(self) -> Option<&'static CompanionImages> {
        COMPANION_IMAGES
            .iter()
            .find(|c| c.major == self.major && c.minor == self.minor)
    }

    /// The etcd and Kubernetes images an instance at this release runs: those it was built
    /// with, but never older than those of [`OLDEST_SUPPORTED_OPERATOR`]. Under a supported
    /// operator an instance of an older release already runs at least those (the operator's
    /// own defaults), and etcd and kube-apiserver must never be taken back: etcd 3.5 does not
    /// start on data written by 3.6.
    pub fn pinned_images(self) -> Option<&'static CompanionImages> {
        let known = self.companion_images()?;
        let floor = (
            OLDEST_SUPPORTED_OPERATOR.major,
            OLDEST_SUPPORTED_OPERATOR.minor,
        );
        if (self.major, self.minor) < floor {
            OLDEST_SUPPORTED_OPERATOR.companion_images()
        } else {
            Some(known)
        }
    }
}

impl Ord for Release {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl PartialOrd for Release {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The oldest karmada-operator release multicloud supports (docs/operator.md).
pub const OLDEST_SUPPORTED_OPERATOR: Release = Release {
    major: 1,
    minor: 18,
    patch: 0,
};

/// Tags of the images of a karmada minor release that are not karmada's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanionImages {
    /// Major version of the karmada release.
    pub major: u32,
    /// Minor version of the karmada release.
    pub minor: u32,
    /// Tag of `registry.k8s.io/etcd`.
    pub etcd: &'static str,
    /// Tag of `registry.k8s.io/kube-apiserver` and `registry.k8s.io/kube-controller-manager`.
    pub kubernetes: &'static str,
}

/// `EtcdDefaultVersion` and `KubeDefaultVersion` of `operator/pkg/constants/constants.go` at
/// every patch release of each minor (they never changed within a minor, v1.13.0 to v1.18.2).
/// A minor missing here is not admitted: multicloud would not know which etcd and Kubernetes
/// images it runs with.
pub const COMPANION_IMAGES: &[CompanionImages] = &[
    companion(13, "3.5.16-0", "v1.31.3"),
    companion(14, "3.5.16-0", "v1.31.3"),
    companion(15, "3.5.16-0", "v1.31.3"),
    companion(16, "3.6.0-0", "v1.34.1"),
    companion(17, "3.6.6-0", "v1.35.2"),
    companion(18, "3.6.6-0", "v1.35.2"),
];

const fn companion(minor: u32, etcd: &'static str, kubernetes: &'static str) -> CompanionImages {
    CompanionImages {
        major: 1,
        minor,
        etcd,
        kubernetes,
    }
}

/// The known minor releases, for messages: `v1.13, v1.14, ...`.
pub fn known_minors() -> String {
    COMPANION_IMAGES
        .iter()
        .map(|c| format!("v{}.{}", c.major, c.minor))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::DEFAULT_KARMADA_VERSION;

    #[test]
    fn parses_release_versions_only() {
        assert_eq!(
            Release::parse("v1.18.2"),
            Some(Release {
                major: 1,
                minor: 18,
                patch: 2
            })
        );
        for bad in [
            "",
            "v",
            "1.18.2",
            "v1.18",
            "v1.18.2.1",
            "v1.18.2-rc.0",
            "v1.018.2",
            "v1.18.x",
            "latest",
            "v1.18.2 ",
            "v1..2",
        ] {
            assert_eq!(Release::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn releases_order_numerically() {
        let parse = |t| Release::parse(t).expect("release");
        assert!(parse("v1.9.0") < parse("v1.10.0"));
        assert!(parse("v1.18.2") > parse("v1.18.1"));
        assert!(parse("v2.0.0") > parse("v1.99.99"));
    }

    #[test]
    fn the_default_release_has_companion_images() {
        let default = Release::parse(DEFAULT_KARMADA_VERSION).expect("default parses");
        let images = default.companion_images().expect("known");
        assert_eq!((images.etcd, images.kubernetes), ("3.6.6-0", "v1.35.2"));
    }

    #[test]
    fn an_older_release_is_never_pinned_below_the_oldest_supported_operator() {
        let pinned = |v| {
            Release::parse(v)
                .and_then(Release::pinned_images)
                .map(|c| (c.etcd, c.kubernetes))
        };
        assert_eq!(pinned("v1.13.0"), Some(("3.6.6-0", "v1.35.2")));
        assert_eq!(pinned("v1.16.8"), Some(("3.6.6-0", "v1.35.2")));
        assert_eq!(pinned("v1.18.2"), Some(("3.6.6-0", "v1.35.2")));
        assert_eq!(pinned("v1.19.0"), None);
    }

    #[test]
    fn unknown_minors_have_no_companion_images() {
        assert!(
            Release::parse("v1.19.0")
                .and_then(Release::companion_images)
                .is_none()
        );
        assert!(
            Release::parse("v1.12.5")
                .and_then(Release::companion_images)
                .is_none()
        );
    }
}
