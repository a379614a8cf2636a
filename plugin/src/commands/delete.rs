//! `delete NAME...`, `delete -l SELECTOR`, `delete --all`: asks for each name on a terminal,
//! applies a deletion policy override, refuses while member clusters are joined, deletes, and
//! with `--wait` follows the deletion. Instances chosen by selector get exactly the questions
//! and refusals of instances chosen by name.

use std::io::Write as _;
use std::time::Duration;

use clap::{ArgGroup, Args};
use kube::api::{DeleteParams, Patch, PatchParams};
use multicloud_api::rules::{Operation, Request, validate};
use multicloud_api::{DeletionPolicy, MulticloudInstance};

use crate::clusters::AssumeReady;
use crate::context::Context;
use crate::duration::human_duration;
use crate::error::{CmdError, report};
use crate::flags::{Connection, OutputFormat, formats};
use crate::instances;
use crate::output::{Output, Status};
use crate::wait;

mod abandon;

/// Flags of `delete`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("which").required(true).args(["names", "selector", "all"])))]
pub struct DeleteArgs {
    /// Instance names.
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,

    /// Delete the instances matching this label selector, e.g. `team=payments`.
    #[arg(short = 'l', long, value_name = "SELECTOR", conflicts_with_all = ["names", "all"])]
    pub selector: Option<String>,

    /// Delete every instance.
    #[arg(long, conflicts_with = "names")]
    pub all: bool,

    /// `name`: print only `multicloudinstance.multicloud.dev/NAME` of each deleted instance.
    #[arg(short, long, value_parser = formats(&[OutputFormat::Name]))]
    pub output: Option<OutputFormat>,

    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Keep the Karmada control plane (set deletionPolicy Retain first).
    #[arg(long, conflicts_with = "delete_karmada")]
    pub retain_karmada: bool,

    /// Delete the Karmada control plane with the instance (set deletionPolicy Delete first).
    #[arg(long)]
    pub delete_karmada: bool,

    /// Give up the Karmada control plane: karmada-operator skips its teardown (label
    /// operator.karmada.io/disable-cascading-deletion), so a deletion that cannot finish (no
    /// operator, unreachable management cluster) can; waits, then lists what was left behind.
    #[arg(long)]
    pub abandon_control_plane: bool,

    /// Succeed for instances that do not exist.
    #[arg(long)]
    pub ignore_not_found: bool,

    /// Wait until each instance is gone, showing what its deletion waits for.
    #[arg(long)]
    pub wait: bool,

    /// How long --wait (or --abandon-control-plane) waits for each instance.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = multicloud_api::duration::parse)]
    pub timeout: Duration,

    #[command(flatten)]
    pub connection: Connection,
}

impl DeleteArgs {
    /// Deletes each instance; a failure for one is reported and the others are still deleted.
    pub async fn run(&self, ctx: &Context) -> Result<Output, CmdError> {
        let client = ctx.client().await?;
        let names = match (&self.selector, self.all) {
            (None, false) => self.names.clone(),
            (selector, _) => {
                let found = instances::list(&client, selector.as_deref()).await?;
                if found.is_empty() {
                    // On stderr, as kubectl says it: stdout stays a list of what was deleted.
                    eprintln!("No instances found.");
                    return Ok(Output::text(""));
                }
                found.iter().map(|i| i.name().to_owned()).collect()
            }
        };
        let mut output = Output::text("");
        let mut failed = 0;
        for name in &names {
            match self.delete(ctx, &client, name).await {
                Ok(Some(line)) => output.text.push_str(&line),
                Ok(None) => {}
                Err(err) if names.len() == 1 && self.selector.is_none() && !self.all => {
                    return Err(err);
                }
                Err(err) => {
                    failed += 1;
                    ctx.flush_warnings();
                    eprint!("{}", report(&err, ctx.stderr));
                }
            }
        }
        if failed > 0 {
            output.status = Status::Problems;
        }
        Ok(output)
    }

    async fn delete(
        &self,
        ctx: &Context,
        client: &kube::Client,
        name: &str,
    ) -> Result<Option<String>, CmdError> {
        let api = instances::api(client);
        let instance = match instances::get(client, name).await {
            Ok(instance) => instance,
            Err(_) if self.ignore_not_found => return Ok(None),
            Err(err) => return Err(err),
        };
        refuse_with_members(&instance)?;
        if ctx.interactive && !self.yes {
            confirm(ctx, &instance, self.policy(), self.abandon_control_plane)?;
        }
        if self.abandon_control_plane {
            abandon::disable_teardown(client, name).await?;
        }
        self.set_policy(&api, &instance).await?;
        let params = DeleteParams::default();
        if instance.metadata.deletion_timestamp.is_none() {
            api.delete(name, &params)
                .await
                .map_err(|e| CmdError::kube(format!("failed to delete instance `{name}`"), e))?;
        }
        if self.abandon_control_plane {
            return self.abandon(ctx, client, &instance).await.map(Some);
        }
        if self.wait {
            ctx.flush_warnings();
            eprintln!(
                "deleting {name}; waiting up to {}",
                human_duration(self.timeout)
            );
            wait::until_deleted(ctx, client, name, self.timeout).await?;
        }
        if self.names_only() {
            return Ok(Some(instances::resource_name(name) + "\n"));
        }
        Ok(Some(format!(
            "{} deleted\n",
            instances::resource_name(name)
        )))
    }

    /// Sets the deletion policy asked for, when it differs from the instance's.
    async fn set_policy(
        &self,
        api: &kube::Api<MulticloudInstance>,
        instance: &MulticloudInstance,
    ) -> Result<(), CmdError> {
        let name = instance.name();
        let Some(policy) = self
            .policy()
            .filter(|policy| *policy != instance.spec.deletion_policy)
        else {
            return Ok(());
        };
        let patch = serde_json::json!({ "spec": { "deletionPolicy": policy } });
        api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .map_err(|e| {
                CmdError::kube(
                    format!("failed to set deletionPolicy {policy} on `{name}`"),
                    e,
                )
            })?;
        Ok(())
    }

    /// After the delete request: lets the instance go without its control plane's teardown,
    /// waits until it is gone, and says what was left behind.
    async fn abandon(
        &self,
        ctx: &Context,
        client: &kube::Client,
        instance: &MulticloudInstance,
    ) -> Result<String, CmdError> {
        let name = instance.name();
        ctx.flush_warnings();
        eprintln!(
            "deleting {name} without tearing its control plane down; waiting up to {}",
            human_duration(self.timeout)
        );
        abandon::release(client, name, self.timeout).await?;
        wait::until_deleted(ctx, client, name, self.timeout).await?;
        let left = abandon::left_behind(ctx, client, instance).await;
        if self.names_only() {
            eprint!("{left}");
            return Ok(instances::resource_name(name) + "\n");
        }
        Ok(format!(
            "{} deleted; its Karmada control plane was abandoned.\n{left}",
            instances::resource_name(name)
        ))
    }

    fn names_only(&self) -> bool {
        self.output == Some(OutputFormat::Name)
    }

    fn policy(&self) -> Option<DeletionPolicy> {
        match (self.retain_karmada, self.delete_karmada) {
            (true, _) => Some(DeletionPolicy::Retain),
            (_, true) => Some(DeletionPolicy::Delete),
            _ => None,
        }
    }
}

/// The safe-delete rule, checked here first so the refusal comes before any question.
pub fn refuse_with_members(instance: &MulticloudInstance) -> Result<(), CmdError> {
    let request = Request {
        operation: Operation::Delete,
        uid: multicloud_api::rules::OFFLINE_UID,
        object: None,
        old_object: Some(instance),
    };
    let decision = validate(&request, &AssumeReady(instance));
    if decision.allowed() {
        return Ok(());
    }
    let members = instance.member_clusters();
    Err(CmdError::Invalid {
        headline: format!(
            "instance `{}` has {members} member cluster{} joined; nothing was deleted:",
            instance.name(),
            if members == 1 { "" } else { "s" }
        ),
        reasons: decision
            .violations
            .iter()
            .map(ToString::to_string)
            .collect(),
    })
}

/// Asks the person at the terminal to type the instance's name.
fn confirm(
    ctx: &Context,
    instance: &MulticloudInstance,
    policy: Option<DeletionPolicy>,
    abandon: bool,
) -> Result<(), CmdError> {
    let name = instance.name();
    let consequence = match policy.unwrap_or(instance.spec.deletion_policy) {
        _ if abandon => {
            "karmada-operator will NOT tear its control plane down: its workloads, Services, \
             Secrets and etcd data may stay on the management cluster"
        }
        DeletionPolicy::Delete => "its Karmada control plane and etcd data are deleted with it",
        DeletionPolicy::Retain => "its Karmada control plane is kept (deletionPolicy Retain)",
    };
    ctx.flush_warnings();
    eprint!(
        "Delete instance {name} (virtual cluster {})? {consequence}.\nType the instance name to \
         confirm: ",
        instance.expected_virtual_cluster()
    );
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CmdError::io("failed to read the confirmation", e))?;
    if answer.trim() == name {
        Ok(())
    } else {
        Err(CmdError::msg(format!(
            "not confirmed (typed `{}`, expected `{name}`); nothing was deleted",
            answer.trim()
        )))
    }
}
