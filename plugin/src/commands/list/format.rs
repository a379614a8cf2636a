//! `-o` of `list` and `get`: one of the fixed formats, or kubectl's `jsonpath=TEMPLATE` and
//! `custom-columns=HEADER:EXPRESSION,...`.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{ValueEnum, error::ErrorKind};

use crate::flags::OutputFormat;
use crate::template::{Template, parse_columns};

/// What `-o` asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum ListOutput {
    /// table, wide, json, yaml or name.
    Format(OutputFormat),
    /// `jsonpath=TEMPLATE`.
    JsonPath(Template),
    /// `custom-columns=SPEC`: each column's header and expression.
    CustomColumns(Vec<(String, String)>),
}

/// Parses `-o` of `list`/`get`, listing every choice for help and completion.
#[derive(Debug, Clone, Copy)]
pub struct ListOutputParser;

const FIXED: &[OutputFormat] = &[
    OutputFormat::Table,
    OutputFormat::Wide,
    OutputFormat::Json,
    OutputFormat::Yaml,
    OutputFormat::Name,
];

impl ListOutputParser {
    fn parse_text(text: &str) -> Result<ListOutput, String> {
        if let Some(template) = text.strip_prefix("jsonpath=") {
            return Template::parse(template).map(ListOutput::JsonPath);
        }
        if let Some(spec) = text.strip_prefix("custom-columns=") {
            return parse_columns(spec).map(ListOutput::CustomColumns);
        }
        FIXED
            .iter()
            .find(|f| {
                f.to_possible_value()
                    .is_some_and(|v| v.matches(text, false))
            })
            .map(|f| ListOutput::Format(*f))
            .ok_or_else(|| {
                "use table, wide, json, yaml, name, jsonpath=TEMPLATE or custom-columns=SPEC"
                    .to_owned()
            })
    }
}

impl TypedValueParser for ListOutputParser {
    type Value = ListOutput;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Self::Value, clap::Error> {
        let text = value.to_str().unwrap_or_default();
        let flag = arg.map_or_else(|| "--output".to_owned(), ToString::to_string);
        Self::parse_text(text).map_err(|message| {
            let message = format!("invalid value '{text}' for '{flag}': {message}\n");
            clap::Error::raw(ErrorKind::InvalidValue, message).with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        let fixed = FIXED.iter().filter_map(|f| f.to_possible_value());
        let templates = [
            PossibleValue::new("jsonpath=")
                .help("kubectl's JSONPath template, e.g. jsonpath={.metadata.name}"),
            PossibleValue::new("custom-columns=")
                .help("Columns HEADER:EXPRESSION,..., e.g. custom-columns=NAME:.metadata.name"),
        ];
        Some(Box::new(fixed.chain(templates)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_formats_templates_and_columns_parse() {
        assert_eq!(
            ListOutputParser::parse_text("wide"),
            Ok(ListOutput::Format(OutputFormat::Wide))
        );
        assert!(matches!(
            ListOutputParser::parse_text("jsonpath={.metadata.name}"),
            Ok(ListOutput::JsonPath(_))
        ));
        assert!(matches!(
            ListOutputParser::parse_text("custom-columns=NAME:.metadata.name"),
            Ok(ListOutput::CustomColumns(c)) if c.len() == 1
        ));
        assert!(
            ListOutputParser::parse_text("xml")
                .unwrap_err()
                .contains("jsonpath=")
        );
    }
}
