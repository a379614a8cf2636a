//! `completion`: shell completion scripts for the `kubectl-multicloud` binary.

use clap::Args;
use clap_complete::Shell;

use crate::error::CmdError;
use crate::output::Output;

/// The executable the scripts complete.
pub const BINARY: &str = "kubectl-multicloud";

/// The name bash's script is generated for: the binary's name without its dash.
const BASH_NAME: &str = "kubectl_multicloud";

/// Points the `complete -F` lines of a bash script generated for [`BASH_NAME`] at [`BINARY`].
fn register_for_binary(script: &str) -> String {
    script
        .lines()
        .map(|line| match line.trim_start().starts_with("complete -F ") {
            true => match line.strip_suffix(BASH_NAME) {
                Some(head) => format!("{head}{BINARY}"),
                None => line.to_owned(),
            },
            false => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

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
    /// Generates the script for `command`, the whole command line.
    pub fn run(&self, mut command: clap::Command) -> Result<Output, CmdError> {
        let mut script = Vec::new();
        if self.shell == Shell::Bash {
            // clap_complete's bash generator writes the states of subcommands with the binary's
            // `-` as `__` and their case labels with `-` as `__subcmd__`, so for a name with a
            // dash every completion past the first word is lost. Generating for a name without
            // a dash keeps the two equal; only the final `complete` lines name the executable.
            clap_complete::generate(self.shell, &mut command, BASH_NAME, &mut script);
            let script = String::from_utf8(script)
                .map_err(|e| CmdError::with_source("the completion script is not UTF-8", e))?;
            return Ok(Output::text(register_for_binary(&script)));
        }
        clap_complete::generate(self.shell, &mut command, BINARY, &mut script);
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
            let output = CompletionArgs { shell }
                .run(<crate::cli::Cli as clap::CommandFactory>::command())
                .expect("generates");
            assert!(output.text.contains("kubectl-multicloud"), "{shell}");
            assert!(output.text.contains("diagnose"), "{shell}");
        }
    }
}
