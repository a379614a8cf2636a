//! The images an install runs, named in one place: the workspace's version is their tag, and
//! the workspace's GitHub repository says where releases publish them. The manifests' images,
//! `manifests/install.yaml` and the defaults of `--image-repository`/`--image-tag` are all
//! these (tests fail when a manifest differs); `scripts/build-images.sh` derives the same names
//! from the same two fields of Cargo.toml.

/// Where releases publish the images: `ghcr.io/` + the owner of the workspace's `repository`.
pub const REPOSITORY: &str = "ghcr.io/multicloud-dev";

/// Tag of the images: `v` + the workspace version.
pub const TAG: &str = concat!("v", env!("CARGO_PKG_VERSION"));

/// `repository/name:tag`.
pub fn reference(repository: &str, name: &str, tag: &str) -> String {
    let repository = repository.trim_end_matches('/');
    if repository.is_empty() {
        format!("{name}:{tag}")
    } else {
        format!("{repository}/{name}:{tag}")
    }
}

/// The name of `image` without registry, path or tag: `ghcr.io/x/multicloud-webhook:v1` gives
/// `multicloud-webhook`.
pub fn name(image: &str) -> &str {
    let path = image.split_once('@').map_or(image, |(path, _)| path);
    let last = path.rsplit_once('/').map_or(path, |(_, last)| last);
    last.split_once(':').map_or(last, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_is_the_ghcr_namespace_of_the_workspace_repository() {
        let source = env!("CARGO_PKG_REPOSITORY");
        let owner = source
            .strip_prefix("https://github.com/")
            .and_then(|rest| rest.split('/').next())
            .expect("the workspace repository is on GitHub");
        assert_eq!(REPOSITORY, format!("ghcr.io/{}", owner.to_lowercase()));
    }

    #[test]
    fn names_drop_registry_path_tag_and_digest() {
        assert_eq!(
            name("ghcr.io/x/multicloud-webhook:v1"),
            "multicloud-webhook"
        );
        assert_eq!(
            name("localhost:5000/multicloud-controller"),
            "multicloud-controller"
        );
        assert_eq!(name("multicloud-webhook@sha256:00"), "multicloud-webhook");
        assert_eq!(name("multicloud-webhook"), "multicloud-webhook");
    }

    #[test]
    fn references_join_repository_name_and_tag() {
        assert_eq!(
            reference("registry.example.com/mc/", "multicloud-webhook", "v9"),
            "registry.example.com/mc/multicloud-webhook:v9"
        );
        assert_eq!(
            reference("", "multicloud-webhook", "v9"),
            "multicloud-webhook:v9"
        );
    }
}
