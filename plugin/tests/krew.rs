//! The krew manifest: it parses as a krew `Plugin` and each platform names this package's binary.

use std::path::PathBuf;

use serde_json::Value;

fn manifest() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../manifests/krew/multicloud.yaml");
    let text = std::fs::read_to_string(&path).expect("the krew manifest exists");
    multicloud_api::yaml::from_str(&text).expect("the krew manifest is YAML")
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

/// The rules of krew's `validate-krew-manifest` (kubernetes-sigs/krew
/// `cmd/validate-krew-manifest/main.go` and `internal/index/validation/validate.go`), run on the
/// manifest `scripts/release-krew.sh` writes from archives it packs. krew's install stage
/// (download, sha256, extraction of every file, `bin` present) is done here on the archive
/// files, as `kubectl krew install --manifest --archive` would; then a LICENSE must be among the
/// extracted files.
mod validate_krew_manifest {
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use serde_json::Value;

    /// Every `<os, arch>` krew installs on (`allPlatforms` in main.go).
    const KREW_PLATFORMS: &[(&str, &str)] = &[
        ("windows", "386"),
        ("windows", "amd64"),
        ("windows", "arm64"),
        ("linux", "386"),
        ("linux", "amd64"),
        ("linux", "arm"),
        ("linux", "arm64"),
        ("linux", "ppc64le"),
        ("darwin", "386"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
    ];

    /// `licenseFiles` in main.go.
    const LICENSE_FILES: &[&str] = &[
        "license",
        "license.txt",
        "license.md",
        "licenses",
        "licenses.txt",
        "licenses.md",
        "copying",
        "copying.txt",
    ];

    /// Every platform the manifest lists.
    const RELEASED: &[(&str, &str)] = &[
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
    ];

    /// The platform of this machine, as krew names it.
    fn host() -> (&'static str, &'static str) {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        };
        (std::env::consts::OS, arch)
    }

    /// Fills `dir` with the binaries to pack, `kubectl-multicloud-<os>-<arch>` and
    /// `kubectl_complete-multicloud-<os>-<arch>` for every released platform, and returns the
    /// platforms whose binaries are real release builds.
    ///
    /// `MULTICLOUD_KREW_BINARIES` names a directory of release builds (`scripts/test.sh` fills it
    /// with the static Linux build of this machine's platform, the same build the images hold).
    /// A platform it lacks, because this machine cannot build it (no cross toolchain), is packed
    /// with this test's own binaries, so that the manifest and archive rules still run on it.
    fn binaries(dir: &Path) -> Vec<(&'static str, &'static str)> {
        let real = std::env::var_os("MULTICLOUD_KREW_BINARIES").map(PathBuf::from);
        let mut released = Vec::new();
        for &(os, arch) in RELEASED {
            let names = ["kubectl-multicloud", "kubectl_complete-multicloud"]
                .map(|name| format!("{name}-{os}-{arch}"));
            let from_release = real
                .as_deref()
                .filter(|real| names.iter().all(|name| real.join(name).is_file()));
            let built = [
                env!("CARGO_BIN_EXE_kubectl-multicloud"),
                env!("CARGO_BIN_EXE_kubectl_complete-multicloud"),
            ];
            for (name, built) in names.iter().zip(built) {
                let source = match from_release {
                    Some(real) => real.join(name),
                    None => PathBuf::from(built),
                };
                std::fs::copy(&source, dir.join(name))
                    .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
            }
            if from_release.is_some() {
                released.push((os, arch));
            }
        }
        if real.is_some() {
            assert!(
                released.contains(&host()),
                "MULTICLOUD_KREW_BINARIES holds no release build for this machine's platform"
            );
        }
        released
    }

    /// Whether `binary` is statically linked: no program interpreter in its ELF headers.
    fn is_static(binary: &Path) -> bool {
        let out = Command::new("readelf")
            .arg("--program-headers")
            .arg(binary)
            .output()
            .expect("readelf runs");
        assert!(out.status.success(), "{} is an ELF file", binary.display());
        !String::from_utf8_lossy(&out.stdout).contains("INTERP")
    }

    /// The manifest `release-krew.sh` writes, where its archives are, and the platforms packed
    /// from real release builds.
    fn release(dir: &Path) -> (Value, PathBuf, Vec<(&'static str, &'static str)>) {
        let repository = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let bins = dir.join("bin");
        std::fs::create_dir(&bins).expect("directory");
        let released = binaries(&bins);
        let out = dir.join("dist");
        let manifest = dir.join("multicloud.yaml");
        let status = Command::new("timeout")
            .arg("120")
            .arg(repository.join("scripts/release-krew.sh"))
            .arg("--binaries")
            .arg(&bins)
            .arg("--out")
            .arg(&out)
            .arg("--manifest-out")
            .arg(&manifest)
            .status()
            .expect("release-krew.sh runs");
        assert!(status.success(), "release-krew.sh failed: {status}");
        let text = std::fs::read_to_string(&manifest).expect("the manifest is written");
        let manifest = multicloud_api::yaml::from_str(&text).expect("YAML");
        (manifest, out, released)
    }

    fn str_of<'v>(value: &'v Value, field: &str) -> &'v str {
        value[field].as_str().unwrap_or_default()
    }

    /// krew's semver: `v` then MAJOR.MINOR.PATCH, optional pre-release and build.
    fn is_krew_semver(version: &str) -> bool {
        let Some(rest) = version.strip_prefix('v') else {
            return false;
        };
        let core = rest.split(['-', '+']).next().unwrap_or_default();
        let parts: Vec<&str> = core.split('.').collect();
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    }

    /// Whether a platform's selector matches `os`/`arch` (matchLabels and In/NotIn/Exists).
    fn selects(selector: &Value, os: &str, arch: &str) -> bool {
        let labels = BTreeMap::from([("os", os), ("arch", arch)]);
        let by_labels = selector["matchLabels"]
            .as_object()
            .into_iter()
            .flatten()
            .all(|(k, v)| labels.get(k.as_str()).copied() == v.as_str());
        let by_expressions = selector["matchExpressions"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|e| {
                let value = labels.get(str_of(e, "key")).copied();
                let values: Vec<&str> = e["values"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                match str_of(e, "operator") {
                    "In" => value.is_some_and(|v| values.contains(&v)),
                    "NotIn" => value.is_none_or(|v| !values.contains(&v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            });
        by_labels && by_expressions
    }

    fn sha256(path: &Path) -> String {
        let out = Command::new("sha256sum")
            .arg(path)
            .output()
            .expect("sha256sum runs");
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// krew's install of one platform from the local archive: checksum, every file extracted,
    /// `bin` an executable among them; returns the extracted file names.
    fn install(platform: &Value, dist: &Path, root: &Path) -> Vec<String> {
        let uri = str_of(platform, "uri");
        let archive = dist.join(uri.rsplit('/').next().unwrap_or_default());
        assert!(
            archive.is_file(),
            "no archive {} for {uri}",
            archive.display()
        );
        assert_eq!(sha256(&archive), str_of(platform, "sha256"), "{uri}");
        assert!(
            platform.get("files").is_none(),
            "krew then extracts every file"
        );
        std::fs::create_dir_all(root).expect("directory");
        let status = Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(root)
            .status()
            .expect("tar runs");
        assert!(status.success(), "{uri} extracts");
        let bin = root.join(str_of(platform, "bin"));
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&bin)
                .unwrap_or_else(|e| panic!("`bin` {} is not in {uri}: {e}", bin.display()))
                .permissions(),
        );
        assert!(mode & 0o111 != 0, "`bin` is executable");
        std::fs::read_dir(root)
            .expect("listed")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect()
    }

    #[test]
    fn the_released_manifest_passes_krews_validation_and_installs_on_every_platform() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (manifest, dist, released) = release(dir.path());

        // ValidatePlugin, with the name taken from the file name as validate-krew-manifest does.
        assert_eq!(
            str_of(&manifest, "apiVersion"),
            "krew.googlecontainertools.github.com/v1alpha2"
        );
        assert_eq!(str_of(&manifest, "kind"), "Plugin");
        let name = str_of(&manifest["metadata"], "name");
        assert_eq!(name, "multicloud", "named as its file multicloud.yaml");
        assert!(
            name.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        );
        let spec = &manifest["spec"];
        let short = str_of(spec, "shortDescription");
        assert!(
            !short.is_empty() && !short.contains(['\r', '\n']),
            "{short:?}"
        );
        assert!(is_krew_semver(str_of(spec, "version")), "{spec:?}");
        let platforms = spec["platforms"].as_array().expect("platforms");
        assert!(!platforms.is_empty());

        // The line lengths validate-krew-manifest warns about, held as errors here.
        assert!(short.len() <= 70, "shortDescription: {short}");
        for field in ["description", "caveats"] {
            for line in str_of(spec, field).lines() {
                assert!(
                    line.len() <= 80 || !line.trim().contains(' '),
                    "{field} line of {} characters: {line}",
                    line.len()
                );
            }
        }

        for (index, platform) in platforms.iter().enumerate() {
            // validatePlatform and validateSelector.
            let sha = str_of(platform, "sha256");
            assert!(
                sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "platform {index}: sha256 {sha:?}"
            );
            assert_ne!(sha, "0".repeat(64), "platform {index}: a placeholder");
            assert!(!str_of(platform, "uri").is_empty() && !str_of(platform, "bin").is_empty());
            let selector = &platform["selector"];
            let keys: Vec<&String> = selector["matchLabels"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k)
                .collect();
            assert!(!keys.is_empty(), "platform {index}: an empty selector");
            assert!(keys.iter().all(|k| *k == "os" || *k == "arch"), "{keys:?}");
            // Each platform selects a supported <os, arch>, and none is selected twice.
            let selected: Vec<_> = KREW_PLATFORMS
                .iter()
                .filter(|(os, arch)| selects(selector, os, arch))
                .collect();
            assert!(
                !selected.is_empty(),
                "platform {index} selects nothing krew supports"
            );
        }
        for (os, arch) in KREW_PLATFORMS {
            let matching = platforms
                .iter()
                .filter(|p| selects(&p["selector"], os, arch))
                .count();
            assert!(
                matching <= 1,
                "{os}/{arch} is selected by {matching} platforms"
            );
        }

        // The install stage, then the LICENSE check, for every platform.
        for (index, platform) in platforms.iter().enumerate() {
            let files = install(platform, &dist, &dir.path().join(format!("root-{index}")));
            assert!(
                files
                    .iter()
                    .any(|f| LICENSE_FILES.contains(&f.to_lowercase().as_str())),
                "platform {index}: no LICENSE among {files:?}"
            );
            assert!(
                files.iter().any(|f| f == "kubectl_complete-multicloud"),
                "platform {index}: the completion executable ships too: {files:?}"
            );
            let labels = &platform["selector"]["matchLabels"];
            let this = (str_of(labels, "os"), str_of(labels, "arch"));
            if released.contains(&this) && this == host() {
                // The release build itself, as krew installed it: static, and it runs.
                let root = dir.path().join(format!("root-{index}"));
                for file in ["kubectl-multicloud", "kubectl_complete-multicloud"] {
                    assert!(is_static(&root.join(file)), "{file} is statically linked");
                }
                let out = Command::new(root.join(str_of(platform, "bin")))
                    .args(["version", "--client"])
                    .output()
                    .expect("the installed plugin runs");
                let stdout = String::from_utf8_lossy(&out.stdout);
                assert!(out.status.success(), "{out:?}");
                assert!(
                    stdout.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))),
                    "{stdout}"
                );
            }
        }
    }
}
