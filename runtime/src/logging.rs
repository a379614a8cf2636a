//! Log lines on stderr, the same way for every server: text (coloured only on a terminal and
//! without `NO_COLOR`) or one JSON object per line with the event's fields at the top level.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The flags of logging.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct LogArgs {
    /// Log line format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Which log lines are written, as a RUST_LOG filter (`info`, `warn,multicloud=debug`);
    /// without it RUST_LOG decides, and without that `info`.
    #[arg(long)]
    pub log_level: Option<String>,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("--log-level `{level}` is not a log filter")]
pub struct LevelError {
    level: String,
    #[source]
    source: tracing_subscriber::filter::ParseError,
}

impl LogArgs {
    /// The filter these flags choose.
    pub fn filter(&self) -> Result<EnvFilter, LevelError> {
        match &self.log_level {
            Some(level) => EnvFilter::try_new(level).map_err(|source| LevelError {
                level: level.clone(),
                source,
            }),
            None => {
                Ok(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
            }
        }
    }
}

/// Whether text lines are coloured: only for a person at a terminal who did not ask otherwise.
fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// Sets up logging to stderr as `args` say. A second call in the same process (tests) keeps
/// the first set-up.
pub fn init(args: &LogArgs) -> Result<(), LevelError> {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(args.filter()?)
        .with_writer(std::io::stderr)
        .with_ansi(colour());
    let _ = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        log: LogArgs,
    }

    #[test]
    fn a_level_that_is_no_filter_is_refused_naming_the_flag() {
        let flags = Flags::parse_from(["x", "--log-level", "info,=[bad"]);
        let error = flags.log.filter().expect_err("refused");
        assert!(error.to_string().contains("--log-level"), "{error}");
        let flags = Flags::parse_from([
            "x",
            "--log-level",
            "warn,multicloud=debug",
            "--log-format",
            "json",
        ]);
        assert!(flags.log.filter().is_ok());
        assert_eq!(flags.log.log_format, LogFormat::Json);
    }
}
