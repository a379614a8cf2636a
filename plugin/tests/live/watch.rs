//! `list -w` and `get -w`: the list, then one entry per change, as kubectl's `get -w`: a table's
//! header once, a row per added, changed and deleted instance. The test stops the process.

use std::io::{BufRead as _, BufReader};
use std::process::Child;
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use kube::api::{Api, DeleteParams, Patch, PatchParams};
use multicloud_api::MulticloudInstance;
use serde_json::json;

use super::support::*;

/// A running `--watch`, its stdout read line by line; killed when dropped.
struct Watching {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watching {
    fn start(live: &Live, args: &[&str]) -> Self {
        let kubeconfig = live.kubeconfig();
        let mut all = vec!["--kubeconfig", kubeconfig.as_str()];
        all.extend_from_slice(args);
        let mut child = live.command(&all).spawn().expect("the plugin starts");
        let stdout = child.stdout.take().expect("stdout");
        let (send, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next line, waiting at most [`HANG`] for it.
    fn next(&mut self) -> String {
        match self.lines.recv_timeout(HANG) {
            Ok(line) => {
                self.seen.push(line.clone());
                line
            }
            Err(_) => panic!("no further line within {HANG:?}; so far: {:#?}", self.seen),
        }
    }

    /// Asserts nothing more is printed for a while: no stray rows, no second header.
    fn quiet(&mut self) {
        if let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            panic!("unexpected line {line:?} after {:#?}", self.seen);
        }
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn list_watch_prints_the_header_once_and_a_row_per_change() {
    let live = Live::start().await;
    live.instance("alpha", &[("team", "x")]).await;
    let mut watching = Watching::start(
        &live,
        &[
            "list",
            "-w",
            "-o",
            "custom-columns=NAME:.metadata.name,TEAM:.metadata.labels.team",
        ],
    );
    assert_eq!(watching.next(), "NAME    TEAM");
    assert_eq!(watching.next(), "alpha   x");
    watching.quiet();

    live.instance("beta", &[("team", "y")]).await;
    assert_eq!(watching.next(), "beta    y");

    let api = Api::<MulticloudInstance>::all(live.plane.client());
    api.patch(
        "alpha",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"team": "z"}}})),
    )
    .await
    .expect("relabelled");
    assert_eq!(watching.next(), "alpha   z");

    api.delete("beta", &DeleteParams::default())
        .await
        .expect("deleted");
    assert_eq!(watching.next(), "beta    y");
    watching.quiet();
}

#[tokio::test]
async fn get_watch_follows_only_the_named_instance_in_the_table() {
    let live = Live::start().await;
    live.instance("alpha", &[]).await;
    live.instance("other", &[]).await;
    let mut watching = Watching::start(&live, &["get", "alpha", "--watch", "--show-labels"]);
    let header = watching.next();
    assert!(
        header.starts_with("NAME    VIRTUAL CLUSTER") && header.ends_with("AGE   LABELS"),
        "{header}"
    );
    let row = watching.next();
    assert!(row.starts_with("alpha   <none>   "), "{row}");

    let api = Api::<MulticloudInstance>::all(live.plane.client());
    for name in ["other", "alpha"] {
        api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"seen": "yes"}}})),
        )
        .await
        .expect("relabelled");
    }
    let row = watching.next();
    assert!(
        row.starts_with("alpha   <none>   ") && row.ends_with("seen=yes"),
        "{row}"
    );
    watching.quiet();
}

#[tokio::test]
async fn a_watch_whose_reader_goes_away_ends_quietly() {
    let live = Live::start().await;
    live.instance("alpha", &[]).await;
    let kubeconfig = live.kubeconfig();
    let mut child = live
        .command(&["--kubeconfig", &kubeconfig, "list", "-w", "-o", "name"])
        .spawn()
        .expect("the plugin starts");
    let mut first = String::new();
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    stdout.read_line(&mut first).expect("a first line");
    assert_eq!(first, "multicloudinstance.multicloud.dev/alpha\n");
    // `| head -1`: the reader is gone; the next change finds the pipe closed.
    drop(stdout);
    live.instance("beta", &[]).await;
    let out = finish(child, &["list", "-w"]);
    assert_eq!(out.status, 0, "{out:#?}");
    assert_eq!(out.stderr, "", "no error for a closed pipe");
}

#[tokio::test]
async fn get_watch_of_a_missing_name_exits_at_once_as_kubectl_does() {
    let live = Live::start().await;
    live.instance("alpha", &[]).await;
    let kubeconfig = live.kubeconfig();
    let args = ["--kubeconfig", &kubeconfig, "get", "alpha", "missing", "-w"];
    let child = live.command(&args).spawn().expect("the plugin starts");
    let out = finish(child, &args);
    assert_eq!(out.status, 1, "{out:#?}");
    assert_eq!(out.stdout, "", "nothing is watched: {out:#?}");
    assert!(
        out.stderr.contains("instance `missing` not found"),
        "{out:#?}"
    );
}
