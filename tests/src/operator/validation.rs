//! The checks karmada-operator makes of a Karmada CR before it runs anything
//! (`operator/pkg/controller/karmada/validating.go` `validate`), as far as a CR our controller
//! renders can reach them: the CRD tarball's URL and the karmada apiserver's Service type.

use multicloud_api::karmada::Karmada;
use serde_json::Value;

/// `Ok` when the operator would run the CR; otherwise the message it writes with reason
/// `ValidationError` (`validation errors: [<field error>, ...]`, as Go prints a
/// `field.ErrorList`).
pub(super) fn validate(karmada: &Karmada) -> Result<(), String> {
    let spec = serde_json::to_value(&karmada.spec).unwrap_or_default();
    let mut errors = Vec::new();
    if let Some(url) = spec["crdTarball"]["httpSource"]["url"].as_str()
        && !parses_as_request_uri(url)
    {
        errors.push(format!(
            "spec.crdTarball.httpSource.url: Invalid value: \"{url}\": invalid CRDs remote URL"
        ));
    }
    let apiserver = &spec["components"]["karmadaAPIServer"];
    let service_type = apiserver["serviceType"].as_str().unwrap_or_default();
    if !["ClusterIP", "NodePort", "LoadBalancer"].contains(&service_type) {
        errors.push(format!(
            "spec.components.karmadaAPIServer.serviceType: Invalid value: \"{service_type}\": \
             unsupported service type for Karmada API server"
        ));
    }
    let remote = !matches!(spec["hostCluster"]["secretRef"], Value::Null);
    if remote && service_type == "ClusterIP" {
        errors.push(format!(
            "spec.components.karmadaAPIServer.serviceType: Invalid value: \"{service_type}\": if \
             karmada is installed in a remote cluster, the service type of karmada-apiserver \
             must be either NodePort or LoadBalancer"
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("validation errors: [{}]", errors.join(", ")))
    }
}

/// Roughly Go's `url.ParseRequestURI`: an absolute URL (a scheme, then `:`) or an absolute
/// path, without spaces or control characters.
fn parses_as_request_uri(url: &str) -> bool {
    if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    if url.starts_with('/') {
        return true;
    }
    match url.split_once(':') {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        }
        None => false,
    }
}
