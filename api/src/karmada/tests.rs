use super::*;
use crate::instance::StorageType;
use crate::testing::instance;

fn volume(karmada: &Karmada) -> &VolumeData {
    karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.etcd.as_ref())
        .and_then(|e| e.local.as_ref())
        .and_then(|l| l.volume_data.as_ref())
        .expect("volume data rendered")
}

#[test]
fn renders_pvc_with_named_class_size_and_replicas() {
    let mut mci = instance("demo");
    mci.spec.etcd.replicas = 3;
    mci.spec.etcd.storage.storage_class_name = Some("fast".into());
    mci.spec.etcd.storage.size = Some("10Gi".into());
    let karmada = render(&mci);
    assert_eq!(karmada.metadata.name.as_deref(), Some("demo"));
    assert_eq!(karmada.metadata.namespace.as_deref(), Some("k-demo"));
    let claim = volume(&karmada)
        .volume_claim
        .as_ref()
        .expect("volume claim");
    assert_eq!(claim.spec.storage_class_name.as_deref(), Some("fast"));
    let requests = claim
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    assert_eq!(
        requests
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.as_str()),
        Some("10Gi")
    );
    let local = karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.etcd.as_ref())
        .and_then(|e| e.local.as_ref());
    assert_eq!(local.and_then(|l| l.replicas), Some(3));
    assert!(karmada.spec.host_cluster.is_none());
}

#[test]
fn pvc_without_class_leaves_it_to_the_default_class() {
    let karmada = render(&instance("demo"));
    let claim = volume(&karmada)
        .volume_claim
        .as_ref()
        .expect("volume claim");
    assert_eq!(claim.spec.storage_class_name, None);
    let requests = claim
        .spec
        .resources
        .as_ref()
        .and_then(|r| r.requests.as_ref());
    assert_eq!(
        requests
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.as_str()),
        Some("5Gi")
    );
}

#[test]
fn renders_host_path_with_default_directory() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.type_ = StorageType::HostPath;
    let karmada = render(&mci);
    let host_path = volume(&karmada).host_path.as_ref().expect("host path");
    assert_eq!(host_path.path, "/var/lib/multicloud/k-demo/etcd");
    assert!(volume(&karmada).volume_claim.is_none());
}

#[test]
fn renders_empty_dir() {
    let mut mci = instance("demo");
    mci.spec.etcd.storage.type_ = StorageType::EmptyDir;
    assert!(volume(&render(&mci)).empty_dir.is_some());
}

#[test]
fn remote_management_cluster_gets_secret_ref_and_node_port() {
    let mut mci = instance("demo");
    mci.spec.management_cluster = "edge-1".into();
    let karmada = render(&mci);
    let secret = karmada
        .spec
        .host_cluster
        .as_ref()
        .and_then(|h| h.secret_ref.as_ref());
    assert_eq!(
        secret,
        Some(&SecretRef {
            namespace: "k-demo".into(),
            name: names::HOST_CLUSTER_SECRET.into()
        })
    );
    let api = karmada
        .spec
        .components
        .as_ref()
        .and_then(|c| c.karmada_api_server.as_ref());
    assert_eq!(
        api.and_then(|a| a.service_type.as_deref()),
        Some("NodePort")
    );
}

fn components(karmada: &Karmada) -> &Components {
    karmada.spec.components.as_ref().expect("components")
}

fn local_etcd(karmada: &Karmada) -> &LocalEtcd {
    components(karmada)
        .etcd
        .as_ref()
        .and_then(|e| e.local.as_ref())
        .expect("local etcd")
}

/// Every Deployment karmada-operator installs for an instance (`operator/pkg/init.go`: the API
/// server, aggregated API server, then `operator/pkg/tasks/init/component.go`), with the
/// `app.kubernetes.io/name` label of its pods from the operator's manifests.
fn deployments(karmada: &Karmada) -> Vec<(&'static str, Option<&Component>)> {
    let c = components(karmada);
    vec![
        ("karmada-apiserver", c.karmada_api_server.as_ref()),
        (
            "karmada-aggregated-apiserver",
            c.karmada_aggregated_api_server.as_ref(),
        ),
        (
            "kube-controller-manager",
            c.kube_controller_manager.as_ref(),
        ),
        (
            "karmada-controller-manager",
            c.karmada_controller_manager.as_ref(),
        ),
        ("karmada-scheduler", c.karmada_scheduler.as_ref()),
        ("karmada-webhook", c.karmada_webhook.as_ref()),
        (
            "karmada-metrics-adapter",
            c.karmada_metrics_adapter.as_ref(),
        ),
    ]
}

#[test]
fn every_component_runs_the_requested_release() {
    let karmada = render(&instance("demo"));
    for (app, component) in deployments(&karmada) {
        let tag = component.and_then(|c| c.image_tag.as_deref());
        let expected = match app {
            // Kubernetes images, at the tag karmada v1.18 was built with.
            "karmada-apiserver" | "kube-controller-manager" => "v1.35.2",
            _ => "v1.18.2",
        };
        assert_eq!(tag, Some(expected), "{app}");
        assert_eq!(component.and_then(|c| c.image_repository.as_deref()), None);
    }
    assert_eq!(local_etcd(&karmada).image_tag.as_deref(), Some("3.6.6-0"));
    assert!(karmada.spec.private_registry.is_none());
}

#[test]
fn an_older_release_never_takes_etcd_or_the_api_server_back() {
    // karmada v1.15 was built with etcd 3.5.16-0 and Kubernetes v1.31.3, but under a supported
    // operator (v1.18+) such an instance already runs 3.6.6-0 and v1.35.2: etcd 3.5 would not
    // start on its data.
    let mut mci = instance("demo");
    mci.spec.karmada.version = "v1.15.3".into();
    let karmada = render(&mci);
    assert_eq!(local_etcd(&karmada).image_tag.as_deref(), Some("3.6.6-0"));
    let c = components(&karmada);
    for component in [&c.karmada_api_server, &c.kube_controller_manager] {
        assert_eq!(
            component.as_ref().and_then(|c| c.image_tag.as_deref()),
            Some("v1.35.2")
        );
    }
    assert_eq!(
        c.karmada_metrics_adapter
            .as_ref()
            .and_then(|c| c.image_tag.as_deref()),
        Some("v1.15.3")
    );
}

#[test]
fn image_registry_names_every_repository() {
    let mut mci = instance("demo");
    mci.spec.karmada.image_registry = Some("registry.example.com:5000/mirror".into());
    let karmada = render(&mci);
    assert_eq!(
        karmada.spec.private_registry,
        Some(ImageRegistry {
            registry: "registry.example.com:5000/mirror".into()
        })
    );
    for (app, component) in deployments(&karmada) {
        let image = match app {
            "karmada-apiserver" => "kube-apiserver",
            other => other,
        };
        assert_eq!(
            component.and_then(|c| c.image_repository.as_deref()),
            Some(format!("registry.example.com:5000/mirror/{image}").as_str()),
            "{app}"
        );
    }
    assert_eq!(
        local_etcd(&karmada).image_repository.as_deref(),
        Some("registry.example.com:5000/mirror/etcd")
    );
}

#[test]
fn crd_tarball_defaults_to_the_requested_release() {
    let url = |karmada: &Karmada| {
        karmada
            .spec
            .crd_tarball
            .as_ref()
            .and_then(|t| t.http_source.as_ref())
            .map(|h| h.url.clone())
    };
    let mut mci = instance("demo");
    assert_eq!(
        url(&render(&mci)).as_deref(),
        Some("https://github.com/karmada-io/karmada/releases/download/v1.18.2/crds.tar.gz")
    );
    mci.spec.karmada.crd_tarball = Some(crate::instance::CrdTarball {
        url: "https://mirror.example.com/crds.tar.gz".into(),
    });
    let karmada = render(&mci);
    assert_eq!(
        url(&karmada).as_deref(),
        Some("https://mirror.example.com/crds.tar.gz")
    );
    // The shape of `spec.crdTarball` in operator/pkg/apis/operator/v1alpha1/type.go.
    let json = serde_json::to_value(&karmada).expect("serialises");
    assert_eq!(
        json["spec"]["crdTarball"],
        serde_json::json!({"httpSource": {"url": "https://mirror.example.com/crds.tar.gz"}})
    );
}

#[test]
fn cert_sans_go_to_the_api_server() {
    let mut mci = instance("demo");
    mci.spec.karmada.cert_sans = vec!["karmada.example.com".into(), "10.0.0.5".into()];
    let json = serde_json::to_value(render(&mci)).expect("serialises");
    assert_eq!(
        json["spec"]["components"]["karmadaAPIServer"]["certSANs"],
        serde_json::json!(["karmada.example.com", "10.0.0.5"])
    );
}

/// Whether `affinity` keeps pods labelled `app` of Karmada `karmada` on distinct nodes.
fn spreads(affinity: Option<&Affinity>, app: &str, karmada: &str) -> bool {
    let terms = affinity
        .and_then(|a| a.pod_anti_affinity.as_ref())
        .and_then(|p| {
            p.required_during_scheduling_ignored_during_execution
                .as_ref()
        });
    terms.into_iter().flatten().any(|term| {
        let labels = term
            .label_selector
            .as_ref()
            .and_then(|s| s.match_labels.as_ref());
        term.topology_key == "kubernetes.io/hostname"
            && labels.is_some_and(|l| {
                l.get("app.kubernetes.io/name").map(String::as_str) == Some(app)
                    && l.get("app.kubernetes.io/instance").map(String::as_str) == Some(karmada)
            })
    })
}

/// High availability read off the rendered CR alone, independently of the plan that rendered it
/// (`rules::availability`): PVC storage, 3+ etcd members, and every part spread and budgeted.
fn rendered_high_availability(karmada: &Karmada) -> bool {
    let name = karmada.metadata.name.as_deref().unwrap_or_default();
    let etcd = local_etcd(karmada);
    let claims = etcd
        .volume_data
        .as_ref()
        .is_some_and(|v| v.volume_claim.is_some());
    let members = etcd.replicas.unwrap_or(1) >= 3;
    let etcd_spread = spreads(etcd.affinity.as_ref(), "etcd", name);
    let etcd_budget = etcd.pod_disruption_budget_config.is_some();
    let components = deployments(karmada).into_iter().all(|(app, c)| {
        c.is_some_and(|c| {
            c.replicas.unwrap_or(1) > 1
                && c.pod_disruption_budget_config.is_some()
                && spreads(c.affinity.as_ref(), app, name)
        })
    });
    claims && members && etcd_spread && etcd_budget && components
}

#[test]
fn rendering_matches_the_availability_verdict_for_every_storage_and_replica_count() {
    let mut seen_ha = false;
    for storage in [
        StorageType::PersistentVolumeClaim,
        StorageType::HostPath,
        StorageType::EmptyDir,
    ] {
        for replicas in [1, 3, 5, 7] {
            let mut mci = instance("demo");
            mci.spec.etcd.storage.type_ = storage;
            mci.spec.etcd.replicas = replicas;
            let verdict = crate::rules::assess_availability(&mci.spec);
            let karmada = render(&mci);
            assert_eq!(
                rendered_high_availability(&karmada),
                verdict.high_availability,
                "{storage} with {replicas} replicas"
            );
            assert_eq!(verdict.reason.is_none(), verdict.high_availability);
            seen_ha |= verdict.high_availability;
        }
    }
    assert!(seen_ha, "some combination is highly available");
}

#[test]
fn disruption_budgets_have_the_operators_shape() {
    let mut mci = instance("demo");
    mci.spec.etcd.replicas = 3;
    let json = serde_json::to_value(render(&mci)).expect("serialises");
    let components = &json["spec"]["components"];
    // `PodDisruptionBudgetConfig` of type.go: exactly one of minAvailable and maxUnavailable.
    let budget = serde_json::json!({"maxUnavailable": 1});
    assert_eq!(
        components["etcd"]["local"]["podDisruptionBudgetConfig"],
        budget
    );
    for key in [
        "karmadaAPIServer",
        "karmadaAggregatedAPIServer",
        "kubeControllerManager",
        "karmadaControllerManager",
        "karmadaScheduler",
        "karmadaWebhook",
        "karmadaMetricsAdapter",
    ] {
        assert_eq!(
            components[key]["podDisruptionBudgetConfig"], budget,
            "{key}"
        );
        assert_eq!(components[key]["replicas"], 2, "{key}");
    }
}

#[test]
fn a_non_ha_instance_keeps_the_operators_single_replica_defaults() {
    let json = serde_json::to_value(render(&instance("demo"))).expect("serialises");
    let components = &json["spec"]["components"];
    for key in [
        "karmadaAPIServer",
        "karmadaScheduler",
        "karmadaMetricsAdapter",
    ] {
        assert!(components[key].get("replicas").is_none(), "{key}");
        assert!(components[key].get("affinity").is_none(), "{key}");
        assert!(
            components[key].get("podDisruptionBudgetConfig").is_none(),
            "{key}"
        );
    }
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let json = serde_json::json!({
        "apiVersion": "operator.karmada.io/v1alpha1",
        "kind": "Karmada",
        "metadata": {"name": "demo", "namespace": "k-demo"},
        "spec": {
            "featureGates": {"Failover": true},
            "components": {
                "etcd": {"local": {"imageTag": "3.5.16-0", "replicas": 3}},
                "karmadaDescheduler": {"replicas": 1}
            }
        },
        "status": {
            "secretRef": {"namespace": "k-demo", "name": "demo-karmada-admin-config"},
            "apiServerService": {"name": "demo-karmada-apiserver"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "Completed", "message": ""}]
        }
    });
    let karmada: Karmada = serde_json::from_value(json.clone()).expect("parses");
    assert_eq!(
        karmada
            .status
            .as_ref()
            .and_then(|s| s.ready())
            .map(|c| c.reason.as_str()),
        Some("Completed")
    );
    assert_eq!(serde_json::to_value(&karmada).expect("serialises"), json);
}
