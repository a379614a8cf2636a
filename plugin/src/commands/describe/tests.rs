use super::*;
use crate::fixtures::{claim, healthy, healthy_management, karmada, now};

fn event(type_: &str, reason: &str, object: &str, message: &str) -> EventLine {
    EventLine {
        type_: type_.into(),
        reason: reason.into(),
        object: object.into(),
        message: message.into(),
        count: 1,
        last: Some(now()),
    }
}

#[test]
fn healthy_instance_shows_spec_status_conditions_components_and_events() {
    let events = [event(
        "Normal",
        "Running",
        "multicloudinstance/demo",
        "the Karmada control plane is running",
    )];
    let text = render(&healthy("demo"), &events, now(), Style::plain());
    for expected in [
        "Name:                 demo\n",
        "Virtual Cluster:      k-demo\n",
        "Management Cluster:   local (v1.20.2)\n",
        "  etcd:               1 replica(s), PersistentVolumeClaim, class (the cluster's default), 5Gi each\n",
        "  Phase:              Running\n",
        "  Kubeconfig Secret:  k-demo/demo-karmada-admin-config\n",
        "  Ready   True     Running   2m    the Karmada control plane is running\n",
        "Karmada CR:\n  Ready=True Completed: karmada is ready\n",
        "  etcd PVCs:          etcd-data-demo-karmada-etcd-0 Bound\n",
        "  etcd:               demo-karmada-etcd: 1/1 ready, up\n",
        "  karmada apiserver:  demo-karmada-apiserver: 1/1 ready, up\n",
        "  Normal   Running   0s    multicloudinstance/demo   the Karmada control plane is running\n",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn unreachable_management_cluster_and_missing_karmada_are_said() {
    let mut observed = healthy("demo");
    observed.management = Err("connection refused".into());
    observed.karmada = Ok(None);
    let text = render(&observed, &[], now(), Style::plain());
    assert!(text.contains("Karmada CR:\n  not created yet\n"), "{text}");
    assert!(
        text.contains("  unreachable: connection refused\n"),
        "{text}"
    );
    assert!(text.contains("Events:\n  <none>\n"), "{text}");
}

#[test]
fn pending_claims_and_operator_progress_are_shown() {
    let mut observed = healthy("demo");
    observed.karmada = Ok(Some(karmada(
        "demo",
        Some(("False", "Progressing", "installing etcd")),
    )));
    observed.management = Ok(healthy_management(vec![claim(
        "etcd-data-demo-karmada-etcd-0",
        Some("Pending"),
        None,
    )]));
    let text = render(&observed, &[], now(), Style::plain());
    assert!(
        text.contains("Ready=False Progressing: installing etcd"),
        "{text}"
    );
    assert!(
        text.contains("etcd-data-demo-karmada-etcd-0 Pending"),
        "{text}"
    );
}
