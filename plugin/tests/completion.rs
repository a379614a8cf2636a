//! The completion scripts, run in the real shells (bash, zsh, fish from Debian) against the
//! built binary: a script that only looks right is not enough, the candidates must come out.
//!
//! A shell that is not installed fails the test: `scripts/install-test-tools.sh` installs them.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-multicloud");

/// Runs `script` in `shell` with the binary's directory first on the PATH, bounded in time.
fn run(shell: &str, args: &[&str], script: &str) -> String {
    let dir = Path::new(BIN).parent().expect("the binary has a directory");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("timeout")
        .arg("20")
        .arg(shell)
        .args(args)
        .arg(script)
        .env("PATH", path)
        .env("HOME", std::env::temp_dir())
        .env("NO_COLOR", "1")
        .output()
        .unwrap_or_else(|e| {
            panic!("{shell} runs (install it with scripts/install-test-tools.sh): {e}")
        });
    assert!(
        output.status.success(),
        "{shell} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Bash: what `COMPREPLY` holds after completing `line` (which ends where the cursor is).
fn bash(line: &str) -> Vec<String> {
    let script = format!(
        r#"source <(kubectl-multicloud completion bash)
COMP_LINE='{line}'
read -r -a COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_POINT=${{#COMP_LINE}}
function=$(complete -p kubectl-multicloud | sed 's/.*-F \([^ ]*\).*/\1/')
"$function" kubectl-multicloud "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
    );
    lines(&run("bash", &["-c"], &script))
}

/// Fish: the candidates `complete -C` prints for `line`.
fn fish(line: &str) -> Vec<String> {
    let script = format!("kubectl-multicloud completion fish | source; complete -C '{line}'");
    lines(&run("fish", &["-c"], &script))
        .into_iter()
        .map(|l| l.split('\t').next().unwrap_or_default().to_owned())
        .collect()
}

/// Zsh: the candidates listed after pressing Tab on `line` in an interactive zsh, driven
/// through a pseudo-terminal (`zsh/zpty`), since zsh completes only inside its line editor.
fn zsh(line: &str) -> Vec<String> {
    let script = format!(
        r#"zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='> '; autoload -U compinit; compinit -u -D; source <(kubectl-multicloud completion zsh); zstyle ':completion:*' menu no; setopt autolist nolistbeep"
zpty -w -n z $'{line}\t'
out=""
for i in {{1..40}}; do
  if zpty -r -t z chunk; then out+="$chunk"; else sleep 0.1; fi
done
zpty -d z
print -r -- "$out""#
    );
    let screen = strip_escapes(&run("zsh", &["-f", "-c"], &script));
    // A listed candidate is the first word of a line like `add  -- Register ...`.
    screen
        .lines()
        .filter(|l| l.contains(" -- "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// The text of a terminal screen without its control sequences (`ESC [ ... letter`).
fn strip_escapes(screen: &str) -> String {
    let mut text = String::with_capacity(screen.len());
    let mut chars = screen.chars();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.next() == Some('[') {
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            '\r' => {}
            c => text.push(c),
        }
    }
    text
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_has(shell: &str, line: &str, got: &[String], want: &[&str]) {
    for w in want {
        assert!(
            got.iter().any(|g| g == w),
            "{shell}: completing `{line}` should offer `{w}`; got {got:?}"
        );
    }
}

#[test]
fn bash_completes_commands_subcommands_and_flag_values() {
    let got = bash("kubectl-multicloud ");
    assert_has(
        "bash",
        "kubectl-multicloud ",
        &got,
        &["create", "diagnose", "cluster"],
    );
    let got = bash("kubectl-multicloud cluster ");
    assert_has(
        "bash",
        "kubectl-multicloud cluster ",
        &got,
        &["add", "list", "remove"],
    );
    let got = bash("kubectl-multicloud list -o ");
    assert_has(
        "bash",
        "kubectl-multicloud list -o ",
        &got,
        &["json", "yaml", "wide"],
    );
    let got = bash("kubectl-multicloud get --");
    assert_has(
        "bash",
        "kubectl-multicloud get --",
        &got,
        &["--output", "--context"],
    );
}

#[test]
fn fish_completes_commands_subcommands_and_flag_values() {
    let got = fish("kubectl-multicloud ");
    assert_has(
        "fish",
        "kubectl-multicloud ",
        &got,
        &["create", "diagnose", "cluster"],
    );
    let got = fish("kubectl-multicloud cluster ");
    assert_has(
        "fish",
        "kubectl-multicloud cluster ",
        &got,
        &["add", "list", "remove"],
    );
    let got = fish("kubectl-multicloud list -o ");
    assert_has(
        "fish",
        "kubectl-multicloud list -o ",
        &got,
        &["json", "yaml", "wide"],
    );
}

#[test]
fn zsh_completes_commands_and_subcommands() {
    let got = zsh("kubectl-multicloud ");
    assert_has(
        "zsh",
        "kubectl-multicloud ",
        &got,
        &["create", "diagnose", "cluster"],
    );
    let got = zsh("kubectl-multicloud cluster ");
    assert_has(
        "zsh",
        "kubectl-multicloud cluster ",
        &got,
        &["add", "list", "remove"],
    );
}
