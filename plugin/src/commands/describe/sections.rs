//! The sections of `describe`, one function each, in the order they are printed.

use std::collections::BTreeMap;

use k8s_openapi::jiff::Timestamp;
use multicloud_api::names::KarmadaObjects;
use multicloud_api::{EtcdStorage, MulticloudInstance, StorageType};

use super::writer::{IN_SECTION, PrefixWriter, TOP};
use crate::duration::human_age;
use crate::events::EventLine;
use crate::observe::{Management, Observation, Workload};
use crate::style::Paint;
use crate::table::{Cell, Table};

/// How many Events are shown at most.
const EVENTS_SHOWN: usize = 15;

/// How long ago `t` was, from `now`, as kubectl prints ages.
pub fn age(now: Timestamp, t: Option<Timestamp>) -> String {
    t.and_then(|t| crate::duration::age(now, t))
        .map(human_age)
        .unwrap_or_else(|| "<unknown>".into())
}

/// Name, virtual and management cluster, labels, annotations and creation.
pub fn identity(w: &mut PrefixWriter, observed: &Observation, now: Timestamp) {
    let instance = &observed.instance;
    let spec = &instance.spec;
    w.field(TOP, "Name", instance.name());
    if let Some(display) = &spec.display_name {
        w.field(TOP, "Display Name", display);
    }
    let virtual_cluster = spec.virtual_cluster_name.as_deref().unwrap_or_default();
    w.field(TOP, "Virtual Cluster", virtual_cluster);
    let version = observed
        .management
        .as_ref()
        .map(|m| format!(" ({})", m.version))
        .unwrap_or_default();
    let management = format!("{}{version}", spec.management_cluster);
    w.field(TOP, "Management Cluster", &management);
    w.field_lines(TOP, "Labels", &pairs(&instance.metadata.labels));
    w.field_lines(TOP, "Annotations", &pairs(&instance.metadata.annotations));
    let created = instance.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let created = created
        .map(|t| format!("{t} ({} ago)", age(now, Some(t))))
        .unwrap_or_default();
    w.field(TOP, "Created", &created);
}

fn pairs(map: &Option<BTreeMap<String, String>>) -> Vec<String> {
    map.iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}

/// What was asked for: version, etcd, deletion policy.
pub fn spec(w: &mut PrefixWriter, instance: &MulticloudInstance) {
    let spec = &instance.spec;
    w.heading("Spec");
    w.field(IN_SECTION, "Karmada Version", &spec.karmada.version);
    let etcd = format!(
        "{} replica(s), {}",
        spec.etcd.replicas,
        storage(&spec.etcd.storage)
    );
    w.field(IN_SECTION, "etcd", &etcd);
    w.field(
        IN_SECTION,
        "Deletion Policy",
        &spec.deletion_policy.to_string(),
    );
}

fn storage(storage: &EtcdStorage) -> String {
    match storage.type_ {
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
    }
}

/// The status the controller keeps, but its conditions.
pub fn status(w: &mut PrefixWriter, instance: &MulticloudInstance) {
    let status = instance.status.clone().unwrap_or_default();
    w.heading("Status");
    let phase = status.phase.map(|p| p.to_string());
    w.field(IN_SECTION, "Phase", phase.as_deref().unwrap_or_default());
    let high_availability = status.high_availability.to_string();
    w.field(IN_SECTION, "High Availability", &high_availability);
    let members = status.member_clusters.to_string();
    w.field(IN_SECTION, "Member Clusters", &members);
    let at = |namespace: &str, name: &str| format!("{namespace}/{name}");
    let karmada = status.karmada.as_ref().map(|k| at(&k.namespace, &k.name));
    let secret = (status.kubeconfig_secret_ref.as_ref()).map(|r| at(&r.namespace, &r.name));
    for (key, value) in [("Karmada", karmada), ("Kubeconfig Secret", secret)] {
        w.field(IN_SECTION, key, value.as_deref().unwrap_or_default());
    }
}

/// The instance's conditions as a table.
pub fn conditions(w: &mut PrefixWriter, instance: &MulticloudInstance, now: Timestamp) {
    let conditions = instance
        .status
        .as_ref()
        .map(|s| s.conditions.as_slice())
        .unwrap_or_default();
    w.heading("Conditions");
    if conditions.is_empty() {
        w.line(IN_SECTION, "<none>");
        return;
    }
    let mut table = Table::new(["type", "status", "reason", "age", "message"]);
    for c in conditions {
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
            Cell::from(age(now, since)),
            Cell::from(c.message.clone()),
        ]);
    }
    w.block(IN_SECTION, &table.render(w.style(), true));
}

/// The Karmada CR's Ready condition, as karmada-operator reports it.
pub fn karmada_cr(w: &mut PrefixWriter, observed: &Observation) {
    w.heading("Karmada CR");
    let line = match (&observed.karmada_crd, &observed.karmada) {
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
    w.line(IN_SECTION, &line);
}

/// etcd's claims and the health of etcd and the Karmada API server, on the management cluster.
pub fn components(w: &mut PrefixWriter, observed: &Observation) {
    let instance = &observed.instance;
    let cluster = &instance.spec.management_cluster;
    w.heading(&format!("Components (on management cluster {cluster})"));
    let management = match &observed.management {
        Ok(management) => management,
        Err(why) => {
            let unreachable = w.style().paint(Paint::Bad, &format!("unreachable: {why}"));
            w.line(IN_SECTION, &unreachable);
            return;
        }
    };
    let storage_type = instance.spec.etcd.storage.type_;
    w.field(IN_SECTION, "etcd PVCs", &claims(management, storage_type));
    let objects = KarmadaObjects::for_instance(instance.name());
    let etcd = workload(&objects.etcd_statefulset(), &management.etcd);
    w.field(IN_SECTION, "etcd", &etcd);
    let apiserver = workload(&objects.apiserver_deployment(), &management.apiserver);
    w.field(IN_SECTION, "karmada apiserver", &apiserver);
}

fn claims(management: &Management, storage_type: StorageType) -> String {
    match &management.claims {
        Err(why) => format!("cannot be read: {why}"),
        Ok(claims) if claims.is_empty() => format!("none ({storage_type} storage)"),
        Ok(claims) => claims
            .iter()
            .map(|c| format!("{} {}", c.name, c.phase.as_deref().unwrap_or("not created")))
            .collect::<Vec<_>>()
            .join(", "),
    }
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

/// The most recent Events about the instance and in its namespace, oldest first.
pub fn events(w: &mut PrefixWriter, recent: &[EventLine], now: Timestamp) {
    w.heading("Events");
    if recent.is_empty() {
        w.line(IN_SECTION, "<none>");
        return;
    }
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
            Cell::from(format!("{}{times}", age(now, event.last))),
            Cell::from(event.object.clone()),
            Cell::from(event.message.clone()),
        ]);
    }
    w.block(IN_SECTION, &table.render(w.style(), true));
}
