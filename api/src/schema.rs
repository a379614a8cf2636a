//! What the API server does to a `MulticloudInstance` before any webhook sees it, from the
//! generated CRD alone: the version must be served, every field must be declared in the
//! structural schema (kubectl's default `--validate=strict` makes an unknown field an error),
//! values must have the declared type and enum, and absent fields get the schema's defaults.
//!
//! `kubectl multicloud check` runs this first, so it judges a file as `kubectl apply` would:
//! a typo such as `etcd: {replica: 3}` is refused instead of silently becoming one replica.

use std::collections::BTreeMap;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use serde_json::{Map, Value};

use crate::keys::GROUP;
use crate::rules::Violation;

/// The fields of `metadata` a client may write (ObjectMeta); the API server sets the others
/// or refuses them.
const METADATA_FIELDS: &[&str] = &[
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

/// `object` as the API server would store it before admission (schema defaults applied), or
/// every reason it would refuse it.
pub fn apply(crd: &CustomResourceDefinition, object: &Value) -> Result<Value, Vec<Violation>> {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let served: Vec<String> = crd
        .spec
        .versions
        .iter()
        .filter(|v| v.served)
        .map(|v| format!("{GROUP}/{}", v.name))
        .collect();
    let Some(version) = crd
        .spec
        .versions
        .iter()
        .find(|v| v.served && format!("{GROUP}/{}", v.name) == api_version)
    else {
        return Err(vec![Violation::new(
            "apiVersion",
            format!(
                "no matches for kind \"MulticloudInstance\" in version \"{api_version}\": the \
                 API server serves {}",
                served.join(", ")
            ),
        )]);
    };
    let Some(schema) = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
    else {
        return Ok(object.clone());
    };
    let mut stored = object.clone();
    let mut violations = Vec::new();
    if let Some(map) = stored.as_object_mut() {
        // The API server checks ObjectMeta itself; the CRD's schema leaves it open.
        if let Some(Value::Object(metadata)) = map.get("metadata") {
            for key in metadata.keys() {
                if !METADATA_FIELDS.contains(&key.as_str()) {
                    violations.push(unknown(&format!("metadata.{key}")));
                }
            }
        }
        for key in ["apiVersion", "kind", "metadata"] {
            map.remove(key);
        }
    }
    let mut body = stored;
    walk(schema, &mut body, "", &mut violations);
    if !violations.is_empty() {
        return Err(violations);
    }
    // Put back what the schema does not describe (apiVersion, kind, metadata) as written.
    let mut out = object
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
        .collect::<Map<String, Value>>();
    if let Value::Object(fields) = body {
        out.extend(fields);
    }
    Ok(Value::Object(out))
}

fn unknown(path: &str) -> Violation {
    Violation::new(
        path,
        "unknown field: the schema does not declare it, and the API server refuses it under \
         strict field validation (kubectl apply's default); check its spelling",
    )
}

/// Checks `value` at `path` against `schema`, filling defaults of absent fields.
fn walk(schema: &JSONSchemaProps, value: &mut Value, path: &str, out: &mut Vec<Violation>) {
    if value.is_null() {
        if schema.nullable != Some(true) && !path.is_empty() {
            out.push(Violation::new(path, "must not be null"));
        }
        return;
    }
    if schema.x_kubernetes_preserve_unknown_fields == Some(true) && schema.properties.is_none() {
        return;
    }
    if let Some(kind) = schema.type_.as_deref()
        && !has_type(value, kind)
    {
        out.push(Violation::new(
            display(path),
            format!("must be of type {kind}, not {}", type_name(value)),
        ));
        return;
    }
    if let Some(allowed) = &schema.enum_
        && !allowed.iter().any(|a| a.0 == *value)
    {
        let names: Vec<String> = allowed.iter().map(|a| a.0.to_string()).collect();
        out.push(Violation::new(
            display(path),
            format!(
                "unsupported value {value}: supported values: {}",
                names.join(", ")
            ),
        ));
    }
    match value {
        Value::Object(map) => walk_object(schema, map, path, out),
        Value::Array(items) => {
            if let Some(JSONSchemaPropsOrArray::Schema(item)) = &schema.items {
                for (i, entry) in items.iter_mut().enumerate() {
                    walk(item, entry, &format!("{path}[{i}]"), out);
                }
            }
        }
        _ => {}
    }
}

fn walk_object(
    schema: &JSONSchemaProps,
    map: &mut Map<String, Value>,
    path: &str,
    out: &mut Vec<Violation>,
) {
    let empty = BTreeMap::new();
    let properties = schema.properties.as_ref().unwrap_or(&empty);
    let open = schema.x_kubernetes_preserve_unknown_fields == Some(true);
    let additional = match &schema.additional_properties {
        Some(JSONSchemaPropsOrBool::Schema(s)) => Some(s.as_ref()),
        _ => None,
    };
    for (key, entry) in map.iter_mut() {
        let child = join(path, key);
        match (properties.get(key), additional) {
            (Some(property), _) => walk(property, entry, &child, out),
            (None, Some(additional)) => walk(additional, entry, &child, out),
            (None, None) if open || (schema.properties.is_none() && schema.type_.is_none()) => {}
            (None, None) => out.push(unknown(&child)),
        }
    }
    for (key, property) in properties {
        if !map.contains_key(key)
            && let Some(default) = &property.default
        {
            let mut value = default.0.clone();
            walk(property, &mut value, &join(path, key), out);
            map.insert(key.clone(), value);
        }
    }
    for required in schema.required.iter().flatten() {
        if !map.contains_key(required) {
            out.push(Violation::new(join(path, required), "is required"));
        }
    }
}

fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => true,
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn display(path: &str) -> String {
    if path.is_empty() {
        "<object>".to_owned()
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn instance(spec: Value) -> Value {
        json!({
            "apiVersion": "multicloud.dev/v1alpha1",
            "kind": "MulticloudInstance",
            "metadata": {"name": "demo"},
            "spec": spec,
        })
    }

    fn fields(violations: Vec<Violation>) -> Vec<String> {
        violations.into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_misspelt_field_is_refused_not_ignored() {
        let err = apply(
            &crate::crd::crd(),
            &instance(json!({"etcd": {"replica": 3}})),
        )
        .expect_err("unknown field");
        assert_eq!(fields(err), ["spec.etcd.replica"]);
    }

    #[test]
    fn an_unserved_version_is_refused_with_the_served_ones() {
        let mut object = instance(json!({}));
        object["apiVersion"] = json!("multicloud.dev/v1");
        let err = apply(&crate::crd::crd(), &object).expect_err("not served");
        assert!(
            err[0].message.contains("multicloud.dev/v1alpha1"),
            "{err:?}"
        );
        assert_eq!(err[0].field, "apiVersion");
    }

    #[test]
    fn wrong_types_enums_and_metadata_fields_are_refused() {
        let mut object = instance(json!({
            "etcd": {"replicas": "three", "storage": {"type": "Tape"}}
        }));
        object["metadata"]["nmae"] = json!("x");
        let err = apply(&crate::crd::crd(), &object).expect_err("invalid");
        let got = fields(err);
        assert!(got.contains(&"metadata.nmae".to_owned()), "{got:?}");
        assert!(got.contains(&"spec.etcd.replicas".to_owned()), "{got:?}");
        assert!(
            got.contains(&"spec.etcd.storage.type".to_owned()),
            "{got:?}"
        );
    }

    #[test]
    fn absent_fields_get_the_schema_defaults() {
        let stored = apply(&crate::crd::crd(), &instance(json!({}))).expect("valid");
        assert_eq!(stored["spec"]["managementCluster"], "local");
        assert_eq!(stored["spec"]["deletionPolicy"], "Delete");
        assert_eq!(stored["metadata"]["name"], "demo");
        assert!(stored["spec"]["etcd"]["replicas"].is_i64(), "{stored}");
    }

    #[test]
    fn a_complete_instance_is_stored_unchanged() {
        let object = instance(json!({"managementCluster": "edge-1"}));
        let stored = apply(&crate::crd::crd(), &object).expect("valid");
        assert_eq!(stored["spec"]["managementCluster"], "edge-1");
    }
}
