//! `describe NAME`: the instance in detail, as `kubectl describe` would show it, plus what is on
//! its management cluster: spec, status, conditions, the Karmada CR's condition, component health
//! and recent Events.

use std::fmt::Write as _;

use clap::Args;
use k8s_openapi::jiff::Timestamp;
use multicloud_api::StorageType;
use multicloud_api::names;

use crate::context::Context;
use crate::duration::human_age;
use crate::error::CmdError;
use crate::events::{self, EventLine};
use crate::flags::Connection;
use crate::instances;
use crate::observe::{Observation, Workload, observe};
use crate::output::Output;
use crate::style::{Paint, Style};
use crate::table::{Cell, Table};

/// How many Events are shown at most.
const EVENTS_SHOWN: usize = 15;

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
    let instance = &observed.instance;
    let spec = &instance.spec;
    let status = instance.status.clone().unwrap_or_default();
    let mut out = String::new();
    let age = |t: Option<Timestamp>| {
        t.and_then(|t| crate::duration::age(now, t))
            .map(human_age)
            .unwrap_or_else(|| "<unknown>".into())
    };
    let field = |out: &mut String, indent: usize, key: &str, value: &str| {
        let key = format!("{}{key}:", " ".repeat(indent));
        let _ = writeln!(
            out,
            "{key:<22}{}",
            if value.is_empty() { "<none>" } else { value }
        );
    };
    field(&mut out, 0, "Name", instance.name());
    if let Some(display) = &spec.display_name {
        field(&mut out, 0, "Display Name", display);
    }
    field(
        &mut out,
        0,
        "Virtual Cluster",
        spec.virtual_cluster_name.as_deref().unwrap_or_default(),
    );
    let version = observed
        .management
        .as_ref()
        .map(|m| format!(" ({})", m.version))
        .unwrap_or_default();
    field(
        &mut out,
        0,
        "Management Cluster",
        &format!("{}{version}", spec.management_cluster),
    );
    let pairs = |map: &Option<std::collections::BTreeMap<String, String>>| {
        map.iter()
            .flatten()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
    };
    for (key, values) in [
        ("Labels", pairs(&instance.metadata.labels)),
        ("Annotations", pairs(&instance.metadata.annotations)),
    ] {
        let mut values = values.into_iter();
        field(&mut out, 0, key, &values.next().unwrap_or_default());
        for value in values {
            let _ = writeln!(out, "{:<22}{value}", "");
        }
    }
    let created = instance.metadata.creation_timestamp.as_ref().map(|t| t.0);
    field(
        &mut out,
        0,
        "Created",
        &created
            .map(|t| format!("{} ({} ago)", t, age(Some(t))))
            .unwrap_or_default(),
    );

    let _ = writeln!(out, "{}", style.paint(Paint::Bold, "Spec:"));
    field(&mut out, 2, "Karmada Version", &spec.karmada.version);
    let storage = &spec.etcd.storage;
    let storage_text = match storage.type_ {
        StorageType::PersistentVolumeClaim => format!(
            "PersistentVolumeClaim, class {}, {} each",
            storage.class_name().unwrap_or("(the cluster's default)"),
            storage.size_or_default()
        ),
        StorageType::HostPath => format!(
            "HostPath {}",
            storage.host_path().unwrap_or("(default path)")
        ),
        StorageType::EmptyDir => "EmptyDir (lost when the pod restarts)".to_owned(),
    };
    field(
        &mut out,
        2,
        "etcd",
        &format!("{} replica(s), {storage_text}", spec.etcd.replicas),
    );
    field(
        &mut out,
        2,
        "Deletion Policy",
        &spec.deletion_policy.to_string(),
    );

    let _ = writeln!(out, "{}", style.paint(Paint::Bold, "Status:"));
    let phase = status
        .phase
        .map(|p| p.to_string())
        .unwrap_or_else(|| "<none>".into());
    field(&mut out, 2, "Phase", &phase);
    field(
        &mut out,
        2,
        "High Availability",
        &status.high_availability.to_string(),
    );
    field(
        &mut out,
        2,
        "Member Clusters",
        &status.member_clusters.to_string(),
    );
    let karmada = status
        .karmada
        .as_ref()
        .map(|k| format!("{}/{}", k.namespace, k.name))
        .unwrap_or_default();
    field(&mut out, 2, "Karmada", &karmada);
    let secret = status
        .kubeconfig_secret_ref
        .as_ref()
        .map(|r| format!("{}/{}", r.namespace, r.name))
        .unwrap_or_default();
    field(&mut out, 2, "Kubeconfig Secret", &secret);

    let _ = writeln!(out, "{}", style.paint(Paint::Bold, "Conditions:"));
    if status.conditions.is_empty() {
        let _ = writeln!(out, "  <none>");
    } else {
        let mut table = Table::new(["type", "status", "reason", "age", "message"]);
        for c in &status.conditions {
            let paint = match c.status.as_str() {
                "True" => Paint::Good,
                "False" => Paint::Bad,
                _ => Paint::Warn,
            };
            let since = c
                .last_transition_time
                .as_deref()
                .and_then(|t| t.parse::<Timestamp>().ok());
            table.row([
                Cell::from(c.type_.clone()),
                Cell::painted(c.status.clone(), Some(paint)),
                Cell::from(c.reason.clone()),
                Cell::from(age(since)),
                Cell::from(c.message.clone()),
            ]);
        }
        indent(&mut out, &table.render(style, true));
    }

    let _ = writeln!(out, "{}", style.paint(Paint::Bold, "Karmada CR:"));
    let karmada_line = match (&observed.karmada_crd, &observed.karmada) {
        (Ok(false), _) => {
            "karmada-operator's CRD is not installed in the global cluster".to_owned()
        }
        (_, Err(why)) => format!("cannot be read: {why}"),
        (_, Ok(None)) => "not created yet".to_owned(),
        (_, Ok(Some(karmada))) => match karmada.status.as_ref().and_then(|s| s.ready()) {
            Some(ready) => format!("Ready={} {}: {}", ready.status, ready.reason, ready.message),
            None => "created; karmada-operator has not reported yet".to_owned(),
        },
    };
    let _ = writeln!(out, "  {karmada_line}");

    let _ = writeln!(
        out,
        "{}",
        style.paint(
            Paint::Bold,
            &format!(
                "Components (on management cluster {}):",
                spec.management_cluster
            )
        )
    );
    match &observed.management {
        Err(why) => {
            let _ = writeln!(
                out,
                "  {}",
                style.paint(Paint::Bad, &format!("unreachable: {why}"))
            );
        }
        Ok(management) => {
            let objects = multicloud_api::names::KarmadaObjects::for_instance(instance.name());
            let claims = match &management.claims {
                Err(why) => format!("cannot be read: {why}"),
                Ok(claims) if claims.is_empty() => format!("none ({} storage)", storage.type_),
                Ok(claims) => claims
                    .iter()
                    .map(|c| format!("{} {}", c.name, c.phase.as_deref().unwrap_or("not created")))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            field(&mut out, 2, "etcd PVCs", &claims);
            field(
                &mut out,
                2,
                "etcd",
                &workload(&objects.etcd_statefulset(), &management.etcd),
            );
            field(
                &mut out,
                2,
                "karmada apiserver",
                &workload(&objects.apiserver_deployment(), &management.apiserver),
            );
        }
    }

    let _ = writeln!(out, "{}", style.paint(Paint::Bold, "Events:"));
    if recent.is_empty() {
        let _ = writeln!(out, "  <none>");
    } else {
        let mut table = Table::new(["type", "reason", "age", "object", "message"]);
        for event in recent.iter().rev().take(EVENTS_SHOWN).rev() {
            let paint = (event.type_ == "Warning").then_some(Paint::Warn);
            let times = if event.count > 1 {
                format!(" (x{})", event.count)
            } else {
                String::new()
            };
            table.row([
                Cell::painted(event.type_.clone(), paint),
                Cell::from(event.reason.clone()),
                Cell::from(format!("{}{times}", age(event.last))),
                Cell::from(event.object.clone()),
                Cell::from(event.message.clone()),
            ]);
        }
        indent(&mut out, &table.render(style, true));
    }
    out
}

fn workload(name: &str, part: &Result<Option<Workload>, String>) -> String {
    match part {
        Err(why) => format!("{name}: cannot be read: {why}"),
        Ok(None) => format!("{name}: not created yet"),
        Ok(Some(w)) => {
            let state = if w.up { "up" } else { "not ready" };
            let message = w
                .message
                .as_deref()
                .map(|m| format!("; {m}"))
                .unwrap_or_default();
            format!("{name}: {}/{} ready, {state}{message}", w.ready, w.desired)
        }
    }
}

fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        let _ = writeln!(out, "  {line}");
    }
}

#[cfg(test)]
mod tests;
