//! `kubectl multicloud <TAB>`: the candidates kubectl (1.26+) asks the `kubectl_complete-multicloud`
//! executable for. kubectl runs it with the words after `kubectl multicloud`, the one being
//! completed last (empty for a new word), and reads one candidate per line (`value<TAB>help`),
//! then `:<directive>`, cobra's `__complete` protocol (kubernetes/kubectl
//! `pkg/cmd/plugin/plugin_completion.go`, cobra `completions.go`).
//!
//! The words are walked through the clap definition of the command line, so subcommands, flags
//! and fixed values can never disagree with what the parser accepts; instance names, management
//! cluster names and kubeconfig contexts come from a [`Lookup`].

use clap::{Arg, ArgAction, Command, CommandFactory, ValueHint};

use crate::cli::Cli;

pub mod live;

/// cobra's `ShellCompDirective`: how the shell treats the candidates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// The shell may fall back to completing file names (a flag that takes a file).
    Files = 0,
    /// Only these candidates; no file names.
    NoFiles = 4,
}

/// One candidate and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// What the shell inserts.
    pub value: String,
    /// One line shown beside it (zsh, fish).
    pub help: String,
}

/// What completion needs from the cluster and the kubeconfig.
pub trait Lookup {
    /// Instance names, with a short description (their phase).
    fn instances(&self) -> Vec<Candidate>;
    /// Management cluster names (`local` and the registered ones).
    fn clusters(&self) -> Vec<String>;
    /// kubeconfig context names.
    fn contexts(&self) -> Vec<String>;
    /// kubeconfig cluster entry names (`--cluster`).
    fn kubeconfig_clusters(&self) -> Vec<String>;
    /// kubeconfig user entry names (`--user`).
    fn kubeconfig_users(&self) -> Vec<String>;
}

/// The candidates for the last of `words`, given the ones before it.
pub fn complete(words: &[String], lookup: &dyn Lookup) -> (Vec<Candidate>, Directive) {
    let (current, done) = match words.split_last() {
        Some((current, done)) => (current.as_str(), done),
        None => ("", &[][..]),
    };
    let mut root = Cli::command();
    root.build();
    let walked = walk(&root, done);
    let command = walked.command;

    if let Some(arg) = walked.pending_value {
        return values(command, arg, current, "", lookup);
    }
    if !walked.after_double_dash
        && let Some(rest) = current.strip_prefix("--")
        && let Some((flag, value)) = rest.split_once('=')
    {
        return match find_long(command, flag) {
            Some(arg) => values(command, arg, value, &format!("--{flag}="), lookup),
            None => (Vec::new(), Directive::NoFiles),
        };
    }
    if current.starts_with('-') && !walked.after_double_dash {
        return (flags(command, current, &walked.used), Directive::NoFiles);
    }
    let mut candidates: Vec<Candidate> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        .map(|s| Candidate {
            value: s.get_name().to_owned(),
            help: first_line(s.get_about().map(ToString::to_string)),
        })
        .collect();
    if let Some(arg) = positional(command, walked.positionals) {
        let (found, directive) = values(command, arg, current, "", lookup);
        if directive == Directive::Files && candidates.is_empty() {
            return (found, directive);
        }
        candidates.extend(found);
    }
    candidates.retain(|c| c.value.starts_with(current));
    (candidates, Directive::NoFiles)
}

/// How far the words took the walk.
struct Walked<'c> {
    /// The innermost subcommand named.
    command: &'c Command,
    /// A flag whose value is the word being completed.
    pending_value: Option<&'c Arg>,
    /// How many positional words the command has got so far.
    positionals: usize,
    /// Ids of the flags given.
    used: Vec<String>,
    after_double_dash: bool,
}

fn walk<'c>(root: &'c Command, words: &[String]) -> Walked<'c> {
    let mut walked = Walked {
        command: root,
        pending_value: None,
        positionals: 0,
        used: Vec::new(),
        after_double_dash: false,
    };
    for word in words {
        if walked.pending_value.take().is_some() {
            continue;
        }
        if walked.after_double_dash {
            walked.positionals += 1;
        } else if word == "--" {
            walked.after_double_dash = true;
        } else if let Some(long) = word.strip_prefix("--") {
            walked.long(long);
        } else if let Some(shorts) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            walked.shorts(shorts);
        } else {
            match walked.command.find_subcommand(word) {
                Some(sub) if walked.positionals == 0 => {
                    walked.command = sub;
                    walked.used.clear();
                }
                _ => walked.positionals += 1,
            }
        }
    }
    walked
}

impl<'c> Walked<'c> {
    /// `--name` or `--name=value`: a value not given inline is the next word.
    fn long(&mut self, long: &str) {
        let (name, inline) = match long.split_once('=') {
            Some((name, _)) => (name, true),
            None => (long, false),
        };
        if let Some(arg) = find_long(self.command, name) {
            self.used.push(arg.get_id().to_string());
            if !inline && takes_value(arg) {
                self.pending_value = Some(arg);
            }
        }
    }

    /// `-o`, `-vv`, `-ojson`: a short that takes a value ends the cluster, and takes the next
    /// word when nothing follows it.
    fn shorts(&mut self, shorts: &str) {
        for (at, short) in shorts.char_indices() {
            let Some(arg) = self
                .command
                .get_arguments()
                .find(|a| a.get_short() == Some(short))
            else {
                break;
            };
            self.used.push(arg.get_id().to_string());
            if takes_value(arg) {
                if at + short.len_utf8() == shorts.len() {
                    self.pending_value = Some(arg);
                }
                break;
            }
        }
    }
}

fn find_long<'c>(command: &'c Command, name: &str) -> Option<&'c Arg> {
    command.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
        && arg
            .get_num_args()
            .is_none_or(|range| range.min_values() > 0)
}

/// The positional argument the next positional word fills.
fn positional(command: &Command, given: usize) -> Option<&Arg> {
    let mut positionals: Vec<&Arg> = command.get_positionals().collect();
    positionals.sort_by_key(|a| a.get_index());
    positionals.into_iter().enumerate().find_map(|(seen, arg)| {
        let many = matches!(arg.get_action(), ArgAction::Append)
            || arg.get_num_args().is_some_and(|r| r.max_values() > 1);
        (many || seen == given).then_some(arg)
    })
}

/// Flags of `command` that start with `current`, leaving out the ones given that cannot repeat.
fn flags(command: &Command, current: &str, used: &[String]) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeats = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if !repeats && used.iter().any(|id| id == arg.get_id().as_str()) {
            continue;
        }
        let help = first_line(arg.get_help().map(ToString::to_string));
        if let Some(long) = arg.get_long() {
            candidates.push(Candidate {
                value: format!("--{long}"),
                help: help.clone(),
            });
        }
        if current == "-"
            && let Some(short) = arg.get_short()
        {
            candidates.push(Candidate {
                value: format!("-{short}"),
                help,
            });
        }
    }
    candidates.retain(|c| c.value.starts_with(current));
    candidates
}

/// Values of `arg` starting with `current`, each prefixed with `prefix` (`--flag=`).
fn values(
    command: &Command,
    arg: &Arg,
    current: &str,
    prefix: &str,
    lookup: &dyn Lookup,
) -> (Vec<Candidate>, Directive) {
    if matches!(
        arg.get_value_hint(),
        ValueHint::FilePath | ValueHint::AnyPath | ValueHint::DirPath
    ) || value_name_is_file(arg)
    {
        return (Vec::new(), Directive::Files);
    }
    let plain = |names: Vec<String>| -> Vec<Candidate> {
        names
            .into_iter()
            .map(|value| Candidate {
                value,
                help: String::new(),
            })
            .collect()
    };
    let mut candidates: Vec<Candidate> = match (command.get_name(), arg.get_id().as_str()) {
        (_, "context") => plain(lookup.contexts()),
        (_, "cluster") => plain(lookup.kubeconfig_clusters()),
        (_, "user") => plain(lookup.kubeconfig_users()),
        (_, "management_cluster") => plain(lookup.clusters()),
        ("remove", "name") => plain(lookup.clusters()),
        ("get" | "describe" | "delete" | "diagnose" | "kubeconfig" | "list", _)
            if arg.is_positional() =>
        {
            lookup.instances()
        }
        _ => arg
            .get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| Candidate {
                value: v.get_name().to_owned(),
                help: first_line(v.get_help().map(ToString::to_string)),
            })
            .collect(),
    };
    candidates.retain(|c| c.value.starts_with(current));
    for candidate in &mut candidates {
        candidate.value = format!("{prefix}{}", candidate.value);
    }
    (candidates, Directive::NoFiles)
}

/// Flags whose value is a file by their value name (`FILE`), as the derive sets no hint.
fn value_name_is_file(arg: &Arg) -> bool {
    arg.get_value_names()
        .is_some_and(|names| names.iter().any(|n| n.as_str() == "FILE" || n == "DIR"))
}

fn first_line(text: Option<String>) -> String {
    text.unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_owned()
}

/// The lines kubectl reads: each candidate (with its help after a tab), then the directive.
pub fn render(candidates: &[Candidate], directive: Directive) -> String {
    let mut out = String::new();
    for candidate in candidates {
        // A candidate is one line; a tab or newline in a name from the cluster would forge more.
        let value: String = candidate
            .value
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        let help: String = candidate.help.chars().filter(|c| !c.is_control()).collect();
        out.push_str(&value);
        if !help.is_empty() {
            out.push('\t');
            out.push_str(&help);
        }
        out.push('\n');
    }
    out.push_str(&format!(":{}\n", directive as u8));
    out
}

#[cfg(test)]
mod tests;
