//! `get NAME...` / `get -l SELECTOR`: instances by name or label, in any format of `list`.
//!
//! As with kubectl, one name gives the object itself in JSON and YAML, several a `List`; names
//! that do not exist are reported after the ones that do, and make the exit status 1. With
//! `--watch`, a name that does not exist ends the command at once, before any watch.

use clap::Args;
use k8s_openapi::jiff::Timestamp;
use multicloud_api::MulticloudInstance;

use crate::commands::list::{ListOutput, ViewArgs, render, watch};
use crate::context::Context;
use crate::error::CmdError;
use crate::flags::{Connection, OutputFormat};
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

    #[command(flatten)]
    pub view: ViewArgs,

    #[command(flatten)]
    pub connection: Connection,
}

impl GetArgs {
    /// Gets.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let (mut found, missing, version) = self.look_up(&client).await?;
        self.view.sort(&mut found)?;
        let errors: Vec<String> = missing.iter().map(|name| not_found(name)).collect();
        if self.view.watch {
            if !errors.is_empty() {
                // As kubectl: a name that is not there ends the command before any watch.
                return Ok(Output::text(String::new()).with_errors(errors));
            }
            let from = watch::From {
                version,
                selector: self.selector.clone(),
                name: (self.names.len() == 1).then(|| self.names[0].clone()),
            };
            let keep = |i: &MulticloudInstance| {
                self.selector.is_some() || self.names.iter().any(|n| n == i.name())
            };
            return watch::follow(ctx, &client, found, from, &keep, &self.view).await;
        }
        let single = self.selector.is_none() && self.names.len() == 1;
        let text = match (&self.view.output, found.first()) {
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
                self.view.table(),
                ctx.stdout,
                Timestamp::now(),
            )?,
        };
        Ok(Output::text(text).with_errors(errors))
    }

    /// The instances asked for, the names not found, and the resourceVersion a watch starts
    /// from (a list's: a watch cannot start at an object's).
    async fn look_up(
        &self,
        client: &kube::Client,
    ) -> Result<(Vec<MulticloudInstance>, Vec<String>, String), CmdError> {
        if let Some(selector) = &self.selector {
            let (found, version) = instances::list_versioned(client, Some(selector)).await?;
            return Ok((found, Vec::new(), version));
        }
        let mut found = Vec::new();
        let mut missing = Vec::new();
        if self.view.watch {
            let (all, version) = instances::list_versioned(client, None).await?;
            for name in &self.names {
                match all.iter().find(|i| i.name() == name) {
                    Some(instance) => found.push(instance.clone()),
                    None => missing.push(name.clone()),
                }
            }
            return Ok((found, missing, version));
        }
        for name in &self.names {
            match instances::get_opt(client, name).await? {
                Some(instance) => found.push(instance),
                None => missing.push(name.clone()),
            }
        }
        Ok((found, missing, String::new()))
    }
}

fn not_found(name: &str) -> String {
    format!("instance `{name}` not found; `kubectl multicloud list` shows the instances")
}
