//! `diagnose NAME`: walks the instance's install in order (management cluster reachable,
//! StorageClass, etcd PVCs, etcd StatefulSet, karmada apiserver, Karmada CR, karmada-operator's
//! CRD) and gives the first failing step its cause and its fix. Exit status 0 when healthy,
//! 1 when problems were found.

mod checks;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use clap::Args;
use serde::Serialize;

use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{Connection, OutputFormat, REPORT_FORMATS, formats};
use crate::instances;
use crate::observe::observe;
use crate::output::{Output, emit};
use crate::style::{Paint, Style};
use crate::table::{Cell, Table};

pub use checks::{Check, Verdict, checklist};

/// Flags of `diagnose`.
#[derive(Debug, Args)]
#[command(after_help = "Exit status: 0 when every step is fine, 1 when a problem was found.")]
pub struct DiagnoseArgs {
    /// Instance name.
    pub name: String,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = formats(REPORT_FORMATS))]
    pub output: OutputFormat,

    #[command(flatten)]
    pub connection: Connection,
}

/// The diagnosis, as `-o json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnosis {
    /// The instance.
    pub instance: String,
    /// Its management cluster.
    pub management_cluster: String,
    /// Whether every step is Ok.
    pub healthy: bool,
    /// Every step, in install order.
    pub steps: Vec<Check>,
}

impl DiagnoseArgs {
    /// Diagnoses.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let instance = instances::get(&client, &self.name).await?;
        let observed = observe(ctx, &client, instance).await;
        let steps = checklist(&observed);
        let diagnosis = Diagnosis {
            instance: self.name.clone(),
            management_cluster: observed.instance.spec.management_cluster.clone(),
            healthy: steps.iter().all(|s| s.verdict == Verdict::Ok),
            steps,
        };
        let text = emit(self.output, &diagnosis, |diagnosis| {
            Ok(render(diagnosis, ctx.stdout))
        })?;
        Ok(Output::text(text).with_status(diagnosis.healthy))
    }
}

/// The checklist for people.
pub fn render(diagnosis: &Diagnosis, style: Style) -> String {
    let mut out = format!(
        "Diagnosing instance {} on management cluster {}:\n\n",
        style.paint(Paint::Bold, &diagnosis.instance),
        diagnosis.management_cluster
    );
    let mut table = Table::new(["", "step", "found"]);
    for check in &diagnosis.steps {
        let (mark, paint) = match check.verdict {
            Verdict::Ok => ("✓", Paint::Good),
            Verdict::Waiting => ("…", Paint::Warn),
            Verdict::Failed => ("✗", Paint::Bad),
        };
        table.row([
            Cell::painted(mark, Some(paint)),
            Cell::from(check.step),
            Cell::from(check.detail.clone()),
        ]);
    }
    out.push_str(&table.render(style, false));
    out.push('\n');
    // Later problems usually follow from the first; fixing it first is the way forward.
    match diagnosis.steps.iter().find(|s| s.verdict != Verdict::Ok) {
        None => {
            let _ = writeln!(
                out,
                "{}",
                style.paint(Paint::Good, "Healthy: every step is done.")
            );
        }
        Some(first) => {
            let headline = match first.verdict {
                Verdict::Waiting => "Waiting at:",
                _ => "First problem:",
            };
            let _ = writeln!(
                out,
                "{} {}",
                style.paint(Paint::Bad, headline),
                style.paint(Paint::Bold, first.step)
            );
            if let Some(cause) = &first.cause {
                let _ = writeln!(out, "  cause: {cause}");
            }
            if let Some(fix) = &first.fix {
                let _ = writeln!(out, "  fix:   {fix}");
            }
        }
    }
    out
}
