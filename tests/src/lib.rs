//! Helpers shared by the end-to-end tests in `tests/tests/`.
#![forbid(unsafe_code)]

pub mod attacker;
pub mod cluster;
pub mod controller;
pub mod operator;
pub mod plugin;
pub mod real_operator;
pub mod wait;
pub mod webhook;

use std::path::PathBuf;

/// A workspace binary could not be found next to the test executable.
#[derive(Debug, thiserror::Error)]
#[error(
    "binary `{name}` not found at {path}; run the tests with `cargo nextest run --workspace` (or \
     `cargo build --workspace --bins` first)"
)]
pub struct MissingBinary {
    name: String,
    path: String,
}

/// Path of the workspace binary `name` built in the same profile as the running test
/// (test executables live in `target/<profile>/deps/`, binaries in `target/<profile>/`).
///
/// Cargo builds a package's binaries for a test run only when that package has integration
/// tests of its own, so every package with a binary keeps a `tests/` directory (at least the
/// binary's command line is tested there); a `--workspace` test run then builds them all.
pub fn binary(name: &str) -> Result<PathBuf, MissingBinary> {
    let exe = std::env::current_exe().unwrap_or_default();
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(PathBuf::from)
        .unwrap_or_default();
    let path = profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    if path.is_file() {
        Ok(path)
    } else {
        Err(MissingBinary {
            name: name.to_owned(),
            path: path.display().to_string(),
        })
    }
}
