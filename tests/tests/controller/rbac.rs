//! The controller does its whole job with only the permissions `manifests/controller/` grants
//! its ServiceAccount: the test runs it impersonating that ServiceAccount.

use k8s_openapi::api::core::v1::{Namespace, Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::ApiResource;
use multicloud_api::MulticloudInstance;
use multicloud_api::keys::{CLUSTER_LABEL, KUBECONFIG_KEY, SYSTEM_NAMESPACE};
use multicloud_api::names::{HOST_CLUSTER_SECRET, KarmadaObjects};
use multicloud_api::{Phase, names};
use serde_json::{Value, json};

use super::support::*;

const SERVICE_ACCOUNT: &str = "system:serviceaccount:multicloud-system:multicloud-controller";

/// Creates every object of a committed manifest file of `manifests/controller/`.
async fn install(client: &kube::Client, file: &str) {
    let path = format!(
        "{}/../manifests/controller/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("manifest is readable");
    for object in multicloud_api::yaml::documents::<Value>(&text).expect("manifest parses") {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        let resource = match kind.as_str() {
            "ServiceAccount" => ApiResource::erase::<ServiceAccount>(&()),
            "ClusterRole" => ApiResource::erase::<ClusterRole>(&()),
            "ClusterRoleBinding" => ApiResource::erase::<ClusterRoleBinding>(&()),
            "Role" => ApiResource::erase::<Role>(&()),
            "RoleBinding" => ApiResource::erase::<RoleBinding>(&()),
            other => panic!("unexpected kind {other} in {path}"),
        };
        let object: DynamicObject = from_json(object);
        let api: Api<DynamicObject> = match object.metadata.namespace.as_deref() {
            Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
            None => Api::all_with(client.clone(), &resource),
        };
        api.create(&PostParams::default(), &object)
            .await
            .expect("manifest object is created");
    }
}

/// The admin kubeconfig, made to act as `user`.
fn impersonating(kubeconfig: &str, user: &str) -> String {
    let mut config: Value = multicloud_api::yaml::from_str(kubeconfig).expect("kubeconfig parses");
    for entry in config["users"]
        .as_array_mut()
        .expect("kubeconfig has users")
    {
        entry["user"]["as"] = json!(user);
    }
    multicloud_api::yaml::to_string(&config).expect("kubeconfig encodes")
}

/// Proves the impersonation works: the ServiceAccount may not list Secrets cluster-wide.
async fn assert_forbidden_to_list_all_secrets(kubeconfig: &std::path::Path) {
    let text = std::fs::read_to_string(kubeconfig).expect("kubeconfig is readable");
    let client = multicloud_runtime::kubeconfig::client_from_text(&text, &Default::default())
        .await
        .expect("the kubeconfig makes a client");
    match Api::<Secret>::all(client).list(&Default::default()).await {
        Err(kube::Error::Api(status)) if status.code == 403 => {}
        other => panic!("the ServiceAccount should not list all Secrets: {other:?}"),
    }
}

#[tokio::test]
async fn works_with_only_the_permissions_its_manifests_grant() {
    let plane = global_cluster().await;
    let client = plane.client();
    install(&client, "serviceaccount.yaml").await;
    install(&client, "rbac.yaml").await;
    let kubeconfig = plane.dir().join("service-account.kubeconfig");
    std::fs::write(
        &kubeconfig,
        impersonating(&plane.kubeconfig_yaml(), SERVICE_ACCOUNT),
    )
    .expect("kubeconfig is written");
    // A management cluster registered under a name, which is the global cluster itself.
    let registered: Secret = from_json(json!({
        "metadata": {"name": "self", "labels": {CLUSTER_LABEL: "true"}},
        "stringData": {KUBECONFIG_KEY: plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), SYSTEM_NAMESPACE)
        .create(&PostParams::default(), &registered)
        .await
        .expect("cluster Secret is created");
    assert_forbidden_to_list_all_secrets(&kubeconfig).await;
    let controller = Controller::start_with_kubeconfig(&plane, "controller", &kubeconfig, &[]);

    create(&client, &instance("claimed", json!({}))).await;
    let remote = json!({"managementCluster": "self", "etcd": {"storage": {"type": "EmptyDir"}}});
    create(&client, &instance("hosted", remote)).await;
    karmada_of(&client, "hosted").await;
    Api::<Secret>::namespaced(client.clone(), "k-hosted")
        .get(HOST_CLUSTER_SECRET)
        .await
        .expect("the kubeconfig copy is written");

    // Reading the etcd claims of a local instance.
    karmada_of(&client, "claimed").await;
    status_where(
        &client,
        "claimed",
        "claims looked for",
        |status| match status.condition("StorageReady") {
            Some(c) if c.reason == "WaitingForClaims" => Ok(()),
            other => Err(format!("StorageReady {other:?}")),
        },
    )
    .await;

    // Reading the admin kubeconfig, counting members, writing Events.
    let admin: Secret = from_json(json!({
        "metadata": {"name": KarmadaObjects::for_instance("claimed").admin_kubeconfig_secret()},
        "stringData": {KarmadaObjects::ADMIN_KUBECONFIG_KEY: plane.kubeconfig_yaml()}
    }));
    Api::<Secret>::namespaced(client.clone(), "k-claimed")
        .create(&PostParams::default(), &admin)
        .await
        .expect("admin kubeconfig Secret is created");
    report_ready(&client, "claimed", "True", "Completed", "ready").await;
    status_where(&client, "claimed", "Running and counted", |status| {
        phase_is(Phase::Running)(status)?;
        match status.condition("KarmadaAPIReachable") {
            Some(c) if c.is_true() => Ok(()),
            other => Err(format!("KarmadaAPIReachable {other:?}")),
        }
    })
    .await;

    // Deleting both, namespaces included.
    let instances: Api<MulticloudInstance> = Api::all(client.clone());
    for name in ["claimed", "hosted"] {
        instances
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete is accepted");
    }
    let namespaces: Api<Namespace> = Api::all(client.clone());
    for name in ["claimed", "hosted"] {
        eventually(&format!("{name} and its namespace to be gone"), || async {
            let instance = instances.get_opt(name).await.map_err(|e| e.to_string())?;
            let namespace = namespaces
                .get_opt(&names::namespace(name))
                .await
                .map_err(|e| e.to_string())?;
            match (instance, namespace) {
                (None, None) => Ok(()),
                (instance, namespace) => Err(format!(
                    "instance there: {}, namespace there: {}",
                    instance.is_some(),
                    namespace.is_some()
                )),
            }
        })
        .await;
    }
    let log = controller.log();
    assert!(
        !log.contains("forbidden"),
        "a request was forbidden:\n{log}"
    );
}
