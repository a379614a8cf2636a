//! The krew manifest: it parses as a krew `Plugin` and each platform names this package's binary.

use std::path::PathBuf;

use serde_json::Value;

fn manifest() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/krew/multicloud.yaml");
    let text = std::fs::read_to_string(&path).expect("the krew manifest exists");
    serde_yaml::from_str(&text).expect("the krew manifest is YAML")
}

/// The binary cargo builds for this package, as krew must find it in each archive.
fn binary_name() -> String {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-multicloud"));
    path.file_stem()
        .and_then(|s| s.to_str())
        .expect("a file name")
        .to_owned()
}

#[test]
fn manifest_is_a_krew_plugin_named_multicloud() {
    let manifest = manifest();
    assert_eq!(
        manifest["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(manifest["kind"], "Plugin");
    // krew runs `kubectl-<name>` as `kubectl <name>`.
    assert_eq!(
        format!(
            "kubectl-{}",
            manifest["metadata"]["name"].as_str().unwrap_or_default()
        ),
        binary_name()
    );
    let spec = &manifest["spec"];
    assert_eq!(spec["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
    for field in ["shortDescription", "description", "homepage", "caveats"] {
        assert!(
            spec[field].as_str().is_some_and(|s| !s.trim().is_empty()),
            "spec.{field} is set"
        );
    }
    let caveats = spec["caveats"].as_str().unwrap_or_default();
    assert!(
        caveats.contains("webhook") && caveats.contains("karmada-operator"),
        "{caveats}"
    );
}

#[test]
fn every_platform_names_the_binary_with_a_checksum() {
    let manifest = manifest();
    let platforms = manifest["spec"]["platforms"].as_array().expect("platforms");
    let mut seen = Vec::new();
    for platform in platforms {
        let labels = &platform["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().unwrap_or_default(),
            labels["arch"].as_str().unwrap_or_default(),
        );
        seen.push(format!("{os}/{arch}"));
        assert_eq!(platform["bin"], binary_name().as_str(), "{os}/{arch}");
        let sha = platform["sha256"].as_str().unwrap_or_default();
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{os}/{arch}: sha256 {sha:?}"
        );
        let uri = platform["uri"].as_str().unwrap_or_default();
        let version = manifest["spec"]["version"].as_str().unwrap_or_default();
        assert!(uri.starts_with("https://"), "{uri}");
        assert!(
            uri.ends_with(&format!("kubectl-multicloud_{version}_{os}_{arch}.tar.gz")),
            "{uri}"
        );
    }
    seen.sort();
    assert_eq!(
        seen,
        ["darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"]
    );
}
