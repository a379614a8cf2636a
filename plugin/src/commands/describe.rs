//! `describe NAME`: the instance in detail, as `kubectl describe` would show it, plus what is on
//! its management cluster: spec, status, conditions, the Karmada CR's condition, component health
//! and recent Events.

use clap::Args;
use k8s_openapi::jiff::Timestamp;
use multicloud_api::names;

use crate::context::Context;
use crate::error::CmdError;
use crate::events::{self, EventLine};
use crate::flags::Connection;
use crate::instances;
use crate::observe::{Observation, observe};
use crate::output::Output;
use crate::style::Style;
use writer::PrefixWriter;

/// Flags of `describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// Instance name.
    pub name: String,

    #[command(flatten)]
    pub connection: Connection,
}

impl DescribeArgs {
    /// Describes.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let instance = instances::get(&client, &self.name).await?;
        let observed = observe(ctx, &client, instance).await;
        let mut recent = events::about(&client, None, "MulticloudInstance", &self.name)
            .await
            .unwrap_or_default();
        if observed.management.is_ok()
            && let Ok(management) = crate::clusters::management_client(
                ctx,
                &client,
                &observed.instance.spec.management_cluster,
            )
            .await
        {
            let namespace = names::namespace(&self.name);
            recent.extend(
                events::in_namespace(&management, &namespace)
                    .await
                    .unwrap_or_default(),
            );
        }
        recent.sort_by_key(|e| e.last);
        Ok(Output::text(render(
            &observed,
            &recent,
            Timestamp::now(),
            ctx.stdout,
        )))
    }
}

/// The description of `observed` with `recent` Events; `now` dates ages.
pub fn render(
    observed: &Observation,
    recent: &[EventLine],
    now: Timestamp,
    style: Style,
) -> String {
    let mut w = PrefixWriter::new(style);
    sections::identity(&mut w, observed, now);
    sections::spec(&mut w, &observed.instance);
    sections::status(&mut w, &observed.instance);
    sections::conditions(&mut w, &observed.instance, now);
    sections::karmada_cr(&mut w, observed);
    sections::components(&mut w, observed);
    sections::events(&mut w, recent, now);
    w.finish()
}

mod sections;
mod writer;

#[cfg(test)]
mod tests;
