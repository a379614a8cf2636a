//! What a node leaves behind when its processes are gone, and how it is taken away: the
//! containers' processes (in the node's cgroup root), containerd's shims (which outlive
//! containerd by design), the mounts kubelet and containerd made under the node's directory
//! (volumes, container root filesystems, pod network namespaces), and the cgroups.
//!
//! Only what this node made is touched: processes in its own cgroup root, shims whose pid files
//! are in its own containerd state directory, mounts under its own directory.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::Error;

const CGROUP_FS: &str = "/sys/fs/cgroup";

/// How long the processes of a cgroup get to disappear after SIGKILL.
const KILL_WAIT: Duration = Duration::from_secs(5);

/// The cgroup v1 hierarchies mounted under /sys/fs/cgroup (cgroup v2's `unified` left out:
/// these machines run v1, which kubelet's cgroupfs driver drives).
fn hierarchies() -> Vec<PathBuf> {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fstype = after.split_whitespace().next()?;
            let mount_point = before.split_whitespace().nth(4)?;
            (fstype == "cgroup" && mount_point.starts_with(CGROUP_FS))
                .then(|| PathBuf::from(unescape(mount_point)))
        })
        .collect()
}

/// Creates the cgroup `root` (e.g. `/multicloud-testenv-abc`) in every hierarchy, so kubelet
/// can put its pods under it (`--cgroup-root` must exist).
pub(crate) fn create_cgroup_root(root: &str) -> Result<(), Error> {
    for hierarchy in hierarchies() {
        let dir = hierarchy.join(root.trim_start_matches('/'));
        std::fs::create_dir_all(&dir)
            .map_err(|source| Error::io(format!("failed to create {}", dir.display()), source))?;
        // A new cpuset has no CPUs and no memory nodes; tasks cannot join it until it has.
        for file in ["cpuset.cpus", "cpuset.mems"] {
            let parent = hierarchy.join(file);
            if let Ok(value) = std::fs::read_to_string(&parent) {
                std::fs::write(dir.join(file), value.trim()).map_err(|source| {
                    Error::io(
                        format!("failed to write {}", dir.join(file).display()),
                        source,
                    )
                })?;
            }
        }
    }
    Ok(())
}

/// Kills every process in the cgroup `root` and removes it, its children first.
pub(crate) fn remove_cgroup_root(root: &str) {
    let hierarchies = hierarchies();
    let deadline = Instant::now() + KILL_WAIT;
    loop {
        let pids: Vec<i32> = hierarchies
            .iter()
            .flat_map(|hierarchy| procs(&hierarchy.join(root.trim_start_matches('/'))))
            .collect();
        if pids.is_empty() || Instant::now() > deadline {
            break;
        }
        for pid in pids {
            kill_one(pid);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    for hierarchy in &hierarchies {
        let dir = hierarchy.join(root.trim_start_matches('/'));
        let mut dirs = subdirs(&dir);
        // Deepest first: a cgroup with children cannot be removed.
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

fn procs(dir: &Path) -> Vec<i32> {
    subdirs(dir)
        .iter()
        .filter_map(|d| std::fs::read_to_string(d.join("cgroup.procs")).ok())
        .flat_map(|text| {
            text.lines()
                .filter_map(|line| line.trim().parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// `dir` and every directory below it.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(entry.path());
            }
        }
        found.push(dir);
    }
    found
}

/// Process ids of the shims of containerd's tasks (`<state>/io.containerd.runtime.v2.task/
/// <namespace>/<id>/shim.pid`).
pub(crate) fn shim_pids(containerd_state: &Path) -> Vec<i32> {
    let tasks = containerd_state.join("io.containerd.runtime.v2.task");
    read_dirs(&tasks)
        .iter()
        .flat_map(|namespace| read_dirs(namespace))
        .filter_map(|task| std::fs::read_to_string(task.join("shim.pid")).ok())
        .filter_map(|text| text.trim().parse().ok())
        .collect()
}

/// SIGKILLs the shims among `pids` that still serve `socket` (their command line names it): a
/// pid read a while ago may since belong to another process.
pub(crate) fn kill_shims(pids: &[i32], socket: &Path) {
    let socket = socket.to_string_lossy();
    for &pid in pids {
        let serves_socket = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|cmdline| String::from_utf8_lossy(&cmdline).contains(&*socket))
            .unwrap_or(false);
        if serves_socket {
            kill_one(pid);
        }
    }
}

fn read_dirs(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .map(|e| e.path())
                .collect()
        })
        .unwrap_or_default()
}

fn kill_one(pid: i32) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = kill_process(pid, Signal::KILL);
    }
}

/// Where libcni caches the result of every ADD, named `<network>-<container id>-<interface>`;
/// not configurable through containerd 1.6.
const CNI_RESULTS: &str = "/var/lib/cni/results";

/// Removes the cached CNI results of the containers `ids` (64 hex digits each, so a name that
/// holds one belongs to that container).
pub(crate) fn remove_cni_results(ids: &[String]) {
    if ids.is_empty() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(CNI_RESULTS) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ids.iter().any(|id| name.contains(&format!("-{id}-"))) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Where kubelet 1.20 has containerd write the pods' logs (not configurable), one directory
/// `<namespace>_<name>_<uid>` per pod.
const POD_LOGS: &str = "/var/log/pods";

/// The uids of the pods kubelet ran (`<kubelet root>/pods/<uid>`).
pub(crate) fn pod_uids(kubelet_root: &Path) -> Vec<String> {
    read_dirs(&kubelet_root.join("pods"))
        .iter()
        .filter_map(|dir| dir.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect()
}

/// Removes the log directories of the pods `uids` (kubelet removes them only for pods it saw
/// deleted, and a node is torn down with its pods running).
pub(crate) fn remove_pod_logs(uids: &[String]) {
    let Ok(entries) = std::fs::read_dir(POD_LOGS) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if uids.iter().any(|uid| name.ends_with(&format!("_{uid}"))) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Unmounts (lazily) everything mounted at or below `dir`, deepest first.
pub(crate) fn unmount_below(dir: &Path) {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return;
    };
    let mut points: Vec<PathBuf> = mountinfo
        .lines()
        .filter_map(|line| line.split_whitespace().nth(4))
        .map(|point| PathBuf::from(unescape(point)))
        .filter(|point| point.starts_with(dir))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    points.dedup();
    for point in points {
        let _ = Command::new("umount")
            .arg("--lazy")
            .arg(&point)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            let digits: String = chars.by_ref().take(3).collect();
            match u8::from_str_radix(&digits, 8) {
                Ok(byte) => out.push(char::from(byte)),
                Err(_) => {
                    out.push('\\');
                    out.push_str(&digits);
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_escapes_are_undone() {
        assert_eq!(unescape(r"/tmp/a\040b"), "/tmp/a b");
        assert_eq!(unescape("/plain"), "/plain");
    }
}
