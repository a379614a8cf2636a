//! `completion`: shell completion scripts for the `kubectl-multicloud` binary.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::Cli;
use crate::error::CmdError;
use crate::output::Output;

/// Flags of `completion`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    source <(kubectl-multicloud completion bash)\n  \
    kubectl-multicloud completion zsh > \"${fpath[1]}/_kubectl-multicloud\"\n  \
    kubectl-multicloud completion fish > ~/.config/fish/completions/kubectl-multicloud.fish")]
pub struct CompletionArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

impl CompletionArgs {
    /// Generates the script.
    pub fn run(&self) -> Result<Output, CmdError> {
        let mut script = Vec::new();
        clap_complete::generate(
            self.shell,
            &mut Cli::command(),
            "kubectl-multicloud",
            &mut script,
        );
        String::from_utf8(script)
            .map(Output::text)
            .map_err(|e| CmdError::with_source("the completion script is not UTF-8", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_naming_the_binary_and_commands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish, Shell::PowerShell] {
            let output = CompletionArgs { shell }.run().expect("generates");
            assert!(output.text.contains("kubectl-multicloud"), "{shell}");
            assert!(output.text.contains("diagnose"), "{shell}");
        }
    }
}
