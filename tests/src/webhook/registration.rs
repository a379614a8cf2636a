//! Registering the running webhook with an API server, from the committed configurations.

use std::time::Duration;

use base64::Engine as _;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::core::{ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;

use super::{REGISTER_TIMEOUT, WEBHOOKS_MANIFEST, Webhook, WebhookError, io};

impl Webhook {
    /// Registers the committed mutating and validating webhook configurations, pointing at
    /// this process, and waits until the API server calls them. The instance CRD must be
    /// served and the namespace `multicloud-system` must exist (the wait dry-runs an instance
    /// and a cluster Secret that the webhook denies).
    pub async fn register(&self, client: &kube::Client) -> Result<(), WebhookError> {
        let text = std::fs::read_to_string(WEBHOOKS_MANIFEST)
            .map_err(io(format!("reading {WEBHOOKS_MANIFEST}")))?;
        let apply = PatchParams::apply("multicloud-e2e").force();
        let documents: Vec<Value> = multicloud_api::yaml::documents(&text)
            .map_err(|e| WebhookError::Manifest(e.to_string()))?;
        for mut configuration in documents {
            self.point_at_self(&mut configuration)?;
            let name = configuration["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            match configuration["kind"].as_str() {
                Some("MutatingWebhookConfiguration") => {
                    let typed: MutatingWebhookConfiguration = from_value(configuration)?;
                    Api::<MutatingWebhookConfiguration>::all(client.clone())
                        .patch(&name, &apply, &Patch::Apply(&typed))
                        .await?;
                }
                Some("ValidatingWebhookConfiguration") => {
                    let typed: ValidatingWebhookConfiguration = from_value(configuration)?;
                    Api::<ValidatingWebhookConfiguration>::all(client.clone())
                        .patch(&name, &apply, &Patch::Apply(&typed))
                        .await?;
                }
                other => return Err(WebhookError::Manifest(format!("unexpected kind {other:?}"))),
            }
        }
        wait_until_called(client).await.map_err(|last| {
            self.failed(format!(
                "was not called by the API server within {REGISTER_TIMEOUT:?} ({last})"
            ))
        })
    }

    fn point_at_self(&self, configuration: &mut Value) -> Result<(), WebhookError> {
        let ca_bundle = base64::engine::general_purpose::STANDARD.encode(self.ca_pem());
        let webhooks = configuration["webhooks"]
            .as_array_mut()
            .ok_or_else(|| WebhookError::Manifest("a configuration without webhooks".into()))?;
        for webhook in webhooks {
            let path = webhook["clientConfig"]["service"]["path"]
                .as_str()
                .ok_or_else(|| {
                    WebhookError::Manifest("a webhook without clientConfig.service.path".into())
                })?
                .to_owned();
            webhook["clientConfig"] =
                serde_json::json!({"url": self.url(&path), "caBundle": ca_bundle});
        }
        Ok(())
    }
}

/// Dry-runs writes the webhook denies (nothing is stored) until both webhook configurations
/// are in effect: the API server picks up new configurations asynchronously.
async fn wait_until_called(client: &kube::Client) -> Result<(), String> {
    let gvk = GroupVersionKind::gvk("multicloud.dev", "v1alpha1", "MulticloudInstance");
    let instances: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, "multicloudinstances"),
    );
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "multicloud-system");
    let instance: DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "multicloud.dev/v1alpha1",
        "kind": "MulticloudInstance",
        "metadata": {"name": "webhook-probe"},
        "spec": {"virtualClusterName": "not-k-webhook-probe"},
    }))
    .map_err(|e| e.to_string())?;
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "k-webhook-probe", "labels": {"multicloud.dev/cluster": "true"}},
        "stringData": {"kubeconfig": "not a kubeconfig"},
    }))
    .map_err(|e| e.to_string())?;
    let dry_run = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    fn denied<T>(result: Result<T, kube::Error>) -> Result<(), String> {
        match result {
            Err(kube::Error::Api(status)) if status.message.contains("denied the request") => {
                Ok(())
            }
            Err(error) => Err(error.to_string()),
            Ok(_) => Err("admitted without the webhook".to_owned()),
        }
    }
    let deadline = tokio::time::Instant::now() + REGISTER_TIMEOUT;
    loop {
        let instance = denied(instances.create(&dry_run, &instance).await);
        let secret = denied(secrets.create(&dry_run, &secret).await);
        let last = match (instance, secret) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(why), _) => format!("instance: {why}"),
            (_, Err(why)) => format!("cluster Secret: {why}"),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn from_value<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, WebhookError> {
    serde_json::from_value(value).map_err(|e| WebhookError::Manifest(e.to_string()))
}
