//! Small builders of instances and observations for unit tests.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use multicloud_api::instance::KarmadaRef;
use multicloud_api::karmada::{Karmada, KarmadaCrSpec};
use multicloud_api::{
    Condition, MulticloudInstance, MulticloudInstanceSpec, MulticloudInstanceStatus, ObjectRef,
    Phase, StorageType,
};

use crate::observe::{Claim, Management, Observation, Workload};
use multicloud_api::testing;

/// A fixed "now" for ages: 2025-01-01T12:00:00Z.
pub fn now() -> Timestamp {
    "2025-01-01T12:00:00Z".parse().expect("valid timestamp")
}

/// An instance as the webhook admitted it, created `age_seconds` before [`now`].
pub fn instance(name: &str, age_seconds: i64) -> MulticloudInstance {
    let spec = MulticloudInstanceSpec {
        virtual_cluster_name: Some(format!("k-{name}")),
        ..MulticloudInstanceSpec::default()
    };
    let mut instance = MulticloudInstance::new(name, spec);
    let created = Timestamp::from_second(now().as_second() - age_seconds).expect("in range");
    instance.metadata.creation_timestamp = Some(Time(created));
    instance
}

/// `instance` with PVC storage and `replicas` etcd members.
pub fn replicas(mut instance: MulticloudInstance, replicas: i32) -> MulticloudInstance {
    instance.spec.etcd.replicas = replicas;
    instance
}

/// `instance` with storage of `type_`.
pub fn storage(mut instance: MulticloudInstance, type_: StorageType) -> MulticloudInstance {
    instance.spec.etcd.storage.type_ = type_;
    instance
}

/// `instance` in `phase` with a Ready condition of `reason` and `message`.
pub fn phase(
    mut instance: MulticloudInstance,
    phase: Phase,
    reason: &str,
    message: &str,
) -> MulticloudInstance {
    let name = instance.name().to_owned();
    let ready = phase == Phase::Running;
    instance.status = Some(MulticloudInstanceStatus {
        phase: Some(phase),
        high_availability: instance.spec.etcd.replicas >= 3,
        member_clusters: 0,
        karmada: Some(KarmadaRef {
            namespace: format!("k-{name}"),
            name: name.clone(),
            version: Some(instance.spec.karmada.version.clone()),
        }),
        kubeconfig_secret_ref: ready.then(|| ObjectRef {
            namespace: format!("k-{name}"),
            name: format!("{name}-karmada-admin-config"),
        }),
        install: None,
        observed_generation: Some(1),
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: if ready { "True" } else { "False" }.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: Some("2025-01-01T11:58:00Z".into()),
            observed_generation: Some(1),
        }],
    });
    instance
}

/// A Karmada CR with a Ready condition, or none when `ready` is `None`.
pub fn karmada(name: &str, ready: Option<(&str, &str, &str)>) -> Karmada {
    let mut karmada = Karmada::new(name, KarmadaCrSpec::default());
    karmada.metadata.namespace = Some(format!("k-{name}"));
    karmada.status =
        ready.map(|(status, reason, message)| testing::karmada_status(status, reason, message));
    karmada
}

/// A PVC in `phase` with its latest event.
pub fn claim(name: &str, phase: Option<&str>, event: Option<&str>) -> Claim {
    Claim {
        name: name.into(),
        phase: phase.map(Into::into),
        class: Some("standard".into()),
        event: event.map(Into::into),
    }
}

/// A workload with `ready` of `desired` replicas.
pub fn workload(ready: i32, desired: i32) -> Workload {
    Workload {
        ready,
        desired,
        up: ready >= desired,
        message: None,
    }
}

/// A healthy management cluster with a default class `standard` and everything ready.
pub fn healthy_management(claims: Vec<Claim>) -> Management {
    Management {
        version: "v1.20.2".into(),
        storage_classes: Ok(vec![multicloud_api::clusters::StorageClassInfo {
            name: "standard".into(),
            default: true,
            provisioner: "example.com/disk".into(),
            volume_binding_mode: Some("Immediate".into()),
        }]),
        claims: Ok(claims),
        components: Ok(Vec::new()),
        etcd: Ok(Some(workload(1, 1))),
        apiserver: Ok(Some(workload(1, 1))),
    }
}

/// An observation of a healthy, running instance `name` with one Bound PVC.
pub fn healthy(name: &str) -> Observation {
    let instance = phase(
        instance(name, 300),
        Phase::Running,
        "Running",
        "the Karmada control plane is running",
    );
    Observation {
        instance,
        karmada_crd: Ok(true),
        karmada: Ok(Some(karmada(
            name,
            Some(("True", "Completed", "karmada is ready")),
        ))),
        management: Ok(healthy_management(vec![claim(
            &format!("etcd-data-{name}-karmada-etcd-0"),
            Some("Bound"),
            None,
        )])),
    }
}
