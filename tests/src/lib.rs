//! Helpers shared by the end-to-end tests in `tests/tests/`.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod controller;
pub mod operator;
pub mod plugin;
pub mod wait;
pub mod webhook;

use std::path::PathBuf;

/// A workspace binary could not be found next to the test executable.
#[derive(Debug, thiserror::Error)]
#[error(
    "binary `{name}` not found at {path}; build the workspace first (`cargo build --workspace` \
     or `cargo nextest run --workspace`, which builds every binary)"
)]
pub struct MissingBinary {
    name: String,
    path: String,
}

/// Path of the workspace binary `name` built in the same profile as the running test
/// (test executables live in `target/<profile>/deps/`, binaries in `target/<profile>/`).
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
