//! `list` / `ls`: instances as a kubectl-style table, JSON, YAML or names; sorted, with labels,
//! and followed with `--watch` as kubectl's `get` does.

use clap::Args;
use k8s_openapi::jiff::Timestamp;
use multicloud_api::rules::assess_availability;
use multicloud_api::{MulticloudInstance, Phase, StorageType};

use crate::context::Context;
use crate::duration::{age, human_age};
use crate::error::CmdError;
use crate::flags::{Connection, OutputFormat};
use crate::instances;
use crate::output::{Output, emit, list_value, object_value};
use crate::style::{Paint, Style};
use crate::table::{Cell, Table};
use crate::template::{query_values, scalar};

mod format;
mod view;
pub mod watch;

pub use format::{ListOutput, ListOutputParser};
pub use view::{TableOptions, ViewArgs, labels_text, sort_by};

/// Flags of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Show only instances whose name, virtual cluster or display name contains this text.
    #[arg(value_name = "SEARCH")]
    pub search: Option<String>,

    /// Label selector, e.g. `team=payments` or `env in (prod,staging)`.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    #[command(flatten)]
    pub view: ViewArgs,

    #[command(flatten)]
    pub connection: Connection,
}

impl ListArgs {
    /// Lists.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let (mut items, version) =
            instances::list_versioned(&client, self.selector.as_deref()).await?;
        let keep = |i: &MulticloudInstance| self.search.as_ref().is_none_or(|s| matches(i, s));
        items.retain(keep);
        self.view.sort(&mut items)?;
        if self.view.watch {
            let from = watch::From {
                version,
                selector: self.selector.clone(),
                name: None,
            };
            return watch::follow(ctx, &client, items, from, &keep, &self.view).await;
        }
        if items.is_empty() && self.view.is_table() {
            let what = match (&self.search, &self.selector) {
                (None, None) => String::new(),
                _ => " matching".to_owned(),
            };
            return Ok(Output::text(format!(
                "No{what} instances found; create one with `kubectl multicloud create NAME`.\n"
            )));
        }
        render(
            &items,
            &self.view.output,
            self.view.table(),
            ctx.stdout,
            Timestamp::now(),
        )
        .map(Output::text)
    }
}

/// Whether `search` occurs (ignoring case) in the name, virtual cluster or display name.
pub fn matches(instance: &MulticloudInstance, search: &str) -> bool {
    let search = search.to_lowercase();
    [
        Some(instance.name()),
        instance.spec.virtual_cluster_name.as_deref(),
        instance.spec.display_name.as_deref(),
    ]
    .into_iter()
    .flatten()
    .any(|text| text.to_lowercase().contains(&search))
}

/// Instances as `-o` asks; `now` dates the AGE column. Templates see a `List` of the
/// instances, as kubectl's do.
pub fn render(
    items: &[MulticloudInstance],
    output: &ListOutput,
    options: TableOptions,
    style: Style,
    now: Timestamp,
) -> Result<String, CmdError> {
    let format = match output {
        ListOutput::Format(format) => *format,
        ListOutput::JsonPath(template) => {
            let values = items.iter().map(object_value).collect::<Result<_, _>>()?;
            let mut text = template.render(&list_value(values))?;
            text.push('\n');
            return Ok(text);
        }
        ListOutput::CustomColumns(_) => OutputFormat::Table,
    };
    if let Some(table) = tabulate(items, output, options, now)? {
        return Ok(table.render(style, options.headers));
    }
    let values = items
        .iter()
        .map(object_value)
        .collect::<Result<Vec<_>, _>>()?;
    // Tables were made above: what is left for people is `-o name`.
    emit(format, &list_value(values), |_| {
        Ok(items
            .iter()
            .map(|i| instances::resource_name(i.name()) + "\n")
            .collect())
    })
}

/// The table `output` shows, when it is one (`table`, `wide`, `custom-columns`).
pub fn tabulate(
    items: &[MulticloudInstance],
    output: &ListOutput,
    options: TableOptions,
    now: Timestamp,
) -> Result<Option<Table>, CmdError> {
    match output {
        ListOutput::CustomColumns(columns) => custom_columns(items, columns).map(Some),
        ListOutput::Format(format @ (OutputFormat::Table | OutputFormat::Wide)) => {
            let wide = *format == OutputFormat::Wide;
            Ok(Some(table(items, wide, options.show_labels, now)))
        }
        _ => Ok(None),
    }
}

/// The columns of `list`, then those of `-o wide`, then `LABELS` with `--show-labels`.
const COLUMNS: &[&str] = &[
    "name",
    "virtual cluster",
    "management cluster",
    "storage",
    "ha",
    "phase",
    "members",
    "version",
    "age",
];
const WIDE_COLUMNS: &[&str] = &[
    "replicas",
    "storage class",
    "deletion policy",
    "ready",
    "display name",
];

fn table(items: &[MulticloudInstance], wide: bool, labels: bool, now: Timestamp) -> Table {
    let mut headers = COLUMNS.to_vec();
    if wide {
        headers.extend(WIDE_COLUMNS);
    }
    if labels {
        headers.push("labels");
    }
    let mut table = Table::new(headers);
    for instance in items {
        let mut row = cells(instance, now);
        if wide {
            row.extend(wide_cells(instance));
        }
        if labels {
            row.push(labels_text(instance).into());
        }
        table.row(row);
    }
    table
}

/// The cells of [`COLUMNS`] for `instance`.
fn cells(instance: &MulticloudInstance, now: Timestamp) -> Vec<Cell> {
    let spec = &instance.spec;
    let status = instance.status.clone().unwrap_or_default();
    let ha = match &instance.status {
        Some(status) => status.high_availability,
        None => assess_availability(spec).high_availability,
    };
    let phase = status.phase;
    let paint = match phase {
        Some(Phase::Running) => Some(Paint::Good),
        Some(Phase::Failed) => Some(Paint::Bad),
        Some(Phase::Deleting) | Some(Phase::Pending) | Some(Phase::Provisioning) => {
            Some(Paint::Warn)
        }
        None => None,
    };
    let age = instance
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| age(now, t.0))
        .map(human_age)
        .unwrap_or_default();
    let version = status
        .karmada
        .as_ref()
        .and_then(|k| k.version.clone())
        .unwrap_or_else(|| spec.karmada.version.clone());
    vec![
        instance.name().into(),
        spec.virtual_cluster_name.clone().unwrap_or_default().into(),
        spec.management_cluster.clone().into(),
        storage(spec.etcd.storage.type_).into(),
        ha.to_string().into(),
        Cell::painted(phase.map(|p| p.to_string()).unwrap_or_default(), paint),
        status.member_clusters.to_string().into(),
        version.into(),
        age.into(),
    ]
}

/// The cells of [`WIDE_COLUMNS`] for `instance`.
fn wide_cells(instance: &MulticloudInstance) -> Vec<Cell> {
    let spec = &instance.spec;
    let class = match spec.etcd.storage.type_ {
        StorageType::PersistentVolumeClaim => spec
            .etcd
            .storage
            .class_name()
            .unwrap_or("(default)")
            .to_owned(),
        _ => String::new(),
    };
    let ready = instance
        .status
        .as_ref()
        .and_then(|s| s.condition("Ready"))
        .map(|c| c.reason.clone())
        .unwrap_or_default();
    vec![
        spec.etcd.replicas.to_string().into(),
        class.into(),
        spec.deletion_policy.to_string().into(),
        ready.into(),
        spec.display_name.clone().unwrap_or_default().into(),
    ]
}

/// `-o custom-columns`: one row per instance, each cell an expression's values.
fn custom_columns(
    items: &[MulticloudInstance],
    columns: &[(String, String)],
) -> Result<Table, CmdError> {
    let mut table = Table::new(columns.iter().map(|(header, _)| header.clone()));
    for instance in items {
        let value = object_value(instance)?;
        let mut row = Vec::new();
        for (_, expression) in columns {
            let found = query_values(&value, expression)?;
            let text: Vec<String> = found.iter().map(|v| scalar(v)).collect();
            row.push(text.join(","));
        }
        table.row(row);
    }
    Ok(table)
}

/// Short storage type names for the table.
fn storage(kind: StorageType) -> &'static str {
    match kind {
        StorageType::PersistentVolumeClaim => "PVC",
        StorageType::HostPath => "HostPath",
        StorageType::EmptyDir => "EmptyDir",
    }
}

#[cfg(test)]
mod tests;
