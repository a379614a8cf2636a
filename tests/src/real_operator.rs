//! The real karmada-operator, when a binary is given: `KARMADA_OPERATOR_BIN` names it and
//! `KARMADA_OPERATOR_CRDS` names its `operator.karmada.io_karmadas.yaml` (from the same source
//! tree, `operator/config/crds/`; over 1 MB, so it is read from there rather than committed).
//! Without them the suite says that it did not run; see `docs/testing-real-operator.md`.
//!
//! The operator runs as a process against a test control plane: no kubelet, so it gets as far
//! as its first wait for pods (etcd's). What it needs besides the API server is the Karmada CRD
//! tarball, which it would download from GitHub; the tests put it into the operator's cache
//! first ([`CrdCache`]) and point every proxy variable at a closed local port, so that nothing
//! the operator does can reach another address.

use std::path::{Path, PathBuf};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, PostParams};

use crate::wait::eventually;

mod crd_cache;
mod process;

pub use crd_cache::{CrdCache, DATA_DIR, cache_dir};
pub use process::RealOperator;

/// Names the karmada-operator binary to run.
pub const BINARY_VARIABLE: &str = "KARMADA_OPERATOR_BIN";

/// Names the operator's Karmada CRD (`operator/config/crds/operator.karmada.io_karmadas.yaml`).
pub const CRDS_VARIABLE: &str = "KARMADA_OPERATOR_CRDS";

/// The operator's finalizer on every Karmada CR (`operator/pkg/controller/karmada/controller.go`).
pub const FINALIZER: &str = "operator.karmada.io/finalizer";

/// The label whose value, unless `"false"`, makes a deletion skip the teardown
/// (`operator/pkg/controller/karmada/controller.go`).
pub const DISABLE_CASCADING_DELETION_LABEL: &str = "operator.karmada.io/disable-cascading-deletion";

/// What a run against the real operator needs, from the environment.
#[derive(Debug, Clone)]
pub struct RealOperatorSetup {
    /// The karmada-operator binary.
    pub binary: PathBuf,
    /// Its Karmada CRD file.
    pub karmada_crd: PathBuf,
}

impl RealOperatorSetup {
    /// The setup the environment gives, or `None` after printing, on stdout and stderr, that
    /// `test` did not run and why. A variable set to something unusable fails the test: a run
    /// that was asked for must not pass silently.
    pub fn or_skip(test: &str) -> Option<Self> {
        let Some(binary) = std::env::var_os(BINARY_VARIABLE).filter(|v| !v.is_empty()) else {
            let message = format!(
                "SKIPPED {test}: the real karmada-operator suite did not run, because \
                 {BINARY_VARIABLE} is not set (see docs/testing-real-operator.md)"
            );
            println!("{message}");
            eprintln!("{message}");
            return None;
        };
        let binary = PathBuf::from(binary);
        assert!(
            binary.is_file(),
            "{BINARY_VARIABLE}={} is not a file",
            binary.display()
        );
        let karmada_crd = std::env::var_os(CRDS_VARIABLE)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                panic!(
                    "{BINARY_VARIABLE} is set but {CRDS_VARIABLE} is not: name the operator's \
                     operator/config/crds/operator.karmada.io_karmadas.yaml of the same source tree"
                )
            });
        Some(Self {
            binary,
            karmada_crd,
        })
    }

    /// Serves the operator's Karmada CRD on `client`'s API server, as kube-apiserver v1.20
    /// takes it: without its CEL validation rules (`x-kubernetes-validations`, which v1.20
    /// predates and refuses in an apply) and without its empty-string defaults (`default: ""`
    /// of reference names deep in sidecar containers and volumes, which v1.20 reads as `null`
    /// and refuses). Neither is anything the tests write.
    pub async fn install_karmada_crd(&self, client: &kube::Client) {
        let mut crd = read_crd(&self.karmada_crd);
        drop_unsupported(&mut crd);
        let name = crd["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let api: Api<CustomResourceDefinition> = Api::all(client.clone());
        let crd: CustomResourceDefinition = serde_json::from_value(crd)
            .unwrap_or_else(|e| panic!("{CRDS_VARIABLE} is not a CRD: {e}"));
        api.create(&PostParams::default(), &crd)
            .await
            .unwrap_or_else(|e| panic!("the operator's CRD {name} is refused: {e}"));
        eventually(&format!("CRD {name} to be Established"), || async {
            let current = api.get(&name).await.map_err(|e| e.to_string())?;
            let conditions = current
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default();
            conditions
                .iter()
                .find(|c| c.type_ == "Established" && c.status == "True")
                .map(|_| ())
                .ok_or_else(|| format!("conditions {conditions:?}"))
        })
        .await;
    }

    /// The operator's own version (`karmada-operator version`), which its defaults use: the
    /// CRD tarball URL and the metrics-adapter image tag (`operator/pkg/apis/operator/v1alpha1/defaults.go`).
    pub fn version(&self) -> String {
        let output = std::process::Command::new(&self.binary)
            .arg("version")
            .output()
            .expect("karmada-operator version runs");
        let text = String::from_utf8_lossy(&output.stdout);
        release_version(&text)
            .unwrap_or_else(|| panic!("no GitVersion in `karmada-operator version`: {text}"))
    }
}

/// The release a `version.Info{GitVersion:"v1.18.2-12-gabcdef0", ...}` line names: the
/// operator drops the commit part (`pkg/version/release.go`).
pub fn release_version(version_output: &str) -> Option<String> {
    let start = version_output.find("GitVersion:\"")? + "GitVersion:\"".len();
    let rest = &version_output[start..];
    let git_version = &rest[..rest.find('"')?];
    // `-<commits>-g<hash>` ends a version built between tags.
    let parts: Vec<&str> = git_version.rsplitn(3, '-').collect();
    let is_commit_suffix = parts.len() == 3
        && parts[0].starts_with('g')
        && parts[1].chars().all(|c| c.is_ascii_digit());
    Some(if is_commit_suffix {
        parts[2].to_owned()
    } else {
        git_version.to_owned()
    })
}

/// The tarball URL the operator uses when a CR names none (`operator/pkg/init.go`).
pub fn default_crd_tarball_url(version: &str) -> String {
    format!("https://github.com/karmada-io/karmada/releases/download/{version}/crds.tar.gz")
}

fn read_crd(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{CRDS_VARIABLE}={}: {e}", path.display()));
    multicloud_api::yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{CRDS_VARIABLE}={} is not YAML: {e}", path.display()))
}

/// Removes, from every schema in `value`, what kube-apiserver v1.20 refuses: CEL rules and
/// empty-string defaults.
fn drop_unsupported(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("x-kubernetes-validations");
            if map.get("default").and_then(|d| d.as_str()) == Some("") {
                map.remove("default");
            }
            map.values_mut().for_each(drop_unsupported);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_unsupported),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_version_drops_the_commit_part_only() {
        let line = |v: &str| {
            format!("karmada-operator version: version.Info{{GitVersion:\"{v}\", GitCommit:\"x\"}}")
        };
        assert_eq!(
            release_version(&line("v1.18.2")).as_deref(),
            Some("v1.18.2")
        );
        assert_eq!(
            release_version(&line("v1.19.0-rc.0-12-gf8fdd02")).as_deref(),
            Some("v1.19.0-rc.0")
        );
        assert_eq!(
            release_version(&line("v1.19.0-rc.0")).as_deref(),
            Some("v1.19.0-rc.0")
        );
        assert_eq!(release_version("no version here"), None);
    }
}
