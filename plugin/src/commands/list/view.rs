//! The flags `list` and `get` share to shape what they print: `-o`, `--no-headers`,
//! `--show-labels`, `--sort-by` and `-w/--watch`, as kubectl's `get` has them.

use std::cmp::Ordering;

use clap::Args;
use multicloud_api::MulticloudInstance;
use serde_json::Value;

use super::format::{ListOutput, ListOutputParser};
use crate::error::CmdError;
use crate::flags::OutputFormat;
use crate::output::object_value;
use crate::template::query_values;

/// How to show the instances.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// Output format: table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC.
    #[arg(short, long, default_value = "table", value_parser = ListOutputParser, hide_possible_values = true)]
    pub output: ListOutput,

    /// Leave out the header line of tables.
    #[arg(long)]
    pub no_headers: bool,

    /// Add a LABELS column to tables.
    #[arg(long)]
    pub show_labels: bool,

    /// Sort by the value of a JSONPath expression, e.g. `.metadata.creationTimestamp` or
    /// `{.spec.etcd.replicas}`.
    #[arg(long, value_name = "JSONPATH")]
    pub sort_by: Option<String>,

    /// After the list, print each change as it happens (a row, or an object) until stopped.
    #[arg(short, long)]
    pub watch: bool,
}

/// What a table shows besides the format's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOptions {
    /// Whether the header line is printed.
    pub headers: bool,
    /// Whether a LABELS column ends each row.
    pub show_labels: bool,
}

impl TableOptions {
    /// A table with its header line and no LABELS column.
    pub const PLAIN: TableOptions = TableOptions {
        headers: true,
        show_labels: false,
    };
}

impl ViewArgs {
    /// The table options these flags ask for.
    pub fn table(&self) -> TableOptions {
        TableOptions {
            headers: !self.no_headers,
            show_labels: self.show_labels,
        }
    }

    /// Whether the output is a table (`table` or `wide`).
    pub fn is_table(&self) -> bool {
        matches!(
            self.output,
            ListOutput::Format(OutputFormat::Table | OutputFormat::Wide)
        )
    }

    /// Sorts `items` as `--sort-by` asks (a stable sort; unchanged without it).
    pub fn sort(&self, items: &mut [MulticloudInstance]) -> Result<(), CmdError> {
        match &self.sort_by {
            Some(expression) => sort_by(items, expression),
            None => Ok(()),
        }
    }
}

/// `metadata.labels` as kubectl's LABELS column prints them: `k=v` by key, joined by commas.
pub fn labels_text(instance: &MulticloudInstance) -> String {
    instance
        .metadata
        .labels
        .iter()
        .flatten()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Sorts by the first value `expression` selects in each instance, as kubectl's `--sort-by`:
/// numbers by value, text by text, instances without the field first.
pub fn sort_by(items: &mut [MulticloudInstance], expression: &str) -> Result<(), CmdError> {
    let expression = expression
        .trim()
        .strip_prefix('{')
        .and_then(|e| e.strip_suffix('}'))
        .unwrap_or(expression.trim());
    let mut keyed = Vec::with_capacity(items.len());
    for item in items.iter() {
        let value = object_value(item)?;
        let key = query_values(&value, expression)?
            .first()
            .map(|v| (*v).clone());
        keyed.push((key, item.clone()));
    }
    keyed.sort_by(|(a, _), (b, _)| compare(a.as_ref(), b.as_ref()));
    for (slot, (_, item)) in items.iter_mut().zip(keyed) {
        *slot = item;
    }
    Ok(())
}

fn compare(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(Value::Number(a)), Some(Value::Number(b))) => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(a)), Some(Value::String(b))) => a.cmp(b),
        (Some(a), Some(b)) => a.to_string().cmp(&b.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{instance, replicas};

    fn names(items: &[MulticloudInstance]) -> Vec<&str> {
        items.iter().map(|i| i.name()).collect()
    }

    #[test]
    fn sort_by_orders_numbers_by_value_and_puts_missing_fields_first() {
        let mut items = vec![
            replicas(instance("ten", 1), 10),
            replicas(instance("three", 2), 3),
            replicas(instance("five", 3), 5),
        ];
        sort_by(&mut items, "{.spec.etcd.replicas}").expect("sorts");
        assert_eq!(names(&items), ["three", "five", "ten"]);
        sort_by(&mut items, ".metadata.name").expect("sorts");
        assert_eq!(names(&items), ["five", "ten", "three"]);
        items[2].spec.display_name = Some("a".into());
        sort_by(&mut items, ".spec.displayName").expect("sorts");
        assert_eq!(
            names(&items)[2],
            "three",
            "the only one with the field is last"
        );
    }

    #[test]
    fn a_bad_sort_expression_is_an_error() {
        let mut items = vec![instance("a", 1)];
        assert!(sort_by(&mut items, "{.spec[}").is_err());
    }

    #[test]
    fn labels_read_key_equals_value_by_key() {
        let mut demo = instance("demo", 1);
        demo.metadata.labels = Some(
            [("team", "x"), ("env", "prod")]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        assert_eq!(labels_text(&demo), "env=prod,team=x");
        assert_eq!(labels_text(&instance("bare", 1)), "");
    }
}
