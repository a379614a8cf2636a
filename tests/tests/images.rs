//! The images `scripts/build-images.sh` writes are valid OCI image layouts in tar files: every
//! blob is named by its digest, the layer holds the binary alone, the config runs it as user
//! 65532 with the OCI labels, and the index names the image the manifests deploy.
//!
//! The script runs here on a small stand-in binary, so the test is cheap and needs no release
//! build; archives of the real images under target/images are checked too when they exist.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const IMAGES: [&str; 2] = ["multicloud-webhook", "multicloud-controller"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(command: &mut Command) -> Vec<u8> {
    let output = command.output().expect("the command runs");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn sha256(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

fn json(path: &Path) -> Value {
    let text = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"))
}

/// The blob a descriptor points at, checked against the descriptor's digest and size.
fn blob(layout: &Path, descriptor: &Value) -> PathBuf {
    let digest = descriptor["digest"].as_str().expect("a digest");
    let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
    let path = layout.join("blobs/sha256").join(hex);
    assert_eq!(sha256(&path), hex, "blob {digest} has other content");
    let size = std::fs::metadata(&path).expect("the blob exists").len();
    assert_eq!(descriptor["size"].as_u64(), Some(size), "size of {digest}");
    path
}

/// The image the install set runs for `image` (as manifests/install.yaml names it).
fn deployed_image(image: &str) -> String {
    let install =
        std::fs::read_to_string(root().join("manifests/install.yaml")).expect("install.yaml");
    install
        .lines()
        .filter_map(|line| line.trim().strip_prefix("image: "))
        .find(|reference| {
            reference
                .rsplit('/')
                .next()
                .is_some_and(|last| last.starts_with(&format!("{image}:")))
        })
        .unwrap_or_else(|| panic!("install.yaml runs no {image}"))
        .to_owned()
}

/// Checks one archive and returns the bytes of the binary in its layer.
fn check_archive(archive: &Path, image: &str) -> Vec<u8> {
    let layout = tempfile::tempdir().expect("a temporary directory");
    run(Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(layout.path()));
    let layout = layout.path();

    assert_eq!(
        json(&layout.join("oci-layout"))["imageLayoutVersion"],
        "1.0.0"
    );
    let index = json(&layout.join("index.json"));
    assert_eq!(index["schemaVersion"], 2);
    assert_eq!(
        index["mediaType"],
        "application/vnd.oci.image.index.v1+json"
    );
    let manifests = index["manifests"].as_array().expect("manifests");
    assert_eq!(manifests.len(), 1);
    let descriptor = &manifests[0];
    assert_eq!(
        descriptor["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(descriptor["platform"]["os"], "linux");
    let reference = deployed_image(image);
    let tag = reference
        .rsplit_once(':')
        .map(|(_, tag)| tag)
        .expect("a tag");
    assert_eq!(
        descriptor["annotations"]["io.containerd.image.name"],
        reference.as_str()
    );
    assert_eq!(
        descriptor["annotations"]["org.opencontainers.image.ref.name"],
        tag
    );

    let manifest = json(&blob(layout, descriptor));
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.oci.image.config.v1+json"
    );
    let config = json(&blob(layout, &manifest["config"]));
    assert_eq!(config["os"], "linux");
    assert_eq!(
        config["architecture"],
        descriptor["platform"]["architecture"]
    );
    let run_config = &config["config"];
    assert_eq!(run_config["User"], "65532:65532");
    assert_eq!(
        run_config["Entrypoint"],
        serde_json::json!([format!("/{image}")])
    );
    let labels = &run_config["Labels"];
    assert_eq!(labels["org.opencontainers.image.title"], image);
    assert_eq!(labels["org.opencontainers.image.version"], tag);
    assert_eq!(
        labels["org.opencontainers.image.source"],
        "https://github.com/multicloud-dev/multicloud"
    );
    let revision = labels["org.opencontainers.image.revision"]
        .as_str()
        .unwrap_or_default();
    assert!(
        revision.len() == 40 && revision.chars().all(|c| c.is_ascii_hexdigit()),
        "{revision}"
    );
    assert_eq!(&manifest["annotations"], labels);

    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1);
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let layer = blob(layout, &layers[0]);
    let unpacked = layout.join("layer.tar");
    let tar = run(Command::new("gzip").arg("-dc").arg(&layer));
    std::fs::write(&unpacked, &tar).expect("writes the layer");
    assert_eq!(
        config["rootfs"]["diff_ids"],
        serde_json::json!([format!("sha256:{}", sha256(&unpacked))])
    );
    let listing = String::from_utf8_lossy(&run(Command::new("tar")
        .args(["--numeric-owner", "-tvf"])
        .arg(&unpacked)))
    .into_owned();
    let entries: Vec<&str> = listing.lines().collect();
    assert_eq!(
        entries.len(),
        1,
        "the layer holds the binary alone: {listing}"
    );
    assert!(entries[0].starts_with("-rwxr-xr-x 0/0 "), "{listing}");
    assert!(entries[0].ends_with(&format!(" {image}")), "{listing}");
    let rootfs = layout.join("rootfs");
    std::fs::create_dir(&rootfs).expect("a directory");
    run(Command::new("tar")
        .arg("-xf")
        .arg(&unpacked)
        .arg("-C")
        .arg(&rootfs));
    std::fs::read(rootfs.join(image)).expect("the binary")
}

fn build(binaries: &Path, out: &Path) -> Vec<PathBuf> {
    let stdout = run(Command::new(root().join("scripts/build-images.sh"))
        .arg("--binaries")
        .arg(binaries)
        .arg("--out")
        .arg(out)
        .args(["--platform", "linux/amd64"])
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    String::from_utf8_lossy(&stdout)
        .lines()
        .map(PathBuf::from)
        .collect()
}

#[test]
fn build_images_writes_valid_oci_archives_of_the_deployed_images() {
    let binaries = tempfile::tempdir().expect("a temporary directory");
    for image in IMAGES {
        let path = binaries.path().join(image);
        std::fs::write(&path, format!("#!/bin/sh\necho stand-in for {image}\n")).expect("writes");
        run(Command::new("chmod").arg("755").arg(&path));
    }
    let out = tempfile::tempdir().expect("a temporary directory");
    let archives = build(binaries.path(), out.path());
    assert_eq!(archives.len(), IMAGES.len(), "{archives:?}");
    for (archive, image) in archives.iter().zip(IMAGES) {
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            archive.file_name().and_then(|n| n.to_str()),
            Some(format!("{image}_v{version}_linux_amd64.oci.tar").as_str())
        );
        let binary = check_archive(archive, image);
        assert_eq!(
            binary,
            std::fs::read(binaries.path().join(image)).expect("reads")
        );
    }

    // The same binaries and time give the same archives, byte for byte.
    let again = tempfile::tempdir().expect("a temporary directory");
    for (first, second) in archives.iter().zip(build(binaries.path(), again.path())) {
        assert_eq!(
            sha256(first),
            sha256(&second),
            "{first:?} is not reproducible"
        );
    }
}

/// The archives a release build left in target/images: the same checks, and the binaries are
/// statically linked (no program interpreter), as a `FROM scratch` image needs.
#[test]
fn built_image_archives_are_valid_where_they_exist() {
    let dir = root().join("target/images");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no {dir:?}: `scripts/build-images.sh` has not run here");
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(image) = IMAGES.iter().find(|i| name.starts_with(&format!("{i}_"))) else {
            continue;
        };
        if !name.ends_with(".oci.tar") {
            continue;
        }
        let binary = check_archive(&entry.path(), image);
        // A dynamically linked binary names its loader in an INTERP program header.
        let elf = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(elf.path(), &binary).expect("writes");
        let headers = String::from_utf8_lossy(&run(Command::new("readelf")
            .arg("--program-headers")
            .arg(elf.path())))
        .into_owned();
        assert!(
            !headers.contains("INTERP"),
            "{name}: {image} is dynamically linked"
        );
    }
}
