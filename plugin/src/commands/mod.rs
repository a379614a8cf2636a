//! One module per command; each has an `XArgs` with `run(&self, ctx) -> Result<Output, CmdError>`.
//! [`crate::cli`] knows them all; they know only their shared flags ([`crate::flags`]).

pub mod check;
pub mod cluster;
pub mod completion;
pub mod create;
pub mod delete;
pub mod describe;
pub mod diagnose;
pub mod get;
pub mod install;
pub mod kubeconfig;
pub mod list;
pub mod version;
