//! Reading instances from files: YAML (several documents per file) or JSON (one or more values),
//! single objects or `List`s, from files, directories (their `.yaml`, `.yml` and `.json` files,
//! not recursively, as `kubectl apply -f DIR`) or stdin (`-`). Errors name the file and line.

use std::path::{Path, PathBuf};

use multicloud_api::MulticloudInstance;
use multicloud_api::rules::Violation;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::CmdError;

/// Where a document came from: `file:line` of its first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file as given (or `<stdin>`).
    pub file: String,
    /// 1-based line where the document starts.
    pub line: usize,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One document of the input.
#[derive(Debug, Clone)]
pub enum Document {
    /// A `MulticloudInstance` the API server would take, as it would store it before admission
    /// (schema defaults applied).
    Instance(Source, Box<Written>),
    /// A `MulticloudInstance` the API server itself would refuse (unserved version, unknown
    /// field, wrong type or value); its name and why.
    Refused(Source, String, Vec<Violation>),
    /// Any other object, which the caller may skip; its kind.
    Other(Source, String),
}

/// An instance as written and as the API server's schema defaults complete it.
#[derive(Debug, Clone)]
pub struct Written {
    /// The instance with the schema's defaults.
    pub instance: MulticloudInstance,
    /// The object exactly as the file has it.
    pub as_written: Value,
    /// The object with the schema's defaults, before any webhook.
    pub defaulted: Value,
}

/// Every document of every path, in order; directories are read in name order. Files equal to
/// `skip` (the clusters file when it sits among the instances) are left out.
pub fn load(paths: &[PathBuf], skip: Option<&Path>) -> Result<Vec<Document>, CmdError> {
    let skip = skip.and_then(|p| p.canonicalize().ok());
    let mut documents = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let text = std::io::read_to_string(std::io::stdin())
                .map_err(|e| CmdError::io("failed to read stdin", e))?;
            documents.extend(parse("<stdin>", &text)?);
            continue;
        }
        for file in files_of(path)? {
            if skip.is_some() && file.canonicalize().ok() == skip {
                continue;
            }
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CmdError::io(format!("failed to read {}", file.display()), e))?;
            documents.extend(parse(&file.display().to_string(), &text)?);
        }
    }
    Ok(documents)
}

fn files_of(path: &Path) -> Result<Vec<PathBuf>, CmdError> {
    let metadata = std::fs::metadata(path)
        .map_err(|e| CmdError::io(format!("failed to read {}", path.display()), e))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path)
        .map_err(|e| CmdError::io(format!("failed to list {}", path.display()), e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry =
            entry.map_err(|e| CmdError::io(format!("failed to list {}", path.display()), e))?;
        let file = entry.path();
        let manifest = file
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"));
        if manifest && file.is_file() {
            files.push(file);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(CmdError::msg(format!(
            "{} holds no .yaml, .yml or .json file",
            path.display()
        )));
    }
    Ok(files)
}

/// The documents of one file's text.
pub fn parse(file: &str, text: &str) -> Result<Vec<Document>, CmdError> {
    let looks_json = file.ends_with(".json") || text.trim_start().starts_with('{');
    let values = if looks_json {
        json_values(file, text)?
    } else {
        yaml_values(file, text)?
    };
    let mut documents = Vec::new();
    for raw in values {
        let yaml = raw
            .yaml
            .as_ref()
            .map(|(text, before)| (text.as_str(), *before));
        documents.extend(classify(raw.source, raw.value, yaml)?);
    }
    Ok(documents)
}

/// A parsed document, with its YAML text and the number of lines before it in the file when
/// it was YAML, so that a typed parse can report the line of a wrong field.
struct Raw {
    source: Source,
    value: Value,
    yaml: Option<(String, usize)>,
}

/// Each YAML document with the line it starts on. Documents are split at `---` lines and parsed
/// one by one; parser errors are moved down by the lines before the document, so they carry
/// the file's line.
fn yaml_values(file: &str, text: &str) -> Result<Vec<Raw>, CmdError> {
    let mut values = Vec::new();
    let mut start = 0;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut flush = |from: usize, to: usize| -> Result<(), CmdError> {
        let body: String = lines[from..to].concat();
        if body.trim().is_empty() {
            return Ok(());
        }
        let value: Value =
            multicloud_api::yaml::from_str(&body).map_err(|e| yaml_error(file, from, "", &e))?;
        if !value.is_null() {
            // The document starts at its first line with content.
            let first = (from..to)
                .find(|&i| {
                    let line = lines[i].trim();
                    !line.is_empty() && !line.starts_with('#') && !line.starts_with("---")
                })
                .unwrap_or(from);
            values.push(Raw {
                source: Source {
                    file: file.to_owned(),
                    line: first + 1,
                },
                value,
                yaml: Some((body, from)),
            });
        }
        Ok(())
    };
    for (i, line) in lines.iter().enumerate() {
        let marker =
            line.starts_with("---") && line[3..].chars().next().is_none_or(char::is_whitespace);
        if marker {
            flush(start, i)?;
            start = i;
        }
    }
    flush(start, lines.len())?;
    Ok(values)
}

/// A YAML parser error of a document that starts after `lines_before` lines of `file`, located
/// in the file (`file:line:column: `); `what` goes before the parser's message.
pub(crate) fn yaml_error(
    file: &str,
    lines_before: usize,
    what: &str,
    e: &multicloud_api::yaml::Error,
) -> CmdError {
    let at = e
        .location()
        .map(|(line, column)| (line + lines_before, column));
    located(file, at, format!("{what}{}", e.message()))
}

/// `value` as a `T`: one typed read for YAML and JSON alike, whose message names the path of
/// the field at fault. For a value read from YAML (`text`, after `lines_before` lines of its
/// file), the YAML parser asked again gives the line and column of that field.
pub(crate) fn typed<T: DeserializeOwned>(
    value: &Value,
    yaml: Option<(&str, usize)>,
) -> Result<T, (Option<(usize, usize)>, String)> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let at = yaml.and_then(|(text, lines_before)| {
            let typed = multicloud_api::yaml::from_str::<T>(text).err()?;
            typed
                .location()
                .map(|(line, column)| (line + lines_before, column))
        });
        (at, e.to_string())
    })
}

/// Each JSON value of a file holding one or more, with the line it starts on.
fn json_values(file: &str, text: &str) -> Result<Vec<Raw>, CmdError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut values = Vec::new();
    loop {
        let offset = stream.byte_offset();
        let Some(next) = stream.next() else { break };
        let value =
            next.map_err(|e| located(file, Some((e.line(), e.column())).filter(|l| l.0 > 0), e))?;
        let skipped = text[offset..].len() - text[offset..].trim_start().len();
        let line = text[..offset + skipped].matches('\n').count() + 1;
        values.push(Raw {
            source: Source {
                file: file.to_owned(),
                line,
            },
            value,
            yaml: None,
        });
    }
    Ok(values)
}

/// An object becomes a document; a `List` becomes its items.
fn classify(
    source: Source,
    value: Value,
    yaml: Option<(&str, usize)>,
) -> Result<Vec<Document>, CmdError> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !value.is_object() || kind.is_empty() {
        return Err(CmdError::msg(format!(
            "{source}: not a Kubernetes object (it has no `kind`); expected a MulticloudInstance"
        )));
    }
    if kind == "List" || kind.ends_with("List") && value.get("items").is_some() {
        let items = value
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut documents = Vec::new();
        for item in items {
            documents.extend(classify(source.clone(), item, None)?);
        }
        return Ok(documents);
    }
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let group = api_version.split('/').next().unwrap_or_default();
    if kind != "MulticloudInstance" || group != multicloud_api::keys::GROUP {
        return Ok(vec![Document::Other(source, kind.to_owned())]);
    }
    let instance: MulticloudInstance = typed(&value, yaml).map_err(|(at, message)| {
        let message = format!("not a valid MulticloudInstance: {message}");
        match at {
            Some(at) => located(&source.file, Some(at), message),
            None => CmdError::msg(format!("{source}: {message}")),
        }
    })?;
    // Then what the API server would do with it, from the CRD: a field it does not declare or
    // a version it does not serve is refused there, whatever the typed parse made of it.
    let defaulted = match multicloud_api::schema::apply(&multicloud_api::crd::crd(), &value) {
        Ok(defaulted) => defaulted,
        Err(violations) => {
            let name = instance.metadata.name.clone().unwrap_or_default();
            return Ok(vec![Document::Refused(source, name, violations)]);
        }
    };
    let instance = serde_json::from_value(defaulted.clone()).unwrap_or(instance);
    Ok(vec![Document::Instance(
        source,
        Box::new(Written {
            instance,
            as_written: value,
            defaulted,
        }),
    )])
}

/// `file:line:column: message`, with the parser's own " at line .. column .." removed.
pub(crate) fn located(
    file: &str,
    location: Option<(usize, usize)>,
    err: impl std::fmt::Display,
) -> CmdError {
    let message = err.to_string();
    match location {
        Some((line, column)) => {
            let suffix = format!(" at line {line} column {column}");
            let message = message.replace(&suffix, "");
            CmdError::msg(format!("{file}:{line}:{column}: {message}"))
        }
        None => CmdError::msg(format!("{file}: {message}")),
    }
}

#[cfg(test)]
mod tests;
