//! `get NAME...` / `get -l SELECTOR`: instances by name or label, in any format of `list`.
//!
//! As with kubectl, one name gives the object itself in JSON and YAML, several a `List`; names
//! that do not exist are reported after the ones that do, and make the exit status 1.

use clap::Args;
use k8s_openapi::jiff::Timestamp;

use crate::cli::{Connection, OutputFormat};
use crate::commands::list::{ListOutput, ListOutputParser, render};
use crate::context::Context;
use crate::error::CmdError;
use crate::instances;
use crate::output::{Output, object_value, to_json, to_yaml};

/// Flags of `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Instance names.
    #[arg(value_name = "NAME", required_unless_present = "selector")]
    pub names: Vec<String>,

    /// Label selector instead of names, e.g. `team=payments`.
    #[arg(short = 'l', long, value_name = "SELECTOR", conflicts_with = "names")]
    pub selector: Option<String>,

    /// Output format: table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC.
    #[arg(short, long, default_value = "table", value_parser = ListOutputParser, hide_possible_values = true)]
    pub output: ListOutput,

    /// Leave out the header line of tables.
    #[arg(long)]
    pub no_headers: bool,

    #[command(flatten)]
    pub connection: Connection,
}

impl GetArgs {
    /// Gets.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let (found, missing) = match &self.selector {
            Some(selector) => (instances::list(&client, Some(selector)).await?, Vec::new()),
            None => {
                let mut found = Vec::new();
                let mut missing = Vec::new();
                for name in &self.names {
                    match instances::get_opt(&client, name).await? {
                        Some(instance) => found.push(instance),
                        None => missing.push(name.clone()),
                    }
                }
                (found, missing)
            }
        };
        let single = self.selector.is_none() && self.names.len() == 1;
        let text = match (&self.output, found.first()) {
            (ListOutput::Format(OutputFormat::Json), Some(one)) if single => {
                to_json(&object_value(one)?)?
            }
            (ListOutput::Format(OutputFormat::Yaml), Some(one)) if single => {
                to_yaml(&object_value(one)?)?
            }
            (ListOutput::JsonPath(template), Some(one)) if single => {
                template.render(&object_value(one)?)? + "\n"
            }
            (_, None) if missing.is_empty() => "No instances found.\n".to_owned(),
            (_, None) => String::new(),
            (output, _) => render(
                &found,
                output,
                !self.no_headers,
                ctx.stdout,
                Timestamp::now(),
            )?,
        };
        let errors = missing
            .iter()
            .map(|name| {
                format!(
                    "instance `{name}` not found; `kubectl multicloud list` shows the instances"
                )
            })
            .collect();
        Ok(Output::text(text).with_errors(errors))
    }
}
