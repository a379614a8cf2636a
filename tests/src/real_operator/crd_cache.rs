//! The operator's CRD tarball cache, filled before the operator starts so that it never
//! downloads: `<data dir>/cache/<sha256 of the trimmed URL>/crds.tar.gz`
//! (`operator/pkg/tasks/init/crd.go`, `getCrdsDir` and `skipCrdsDownload`), with the layout its
//! unpack step checks: `crds/`, `crds/bases/`, `crds/patches/` and nothing else
//! (`pkg/util/validation/validation.go`, `CrdsArchive`).
//!
//! The CRDs in it are only ever applied to the Karmada API server the operator installs, which
//! cannot run here, so one small CRD stands for them all.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The operator's data directory: fixed, not a flag (`operator/pkg/constants/constants.go`,
/// `KarmadaDataDir`), so the test user must be able to write it.
pub const DATA_DIR: &str = "/var/lib/karmada";

/// The cache directory the operator reads for tarball `url`.
pub fn cache_dir(url: &str) -> PathBuf {
    Path::new(DATA_DIR)
        .join("cache")
        .join(hex(&sha256(url.trim().as_bytes())))
}

/// A filled cache entry; removed again on drop when this test created it.
#[derive(Debug)]
pub struct CrdCache {
    dir: PathBuf,
    created: bool,
}

impl CrdCache {
    /// Makes sure the operator finds a valid tarball for `url` in its cache. An entry that is
    /// already there (a real cache on this machine) is used as it is and left alone.
    pub fn fill(url: &str) -> Self {
        let dir = cache_dir(url);
        let tarball = dir.join("crds.tar.gz");
        if tarball.metadata().map(|m| m.len() > 0).unwrap_or(false) {
            return Self {
                dir,
                created: false,
            };
        }
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| {
            panic!(
                "cannot create {} ({e}): karmada-operator's data directory {DATA_DIR} is fixed, \
                 the tests must be able to write it",
                dir.display()
            )
        });
        let staging = tempfile::tempdir().expect("a staging directory");
        let bases = staging.path().join("crds/bases");
        std::fs::create_dir_all(&bases).expect("crds/bases is created");
        std::fs::create_dir_all(staging.path().join("crds/patches"))
            .expect("crds/patches is created");
        std::fs::write(bases.join("multicloud-e2e.yaml"), STAND_IN_CRD)
            .expect("the stand-in CRD is written");
        // GNU tar writes the directory entries with a trailing slash and clean paths, which is
        // what the operator's tarball validation accepts.
        let status = Command::new("tar")
            .args([
                "--create",
                "--gzip",
                "--owner=0",
                "--group=0",
                "--numeric-owner",
            ])
            .arg("--file")
            .arg(&tarball)
            .arg("--directory")
            .arg(staging.path())
            .arg("crds")
            .status()
            .expect("tar runs");
        assert!(status.success(), "tar failed: {status}");
        Self { dir, created: true }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for CrdCache {
    fn drop(&mut self) {
        if self.created {
            // The operator unpacked the tarball next to it; both go.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Stands for Karmada's CRDs in the tarball; never applied.
const STAND_IN_CRD: &str = "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: stands.e2e.multicloud.dev
spec:
  group: e2e.multicloud.dev
  scope: Namespaced
  names: {kind: Stand, plural: stands}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
";

/// SHA-256 from the TLS library's provider, to spare the tests a hashing dependency.
fn sha256(data: &[u8]) -> Vec<u8> {
    let suite = rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256;
    let tls13 = suite.tls13().expect("a TLS 1.3 suite");
    tls13.common.hash_provider.hash(data).as_ref().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_dir_is_the_sha256_of_the_trimmed_url() {
        // `printf %s https://example.com/crds.tar.gz | sha256sum`
        assert_eq!(
            cache_dir(" https://example.com/crds.tar.gz\n"),
            Path::new(DATA_DIR)
                .join("cache")
                .join("bd0106e2b1c896569e78fd48b65bdc3541a2b1487ac582aa545d80631d8d7337")
        );
    }
}
