//! What a command produces: the text for stdout and whether it found problems. `main` prints it
//! once and picks the exit status, so commands are tested by their return value.

use serde::Serialize;
use serde_json::Value;

use crate::error::CmdError;
use crate::flags::OutputFormat;

/// How a command ended when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// All is well: exit status 0.
    Success,
    /// The command worked and found problems (a denied instance, an unhealthy one): exit 1.
    Problems,
}

/// The result of a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// Printed on stdout as is.
    pub text: String,
    /// The exit status it implies.
    pub status: Status,
    /// Errors about parts of the work, printed on stderr after the text (as kubectl reports
    /// the names `get` did not find after the ones it did).
    pub errors: Vec<String>,
}

impl Output {
    /// Successful output.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            status: Status::Success,
            errors: Vec::new(),
        }
    }

    /// This output with errors about parts of the work; the exit status becomes 1.
    pub fn with_errors(mut self, errors: Vec<String>) -> Self {
        if !errors.is_empty() {
            self.status = Status::Problems;
        }
        self.errors = errors;
        self
    }

    /// This output with its status set by `ok`.
    pub fn with_status(mut self, ok: bool) -> Self {
        self.status = if ok {
            Status::Success
        } else {
            Status::Problems
        };
        self
    }
}

/// Pretty JSON with a final newline.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, CmdError> {
    serde_json::to_string_pretty(value)
        .map(|text| text + "\n")
        .map_err(|e| CmdError::with_source("failed to render JSON", e))
}

/// YAML, as `kubectl get -o yaml` prints it.
pub fn to_yaml<T: Serialize>(value: &T) -> Result<String, CmdError> {
    multicloud_api::yaml::to_string(value)
        .map_err(|e| CmdError::with_source("failed to render YAML", e))
}

/// `report` in `format`: the report itself as JSON or YAML, for scripts; any other format is
/// what `for_people` makes of it (a table, a checklist, `-o name`).
pub fn emit<T: Serialize>(
    format: OutputFormat,
    report: &T,
    for_people: impl FnOnce(&T) -> Result<String, CmdError>,
) -> Result<String, CmdError> {
    match format {
        OutputFormat::Json => to_json(report),
        OutputFormat::Yaml => to_yaml(report),
        OutputFormat::Table | OutputFormat::Wide | OutputFormat::Name => for_people(report),
    }
}

/// The object as JSON without `metadata.managedFields`, which kubectl hides too.
pub fn object_value<T: Serialize>(object: &T) -> Result<Value, CmdError> {
    let mut value = serde_json::to_value(object)
        .map_err(|e| CmdError::with_source("failed to render the object", e))?;
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    Ok(value)
}

/// A `v1` `List` of objects, as kubectl prints several objects in JSON or YAML.
pub fn list_value(items: Vec<Value>) -> Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "metadata": { "resourceVersion": "" },
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use multicloud_api::{MulticloudInstance, MulticloudInstanceSpec};

    fn instance() -> MulticloudInstance {
        let mut instance = MulticloudInstance::new("demo", MulticloudInstanceSpec::default());
        instance.metadata.managed_fields = Some(vec![Default::default()]);
        instance
    }

    #[test]
    fn json_is_pretty_and_ends_with_a_newline() {
        let text = to_json(&serde_json::json!({"a": 1})).expect("renders");
        assert_eq!(text, "{\n  \"a\": 1\n}\n");
    }

    #[test]
    fn objects_are_rendered_without_managed_fields() {
        let value = object_value(&instance()).expect("renders");
        assert!(value["metadata"].get("managedFields").is_none());
        assert_eq!(value["metadata"]["name"], "demo");
        assert_eq!(value["spec"]["managementCluster"], "local");
    }

    #[test]
    fn lists_render_as_v1_list_in_yaml() {
        let value = object_value(&instance()).expect("renders");
        let yaml = to_yaml(&list_value(vec![value])).expect("renders");
        assert!(
            yaml.starts_with("apiVersion: v1\nitems:\n- apiVersion: multicloud.dev/v1alpha1\n")
        );
        assert!(yaml.contains("\nkind: List\n"), "{yaml}");
    }

    #[test]
    fn problems_exit_non_zero() {
        assert_eq!(
            Output::text("x").with_status(false).status,
            Status::Problems
        );
    }
}
