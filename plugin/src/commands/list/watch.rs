//! `--watch` of `list` and `get`: the list first, then one entry per change, as kubectl's
//! `get -w` prints them: a table's header once and a row per added, changed or deleted
//! instance (aligned under the header), one object per change in JSON or YAML. It runs until
//! stopped; a watch the API server ends is resumed where it stopped.

use std::io::Write as _;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{WatchEvent, WatchParams};
use multicloud_api::MulticloudInstance;

use super::view::ViewArgs;
use super::{ListOutput, render, tabulate};
use crate::context::Context;
use crate::error::CmdError;
use crate::flags::OutputFormat;
use crate::instances;
use crate::output::{Output, object_value, to_json, to_yaml};

/// Where the watch starts and what it asks the API server for.
#[derive(Debug, Clone, Default)]
pub struct From {
    /// resourceVersion of the list the watch continues.
    pub version: String,
    /// Label selector.
    pub selector: Option<String>,
    /// One instance's name (a field selector).
    pub name: Option<String>,
}

/// Prints `items`, then every change to the instances `from` selects and `keep` accepts,
/// until the process is stopped or the watch fails.
pub async fn follow(
    ctx: &Context,
    client: &Client,
    items: Vec<MulticloudInstance>,
    mut from: From,
    keep: &dyn Fn(&MulticloudInstance) -> bool,
    view: &ViewArgs,
) -> Result<Output, CmdError> {
    let mut printer = Printer {
        view,
        ctx,
        widths: Vec::new(),
    };
    if !printer.print(&items)? {
        return Ok(Output::text(""));
    }
    let api = instances::api(client);
    loop {
        let mut params = WatchParams::default();
        if let Some(selector) = &from.selector {
            params = params.labels(selector);
        }
        if let Some(name) = &from.name {
            params = params.fields(&format!("metadata.name={name}"));
        }
        let failed = |e| CmdError::kube("failed to watch instances", e);
        let mut events = api
            .watch(&params, &from.version)
            .await
            .map_err(failed)?
            .boxed();
        while let Some(event) = events.try_next().await.map_err(failed)? {
            let instance = match event {
                WatchEvent::Added(i) | WatchEvent::Modified(i) | WatchEvent::Deleted(i) => i,
                WatchEvent::Bookmark(bookmark) => {
                    from.version = bookmark.metadata.resource_version;
                    continue;
                }
                WatchEvent::Error(status) if status.code == 410 => {
                    return Err(CmdError::msg(
                        "the watch fell too far behind the API server (resourceVersion \
                         expired); run the command again",
                    ));
                }
                WatchEvent::Error(status) => {
                    return Err(CmdError::msg(format!(
                        "the API server ended the watch: {}",
                        status.message
                    )));
                }
            };
            if let Some(version) = &instance.metadata.resource_version {
                from.version = version.clone();
            }
            if keep(&instance) && !printer.print(std::slice::from_ref(&instance))? {
                return Ok(Output::text(""));
            }
        }
    }
}

/// Prints instances as they come, remembering the table's column widths so far (none until
/// the header line is out).
struct Printer<'a> {
    view: &'a ViewArgs,
    ctx: &'a Context,
    widths: Vec<usize>,
}

impl Printer<'_> {
    /// Prints `items`; `false` once stdout is closed (`| head`), which ends the watch.
    fn print(&mut self, items: &[MulticloudInstance]) -> Result<bool, CmdError> {
        if items.is_empty() {
            return Ok(true);
        }
        let text = match &self.view.output {
            ListOutput::Format(OutputFormat::Json) => items
                .iter()
                .map(|i| object_value(i).and_then(|v| to_json(&v)))
                .collect::<Result<String, _>>()?,
            ListOutput::Format(OutputFormat::Yaml) => items
                .iter()
                .map(|i| {
                    object_value(i)
                        .and_then(|v| to_yaml(&v))
                        .map(|y| format!("---\n{y}"))
                })
                .collect::<Result<String, _>>()?,
            output => {
                let options = self.view.table();
                match tabulate(items, output, options, Timestamp::now())? {
                    // Rows line up under the header and the rows before, as far as they can.
                    // The header's widths count even when it is left out (after the first time,
                    // or with --no-headers).
                    Some(table) => {
                        let header = options.headers && self.widths.is_empty();
                        let mut text =
                            table.render_aligned(self.ctx.stdout, true, &mut self.widths);
                        if !header {
                            text = text.split_off(text.find('\n').map_or(0, |at| at + 1));
                        }
                        text
                    }
                    None => render(items, output, options, self.ctx.stdout, Timestamp::now())?,
                }
            }
        };
        self.ctx.flush_warnings();
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
            Err(e) => Err(CmdError::io("failed to write to stdout", e)),
        }
    }
}
