//! `get NAME`: one instance, as a table row, JSON, YAML or its name.

use clap::Args;
use k8s_openapi::jiff::Timestamp;

use crate::cli::{Connection, OutputFormat, formats};
use crate::commands::list::{LIST_FORMATS, render};
use crate::context::Context;
use crate::error::CmdError;
use crate::instances;
use crate::output::{Output, object_value, to_json, to_yaml};

/// Flags of `get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Instance name.
    pub name: String,

    /// Output format.
    #[arg(short, long, default_value = "table", value_parser = formats(LIST_FORMATS))]
    pub output: OutputFormat,

    #[command(flatten)]
    pub connection: Connection,
}

impl GetArgs {
    /// Gets.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let instance = instances::get(&client, &self.name).await?;
        let text = match self.output {
            OutputFormat::Json => to_json(&object_value(&instance)?)?,
            OutputFormat::Yaml => to_yaml(&object_value(&instance)?)?,
            format => render(
                std::slice::from_ref(&instance),
                format,
                true,
                ctx.stdout,
                Timestamp::now(),
            )?,
        };
        Ok(Output::text(text))
    }
}
