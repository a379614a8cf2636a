//! Finding the control plane binaries and asking them what they support.
//!
//! The envtest conventions come first (`TEST_ASSET_*`, then `KUBEBUILDER_ASSETS`), so anyone
//! who already has kubebuilder assets can use them; otherwise the directory that
//! `scripts/install-control-plane.sh` fills.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Error;

/// The control plane version `scripts/install-control-plane.sh` builds.
pub const DEFAULT_VERSION: &str = "v1.20.2";

const ETCD: &str = "etcd";
const APISERVER: &str = "kube-apiserver";
const CONTROLLER_MANAGER: &str = "kube-controller-manager";

/// Paths of the binaries a control plane runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The etcd server.
    pub etcd: PathBuf,
    /// kube-apiserver.
    pub kube_apiserver: PathBuf,
    /// kube-controller-manager; without it namespaces are never finalized and nothing is
    /// garbage-collected.
    pub kube_controller_manager: Option<PathBuf>,
}

impl Binaries {
    /// Locates the binaries from the environment:
    ///
    /// 1. `TEST_ASSET_ETCD`, `TEST_ASSET_KUBE_APISERVER`, `TEST_ASSET_KUBE_CONTROLLER_MANAGER`
    ///    name single binaries;
    /// 2. otherwise `KUBEBUILDER_ASSETS` names a directory holding them;
    /// 3. otherwise `${MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/v1.20.2}`,
    ///    which `scripts/install-control-plane.sh` fills.
    ///
    /// kube-controller-manager is optional. A missing etcd or kube-apiserver is an error whose
    /// message says exactly what to set or run.
    pub fn from_env() -> Result<Self, Error> {
        locate(|name| std::env::var_os(name).filter(|value| !value.is_empty()))
    }

    /// Takes every binary from `dir` (as `KUBEBUILDER_ASSETS` would), ignoring the environment.
    pub fn from_dir(dir: impl Into<PathBuf>) -> Result<Self, Error> {
        let dir = dir.into().into_os_string();
        locate(|name| (name == "KUBEBUILDER_ASSETS").then(|| dir.clone()))
    }
}

/// Where the binaries are looked for when no `TEST_ASSET_*` variable names them.
enum Dir {
    Assets(PathBuf),
    Cache(PathBuf),
    /// Neither `KUBEBUILDER_ASSETS`, `MULTICLOUD_CONTROL_PLANE_DIR` nor `HOME` is set.
    None,
}

fn locate(env: impl Fn(&str) -> Option<OsString>) -> Result<Binaries, Error> {
    let dir = if let Some(assets) = env("KUBEBUILDER_ASSETS") {
        Dir::Assets(assets.into())
    } else if let Some(dir) = env("MULTICLOUD_CONTROL_PLANE_DIR") {
        Dir::Cache(dir.into())
    } else if let Some(home) = env("HOME") {
        Dir::Cache(
            Path::new(&home)
                .join(".cache/multicloud/control-plane")
                .join(DEFAULT_VERSION),
        )
    } else {
        Dir::None
    };
    let find = |binary: &'static str, variable: &str| -> Result<Option<PathBuf>, String> {
        if let Some(path) = env(variable) {
            let path = PathBuf::from(path);
            return if path.is_file() {
                Ok(Some(path))
            } else {
                Err(format!("{variable}={} does not exist", path.display()))
            };
        }
        let (dir, origin) = match &dir {
            Dir::Assets(dir) => (dir, "KUBEBUILDER_ASSETS"),
            Dir::Cache(dir) => (dir, "the cache directory"),
            Dir::None => return Err("HOME is not set, so there is no cache directory".into()),
        };
        let path = dir.join(binary);
        if path.is_file() {
            Ok(Some(path))
        } else {
            Err(format!("{} does not exist ({origin})", path.display()))
        }
    };
    let required = |binary: &'static str, variable: &str| {
        find(binary, variable)
            .and_then(|found| found.ok_or_else(String::new))
            .map_err(|reason| missing(binary, &reason))
    };
    Ok(Binaries {
        etcd: required(ETCD, "TEST_ASSET_ETCD")?,
        kube_apiserver: required(APISERVER, "TEST_ASSET_KUBE_APISERVER")?,
        kube_controller_manager: find(CONTROLLER_MANAGER, "TEST_ASSET_KUBE_CONTROLLER_MANAGER")
            .ok()
            .flatten(),
    })
}

fn missing(binary: &'static str, reason: &str) -> Error {
    Error::BinaryMissing {
        binary,
        message: format!(
            "{binary} not found: {reason}. Provide the control plane binaries in one of these ways: \
             run scripts/install-control-plane.sh, which builds kube-apiserver and \
             kube-controller-manager {DEFAULT_VERSION} and copies etcd into \
             ${{MULTICLOUD_CONTROL_PLANE_DIR:-$HOME/.cache/multicloud/control-plane/{DEFAULT_VERSION}}}; \
             or set KUBEBUILDER_ASSETS to a directory containing etcd, kube-apiserver and \
             optionally kube-controller-manager; or set TEST_ASSET_ETCD and \
             TEST_ASSET_KUBE_APISERVER (and optionally TEST_ASSET_KUBE_CONTROLLER_MANAGER) to \
             the binaries' paths"
        ),
    }
}

/// The minor version a Kubernetes binary reports with `--version` ("Kubernetes v1.20.2"),
/// or `None` when it cannot be parsed (development builds say "v0.0.0-master"); callers
/// then assume a recent version.
pub(crate) fn kubernetes_minor_version(binary: &Path) -> Result<Option<u32>, Error> {
    let output = run(binary, "--version")?;
    Ok(parse_minor_version(&output))
}

fn parse_minor_version(output: &str) -> Option<u32> {
    let version = output
        .split_whitespace()
        .find(|word| word.starts_with('v'))?;
    let mut parts = version.trim_start_matches('v').split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    (major == 1).then_some(minor)
}

/// Whether `binary --help` mentions `flag`.
pub(crate) fn supports_flag(binary: &Path, flag: &str) -> Result<bool, Error> {
    Ok(run(binary, "--help")?.contains(flag))
}

fn run(binary: &Path, arg: &str) -> Result<String, Error> {
    let output = Command::new(binary)
        .arg(arg)
        .output()
        .map_err(|source| Error::io(format!("failed to run {} {arg}", binary.display()), source))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<OsString> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        }
    }

    #[test]
    fn missing_assets_dir_names_every_way_to_provide_binaries() {
        let err = locate(env(&[("KUBEBUILDER_ASSETS", "/nonexistent/assets")]))
            .expect_err("nothing exists there");
        let message = err.to_string();
        assert!(matches!(err, Error::BinaryMissing { binary: "etcd", .. }));
        assert!(message.contains("/nonexistent/assets/etcd does not exist (KUBEBUILDER_ASSETS)"));
        for hint in [
            "scripts/install-control-plane.sh",
            "KUBEBUILDER_ASSETS",
            "TEST_ASSET_KUBE_APISERVER",
            "MULTICLOUD_CONTROL_PLANE_DIR",
        ] {
            assert!(message.contains(hint), "{hint} missing from: {message}");
        }
    }

    #[test]
    fn missing_test_asset_names_the_variable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let etcd = dir.path().join("etcd");
        std::fs::write(&etcd, "").expect("write");
        let err = locate(env(&[
            ("TEST_ASSET_ETCD", etcd.to_str().expect("utf-8")),
            ("TEST_ASSET_KUBE_APISERVER", "/nonexistent/kube-apiserver"),
        ]))
        .expect_err("no apiserver");
        assert!(matches!(
            err,
            Error::BinaryMissing {
                binary: "kube-apiserver",
                ..
            }
        ));
        assert!(
            err.to_string()
                .contains("TEST_ASSET_KUBE_APISERVER=/nonexistent/kube-apiserver does not exist")
        );
    }

    #[test]
    fn controller_manager_is_optional_and_cache_dir_comes_from_home() {
        let home = tempfile::tempdir().expect("tempdir");
        let dir = home.path().join(".cache/multicloud/control-plane/v1.20.2");
        std::fs::create_dir_all(&dir).expect("mkdir");
        for binary in [ETCD, APISERVER] {
            std::fs::write(dir.join(binary), "").expect("write");
        }
        let found = locate(env(&[("HOME", home.path().to_str().expect("utf-8"))]))
            .expect("etcd and apiserver exist");
        assert_eq!(found.kube_apiserver, dir.join(APISERVER));
        assert_eq!(found.kube_controller_manager, None);
    }

    #[test]
    fn parses_kubernetes_minor_versions() {
        assert_eq!(parse_minor_version("Kubernetes v1.20.2\n"), Some(20));
        assert_eq!(parse_minor_version("Kubernetes v1.33.0-rc.1"), Some(33));
        assert_eq!(
            parse_minor_version("Kubernetes v0.0.0-master+$Format"),
            None
        );
    }
}
