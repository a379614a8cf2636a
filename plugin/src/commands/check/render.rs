//! The report of `check` for people: each instance's verdict, its reasons and warnings, and the
//! object as it would be stored with the webhook's additions marked.

use std::fmt::Write as _;

use multicloud_api::clusters::{ClusterCatalog, ClusterState};
use multicloud_api::keys::HIGH_AVAILABILITY_REASON_ANNOTATION;

use super::linediff::{Line, diff};
use super::{Report, Verdict};
use crate::error::CmdError;
use crate::output::to_yaml;
use crate::style::{Paint, Style};

/// The report for people.
pub fn render(
    report: &Report,
    catalog: Option<&ClusterCatalog>,
    style: Style,
) -> Result<String, CmdError> {
    let mut out = String::new();
    match (&report.clusters, catalog) {
        (Some(file), Some(catalog)) => {
            let _ = writeln!(out, "Management clusters (from {file}):");
            for (name, state) in &catalog.clusters {
                let _ = writeln!(out, "  {name:<12} {}", describe_cluster(state));
            }
        }
        _ => {
            let _ = writeln!(
                out,
                "No --clusters file: every management cluster is assumed registered, with the \
                 StorageClass each instance needs."
            );
        }
    }
    for verdict in &report.results {
        out.push('\n');
        render_verdict(&mut out, verdict, style)?;
    }
    out.push('\n');
    for skipped in &report.skipped {
        let _ = writeln!(
            out,
            "{}",
            style.paint(
                Paint::Dim,
                &format!("skipped {skipped}: not a MulticloudInstance")
            )
        );
    }
    let denied = report.results.iter().filter(|v| !v.allowed).count();
    let admitted = report.results.len() - denied;
    let warned = report
        .results
        .iter()
        .filter(|v| v.allowed && !v.warnings.is_empty())
        .count();
    let with_warnings = match warned {
        0 => String::new(),
        1 => " (1 with a warning)".to_owned(),
        n => format!(" ({n} with warnings)"),
    };
    let total = plural(report.results.len(), "instance");
    let summary = format!("{total}: {admitted} admitted{with_warnings}, {denied} denied.");
    let paint = if denied > 0 { Paint::Bad } else { Paint::Good };
    let _ = writeln!(out, "{}", style.paint(paint, &summary));
    Ok(out)
}

fn render_verdict(out: &mut String, verdict: &Verdict, style: Style) -> Result<(), CmdError> {
    if !verdict.allowed {
        render_denied(out, verdict, style);
        return Ok(());
    }
    let name = style.paint(Paint::Bold, &verdict.name);
    let ha_reason = verdict
        .object
        .as_ref()
        .and_then(|o| o["metadata"]["annotations"][HIGH_AVAILABILITY_REASON_ANNOTATION].as_str());
    let availability = match ha_reason {
        Some(reason) => format!("not highly available: {reason}"),
        None => "highly available".to_owned(),
    };
    let (mark, paint, verdict_text) = match verdict.warnings.len() {
        0 => ("✓", Paint::Good, "admitted".to_owned()),
        1 => ("!", Paint::Warn, "admitted with a warning".to_owned()),
        n => ("!", Paint::Warn, format!("admitted with {n} warnings")),
    };
    let _ = writeln!(
        out,
        "{} {name}: {} ({availability})",
        style.paint(paint, mark),
        style.paint(paint, &verdict_text)
    );
    let _ = writeln!(out, "    {}", from(verdict, style));
    for warning in &verdict.warnings {
        let _ = writeln!(
            out,
            "    {} {warning}",
            style.paint(Paint::Warn, "Warning:")
        );
    }
    let legend = "stored as (* marks the CRD schema's defaults, + what the webhook adds):";
    let _ = writeln!(out, "    {}", style.paint(Paint::Dim, legend));
    if let (Some(original), Some(defaulted), Some(object)) =
        (&verdict.original, &verdict.defaulted, &verdict.object)
    {
        stored_as(
            out,
            &to_yaml(original)?,
            &to_yaml(defaulted)?,
            &to_yaml(object)?,
            style,
        );
    }
    Ok(())
}

/// A denied instance: its name, where it was read, and every reason.
fn render_denied(out: &mut String, verdict: &Verdict, style: Style) {
    let _ = writeln!(
        out,
        "{} {}: {}",
        style.paint(Paint::Bad, "✗"),
        style.paint(Paint::Bold, &verdict.name),
        style.paint(Paint::Bad, "denied")
    );
    let _ = writeln!(out, "    {}", from(verdict, style));
    for violation in &verdict.violations {
        let _ = writeln!(out, "    {violation}");
    }
}

/// Where the instance was read, dimmed.
fn from(verdict: &Verdict, style: Style) -> String {
    style.paint(Paint::Dim, &format!("from {}", verdict.source))
}

/// The stored object, each line marked by who wrote it: the file (unmarked), the API server's
/// schema defaults (`*`) or the mutating webhook (`+`); lines the webhook removed are `-`.
fn stored_as(out: &mut String, written: &str, defaulted: &str, stored: &str, style: Style) {
    // Which lines of the defaulted text the defaults added, by their index in that text.
    let mut from_defaults = Vec::new();
    for line in diff(written, defaulted) {
        match line {
            Line::Same(_) => from_defaults.push(false),
            Line::Added(_) => from_defaults.push(true),
            Line::Removed(_) => {}
        }
    }
    let mut at = 0;
    for line in diff(defaulted, stored) {
        let _ = match line {
            Line::Same(text) => {
                let defaulted = from_defaults.get(at).copied().unwrap_or(false);
                at += 1;
                match defaulted {
                    true => writeln!(out, "    {}", style.paint(Paint::Dim, &format!("* {text}"))),
                    false => writeln!(out, "      {text}"),
                }
            }
            Line::Added(text) => writeln!(
                out,
                "    {}",
                style.paint(Paint::Good, &format!("+ {text}"))
            ),
            Line::Removed(text) => {
                at += 1;
                writeln!(out, "    {}", style.paint(Paint::Bad, &format!("- {text}")))
            }
        };
    }
}

/// A cluster as one line: its state and StorageClasses.
fn describe_cluster(state: &ClusterState) -> String {
    match state {
        ClusterState::Ready { storage_classes } if storage_classes.is_empty() => {
            "StorageClasses: none".to_owned()
        }
        ClusterState::Ready { storage_classes } => {
            let classes = storage_classes
                .iter()
                .map(|c| {
                    if c.default {
                        format!("{} (default)", c.name)
                    } else {
                        c.name.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            format!("StorageClasses: {classes}")
        }
        ClusterState::NotSynced => "not synced yet".to_owned(),
        ClusterState::Unreachable { reason } => format!("unreachable: {reason}"),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
