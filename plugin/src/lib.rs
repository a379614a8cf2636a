//! The library behind `kubectl multicloud`: every command, the input readers and the output
//! writers. The binary (`src/main.rs`) parses the command line and runs one command; the fuzz
//! targets call the input readers directly.
#![forbid(unsafe_code)]

pub mod cli;
pub mod clusters;
pub mod commands;
pub mod complete;
pub mod context;
pub mod duration;
pub mod error;
pub mod events;
#[cfg(test)]
mod fixtures;
pub mod flags;
pub mod instances;
pub mod observe;
pub mod output;
pub mod overrides;
pub mod style;
pub mod table;
pub mod template;
pub mod wait;
pub mod warnings;
pub mod write_file;
