//! hostPath: etcd's directory on the node is a directory of its own, under one root.
//!
//! karmada-operator mounts the path as given with `DirectoryOrCreate`
//! (operator/pkg/util/patcher/pather.go), as root, on whichever node the pod lands. So the path
//! must be written in its one normal form (no `//`, `.`, `..` or trailing `/`, which would let
//! two spellings name one directory), lie strictly under the webhook's host-path root (never
//! `/`, `/etc/kubernetes` or the root that holds every instance's directory), and neither equal,
//! contain nor lie inside the directory of another instance on the same management cluster.
//! Checked on CREATE; afterwards the path is immutable.

use super::Violation;
use crate::clusters::ClusterDirectory;
use crate::instance::{MulticloudInstance, StorageType};
use crate::names;

const FIELD: &str = "spec.etcd.storage.hostPath";

/// Violations of the hostPath rules by a new instance.
pub(super) fn check(
    instance: &MulticloudInstance,
    clusters: &dyn ClusterDirectory,
) -> Vec<Violation> {
    let storage = &instance.spec.etcd.storage;
    if storage.type_ != StorageType::HostPath {
        return Vec::new();
    }
    let root = clusters.host_path_root();
    let Some(path) = storage.host_path() else {
        // The mutating webhook fills it in for every admissible name; a bad name has its own
        // violation already.
        if !names::is_instance_name(instance.name()) {
            return Vec::new();
        }
        return vec![Violation::new(
            FIELD,
            format!(
                "is not set; the mutating webhook sets a fresh directory under {root}: check \
                 that multicloud-webhook's MutatingWebhookConfiguration is installed"
            ),
        )];
    };
    let suggestion = format!(
        "use a directory of its own under {root}, such as {root}/{}/etcd, or leave hostPath \
         empty for a fresh one",
        instance.expected_virtual_cluster()
    );
    if let Err(problem) = check_form(path) {
        return vec![Violation::new(FIELD, problem)];
    }
    let (parts, root_parts) = (components(path), components(root));
    if parts == root_parts {
        return vec![Violation::new(
            FIELD,
            format!(
                "\"{path}\" is the host-path root itself, which holds every instance's \
                 directory; {suggestion}"
            ),
        )];
    }
    if !parts.starts_with(&root_parts) {
        return vec![Violation::new(
            FIELD,
            format!(
                "\"{path}\" is outside the host-path root {root} (the webhook's \
                 --host-path-root): etcd keeps its data only under it; {suggestion}"
            ),
        )];
    }
    let cluster = &instance.spec.management_cluster;
    let in_use = match clusters.host_paths_in_use(cluster) {
        Ok(in_use) => in_use,
        Err(reason) => {
            return vec![Violation::new(
                FIELD,
                format!(
                    "cannot be checked against the directories of the other instances on \
                     management cluster `{cluster}`: {reason}; retry in a moment"
                ),
            )];
        }
    };
    in_use
        .iter()
        .filter(|used| used.instance != instance.name())
        .filter_map(|used| {
            let relation = overlap(path, &used.path)?;
            Some(Violation::new(
                FIELD,
                format!(
                    "\"{path}\" overlaps the etcd directory {} of instance `{}` on management \
                     cluster `{cluster}` ({relation}): the two etcds would share or nest their \
                     data; {suggestion}",
                    used.path, used.instance
                ),
            ))
        })
        .take(1)
        .collect()
}

/// How `path` relates to another instance's etcd directory `theirs` when the two overlap:
/// "the same directory", "inside it" or "a directory that contains it"; `None` when apart.
/// Whole path components are compared, so `/a/b` and `/a/bc` are apart.
pub fn overlap(path: &str, theirs: &str) -> Option<&'static str> {
    let (ours, theirs) = (components(path), components(theirs));
    if theirs == ours {
        Some("the same directory")
    } else if ours.starts_with(&theirs) {
        Some("inside it")
    } else if theirs.starts_with(&ours) {
        Some("a directory that contains it")
    } else {
        None
    }
}

/// Whether `path` is an absolute path in its normal form; the reason and the normal form if not.
pub fn check_form(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "\"{}\" must be an absolute path (starting with /)",
            path.escape_debug()
        ));
    }
    if path.chars().any(char::is_control) {
        return Err(format!(
            "\"{}\" contains control characters; use a plain directory name",
            path.escape_debug()
        ));
    }
    let normal = normalise(path);
    if normal != path {
        return Err(format!(
            "\"{path}\" is not in normal form (no \"//\", \".\", \"..\" or trailing \"/\"), so \
             two spellings could name one directory; write it as \"{normal}\""
        ));
    }
    Ok(())
}

/// `path` resolved lexically, as Go's `path.Clean` does for an absolute path: repeated and
/// trailing `/` and `.` removed, `..` taking away the part before it (never above `/`).
pub fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// The parts of `path` once normalised: `/a/b` is `["a", "b"]`, `/` is empty.
fn components(path: &str) -> Vec<String> {
    normalise(path)
        .split('/')
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_normal_form_is_said() {
        assert_eq!(
            normalise("/var/lib//multicloud/./k-x"),
            "/var/lib/multicloud/k-x"
        );
        assert_eq!(normalise("/a/b/../c/"), "/a/c");
        assert_eq!(normalise("/../.."), "/");
        assert_eq!(check_form("/a/b"), Ok(()));
        assert_eq!(check_form("/"), Ok(()));
        let message = check_form("/var/lib//multicloud/./k-x").unwrap_err();
        assert!(
            message.contains("write it as \"/var/lib/multicloud/k-x\""),
            "{message}"
        );
        assert!(check_form("/a/").is_err());
        assert!(check_form("/a/..").is_err());
        assert!(check_form("a/b").unwrap_err().contains("absolute"));
        assert!(check_form("/a\nb").unwrap_err().contains("control"));
    }

    #[test]
    fn components_compare_whole_names() {
        assert!(components("/var/lib/multicloud/k-a").starts_with(&components("/var/lib")));
        assert!(
            !components("/var/lib/multicloud-x").starts_with(&components("/var/lib/multicloud"))
        );
        assert!(components("/").is_empty());
    }

    #[test]
    fn overlaps_are_named_from_the_first_paths_side() {
        assert_eq!(overlap("/r/a", "/r/a"), Some("the same directory"));
        assert_eq!(overlap("/r/a/etcd", "/r/a"), Some("inside it"));
        assert_eq!(
            overlap("/r/a", "/r/a/etcd"),
            Some("a directory that contains it")
        );
        assert_eq!(overlap("/r/a", "/r/ab"), None);
        assert_eq!(overlap("/r/a", "/r/b"), None);
    }
}
