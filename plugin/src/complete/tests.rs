use super::*;

/// A cluster with instances `demo` (Running) and `lab`, management clusters `local` and
/// `edge-1`, and kubeconfig contexts `prod` and `staging`.
struct Fake;

impl Lookup for Fake {
    fn instances(&self) -> Vec<Candidate> {
        vec![
            Candidate {
                value: "demo".into(),
                help: "Running".into(),
            },
            Candidate {
                value: "lab".into(),
                help: String::new(),
            },
        ]
    }
    fn clusters(&self) -> Vec<String> {
        vec!["edge-1".into(), "local".into()]
    }
    fn contexts(&self) -> Vec<String> {
        vec!["prod".into(), "staging".into()]
    }
    fn kubeconfig_clusters(&self) -> Vec<String> {
        vec!["prod-cluster".into()]
    }
    fn kubeconfig_users(&self) -> Vec<String> {
        vec!["admin".into()]
    }
}

fn values(words: &[&str]) -> (Vec<String>, Directive) {
    let words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    let (candidates, directive) = complete(&words, &Fake);
    (candidates.into_iter().map(|c| c.value).collect(), directive)
}

#[test]
fn the_first_word_completes_the_subcommands() {
    let (found, directive) = values(&[""]);
    for command in [
        "check", "create", "list", "get", "delete", "cluster", "version",
    ] {
        assert!(found.iter().any(|c| c == command), "{command} in {found:?}");
    }
    assert!(!found.iter().any(|c| c == "help"));
    assert_eq!(directive, Directive::NoFiles);
    assert_eq!(values(&["de"]).0, ["describe", "delete"]);
}

#[test]
fn names_complete_from_the_cluster() {
    assert_eq!(values(&["get", ""]).0, ["demo", "lab"]);
    assert_eq!(
        values(&["get", "demo", "l"]).0,
        ["lab"],
        "get takes several"
    );
    assert_eq!(values(&["describe", "d"]).0, ["demo"]);
    assert!(
        values(&["describe", "demo", ""]).0.is_empty(),
        "one name only"
    );
    assert_eq!(values(&["rm", "--yes", ""]).0, ["demo", "lab"]);
    assert_eq!(values(&["cluster", "remove", ""]).0, ["edge-1", "local"]);
    assert_eq!(
        values(&["create", "x", "--management-cluster", "e"]).0,
        ["edge-1"]
    );
    assert_eq!(
        values(&["create", "x", "--management-cluster=l"]).0,
        ["--management-cluster=local"]
    );
}

#[test]
fn flags_complete_with_their_help_and_fixed_values() {
    let words: Vec<String> = ["list", "--sh"].iter().map(|w| (*w).to_owned()).collect();
    let (found, _) = complete(&words, &Fake);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].value, "--show-labels");
    assert_eq!(found[0].help, "Add a LABELS column to tables");

    let (formats, _) = values(&["list", "-o", ""]);
    assert!(formats.iter().any(|f| f == "wide") && formats.iter().any(|f| f == "jsonpath="));
    assert_eq!(values(&["diagnose", "demo", "-o", "j"]).0, ["json"]);
    assert_eq!(values(&["completion", "f"]).0, ["fish"]);
    assert_eq!(values(&["--context", ""]).0, ["prod", "staging"]);
    assert_eq!(values(&["list", "--context=s"]).0, ["--context=staging"]);
    assert_eq!(values(&["list", "--user", ""]).0, ["admin"]);
}

#[test]
fn a_flag_given_once_is_not_offered_again() {
    let (found, _) = values(&["delete", "--yes", "--y"]);
    assert!(found.is_empty(), "{found:?}");
    let (found, _) = values(&["list", "--as-group", "a", "--as-g"]);
    assert_eq!(found, ["--as-group"], "repeatable flags stay");
}

#[test]
fn file_flags_leave_completion_to_the_shell() {
    assert_eq!(
        values(&["--kubeconfig", ""]),
        (Vec::new(), Directive::Files)
    );
    assert_eq!(values(&["check", "-f", ""]), (Vec::new(), Directive::Files));
}

#[test]
fn rendered_as_cobra_prints_them() {
    let words: Vec<String> = vec!["get".into(), "d".into()];
    let (found, directive) = complete(&words, &Fake);
    assert_eq!(render(&found, directive), "demo\tRunning\n:4\n");
    let forged = [Candidate {
        value: "a\nb\tc".into(),
        help: String::new(),
    }];
    assert_eq!(render(&forged, Directive::NoFiles), "abc\n:4\n");
}
