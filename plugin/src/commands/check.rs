//! `check`: the admission rules, offline. Each instance in the files goes through the same
//! `multicloud_api::rules::admit` the webhooks run, against the management clusters described in
//! a clusters file, and the verdict, the reasons, the warnings and the object as it would be
//! stored are shown. No cluster is contacted.

use std::path::{Path, PathBuf};

use clap::Args;
use multicloud_api::clusters::{ClusterCatalog, ClusterDirectory, WithHostPathRoot};
use multicloud_api::rules::{Operation, Request, Violation, admit, check_host_path_form};
use serde::Serialize;
use serde_json::Value;

use crate::clusters::AssumeReady;
use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{OutputFormat, REPORT_FORMATS, formats};
use crate::output::{Output, emit, object_value};
use input::Document;

/// Flags of `check`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when every instance is admitted, 1 when any is denied \
                        or the input cannot be read."
)]
pub struct CheckArgs {
    /// Instance files or directories (`-` reads stdin); YAML with any number of documents, or
    /// JSON. Objects of other kinds are skipped.
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE|DIR",
        required = true
    )]
    pub files: Vec<PathBuf>,

    /// The management clusters and their StorageClasses, as the webhook would see them (see
    /// manifests/examples/clusters.yaml). Without it, every cluster an instance names is assumed
    /// registered, with the StorageClass the instance needs.
    #[arg(long, value_name = "FILE")]
    pub clusters: Option<PathBuf>,

    /// The webhook's --host-path-root: every etcd hostPath must lie strictly under it (default:
    /// the clusters file's `hostPathRoot`, else /var/lib/multicloud).
    #[arg(long, value_name = "DIR", value_parser = host_path_root)]
    pub host_path_root: Option<String>,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = formats(REPORT_FORMATS))]
    pub output: OutputFormat,
}

/// A `--host-path-root` as the webhook accepts it: absolute, in normal form, not `/`.
fn host_path_root(root: &str) -> Result<String, String> {
    check_host_path_form(root)?;
    if root == "/" {
        return Err("must not be `/`, which would admit any directory of the node".to_owned());
    }
    Ok(root.to_owned())
}

/// The verdict on one instance.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    /// `file:line` of the instance.
    pub source: String,
    /// Instance name.
    pub name: String,
    /// Whether both webhooks admit it.
    pub allowed: bool,
    /// Why not.
    pub violations: Vec<Violation>,
    /// Warnings the API server would return.
    pub warnings: Vec<String>,
    /// The mutating webhook's JSON Patch.
    pub patch: Value,
    /// The object as it would be stored, when admitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    /// The object as written.
    #[serde(skip)]
    original: Option<Value>,
    /// The object with the CRD schema's defaults, before the webhook.
    #[serde(skip)]
    defaulted: Option<Value>,
}

impl Verdict {
    /// An instance the API server itself refuses, before any webhook.
    fn refused(source: String, name: String, violations: Vec<Violation>) -> Self {
        Verdict {
            source,
            name,
            allowed: false,
            violations,
            warnings: Vec::new(),
            patch: Value::Array(Vec::new()),
            object: None,
            original: None,
            defaulted: None,
        }
    }
}

/// Everything `check` found.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The clusters file, if one was given.
    pub clusters: Option<String>,
    /// One verdict per instance, in input order.
    pub results: Vec<Verdict>,
    /// Documents that are not instances, as `file:line kind`.
    pub skipped: Vec<String>,
}

impl CheckArgs {
    /// Runs the check.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let catalog = match &self.clusters {
            Some(path) => Some(load_catalog(path)?),
            None => None,
        };
        let documents = input::load(&self.files, self.clusters.as_deref())?;
        let report = check(
            documents,
            catalog.as_ref(),
            self.clusters.as_deref(),
            self.host_path_root.as_deref(),
        )?;
        let denied = report.results.iter().any(|v| !v.allowed);
        let text = emit(self.output, &report, |report| {
            render(report, catalog.as_ref(), ctx.stdout)
        })?;
        Ok(Output::text(text).with_status(!denied))
    }
}

/// Reads a clusters file.
pub fn load_catalog(path: &Path) -> Result<ClusterCatalog, CmdError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CmdError::io(format!("failed to read {}", path.display()), e))?;
    parse_catalog(&path.display().to_string(), &text)
}

/// Parses the text of clusters file `file`.
pub fn parse_catalog(file: &str, text: &str) -> Result<ClusterCatalog, CmdError> {
    let what = "not a clusters file (manifests/examples/clusters.yaml shows the format): ";
    let mut value: serde_json::Value =
        multicloud_api::yaml::from_str(text).map_err(|e| input::yaml_error(file, 0, what, &e))?;
    if value.is_null() {
        // An empty file is an empty mapping, which names the field it lacks.
        value = serde_json::json!({});
    }
    input::typed(&value, Some((text, 0)))
        .map_err(|(at, message)| input::located(file, at, format!("{what}{message}")))
}

/// Admits every instance of `documents` against `catalog` (or the assumption without one),
/// with `host_path_root` in place of the catalog's when given.
pub fn check(
    documents: Vec<Document>,
    catalog: Option<&ClusterCatalog>,
    clusters_file: Option<&Path>,
    host_path_root: Option<&str>,
) -> Result<Report, CmdError> {
    let mut results = Vec::new();
    let mut skipped = Vec::new();
    for document in documents {
        let (source, written) = match document {
            Document::Instance(source, written) => (source, written),
            Document::Refused(source, name, violations) => {
                results.push(Verdict::refused(source.to_string(), name, violations));
                continue;
            }
            Document::Other(source, kind) => {
                skipped.push(format!("{source} {kind}"));
                continue;
            }
        };
        results.push(verdict(&source, &written, catalog, host_path_root)?);
    }
    if results.is_empty() {
        return Err(CmdError::msg(format!(
            "no MulticloudInstance found in the input{}",
            if skipped.is_empty() {
                String::new()
            } else {
                format!(" (skipped: {})", skipped.join(", "))
            }
        )));
    }
    Ok(Report {
        clusters: clusters_file.map(|p| p.display().to_string()),
        results,
        skipped,
    })
}

/// The webhook's verdict on one instance as written, against `catalog` (or the assumption
/// that every cluster is ready) with `host_path_root` in place of the catalog's when given.
fn verdict(
    source: &input::Source,
    written: &input::Written,
    catalog: Option<&ClusterCatalog>,
    host_path_root: Option<&str>,
) -> Result<Verdict, CmdError> {
    let instance = &written.instance;
    let request = Request {
        operation: Operation::Create,
        uid: multicloud_api::rules::OFFLINE_UID,
        object: Some(instance),
        old_object: None,
    };
    let assumed = AssumeReady(instance);
    let known: &dyn ClusterDirectory = match catalog {
        Some(catalog) => catalog,
        None => &assumed,
    };
    let rooted;
    let directory = match host_path_root {
        Some(root) => {
            rooted = WithHostPathRoot { inner: known, root };
            &rooted as &dyn ClusterDirectory
        }
        None => known,
    };
    let admission = admit(&request, directory)
        .map_err(|e| CmdError::with_source(format!("{source}: the check itself failed"), e))?;
    let decision = admission.decision;
    let allowed = decision.allowed();
    let patch = serde_json::to_value(&decision.patch)
        .map_err(|e| CmdError::with_source("failed to render the patch", e))?;
    let object = match admission.object.as_ref().filter(|_| allowed) {
        Some(object) => Some(object_value(object)?),
        None => None,
    };
    Ok(Verdict {
        source: source.to_string(),
        name: instance.name().to_owned(),
        allowed,
        violations: decision.violations,
        warnings: decision.warnings,
        patch,
        object,
        original: Some(written.as_written.clone()),
        defaulted: Some(written.defaulted.clone()),
    })
}

pub mod input;
mod linediff;
mod render;

pub use render::render;

#[cfg(test)]
mod tests;
