use super::*;

const GOOD: &str = r#"
apiVersion: v1
kind: Config
current-context: admin
contexts:
- name: admin
  context: { cluster: edge, user: admin }
clusters:
- name: edge
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: admin
  user: {}
"#;

/// The same file with `user: {}` replaced by `user`.
fn with_user(user: &str) -> String {
    GOOD.replace("user: {}", &format!("user: {user}"))
}

#[test]
fn finds_server_of_current_context() {
    assert_eq!(server_of(GOOD).as_deref(), Ok("https://127.0.0.1:6443"));
    assert_eq!(
        target_of(GOOD).map(|t| t.skips_tls_verify),
        Ok(false),
        "verifies TLS by default"
    );
}

#[test]
fn tells_when_tls_verification_is_skipped() {
    let insecure = GOOD.replace(
        r#"server: "https://127.0.0.1:6443""#,
        r#"server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true"#,
    );
    assert_eq!(
        target_of(&insecure),
        Ok(Target {
            server: "https://127.0.0.1:6443".into(),
            skips_tls_verify: true
        })
    );
}

#[test]
fn single_context_is_used_without_current_context() {
    let text = GOOD.replace("current-context: admin", "");
    let checked = check(&text).expect("one context is enough");
    assert_eq!(checked.context(), "admin");
    assert_eq!(
        checked.kubeconfig().current_context.as_deref(),
        Some("admin"),
        "the copy names the context, so client-go (which needs current-context) agrees"
    );
    let empty = GOOD.replace("current-context: admin", "current-context: \"\"");
    assert_eq!(
        check(&empty).map(|c| c.context().to_owned()),
        Ok("admin".into())
    );
}

#[test]
fn several_contexts_without_current_context_are_refused() {
    let text = GOOD.replace("current-context: admin", "").replace(
        "contexts:\n",
        "contexts:\n- name: other\n  context: { cluster: edge, user: admin }\n",
    );
    assert_eq!(server_of(&text), Err(KubeconfigError::NoContext));
}

#[test]
fn credential_plugins_are_refused() {
    for user in [
        "{exec: {command: /bin/true}}",
        "{auth-provider: {name: gcp, config: {cmd-path: /bin/true}}}",
    ] {
        assert_eq!(
            server_of(&with_user(user)),
            Err(KubeconfigError::CredentialPlugin("admin".into())),
            "{user}"
        );
    }
}

#[test]
fn credential_plugins_behind_merge_keys_are_refused() {
    // kube's parser applies `<<`, and so would the client: the policy must see through it.
    let in_user = format!(
        "x-plugin: &plugin\n  exec: {{command: /bin/sh}}\n{}",
        GOOD.replace("user: {}", "user:\n    <<: *plugin")
    );
    let in_item = format!(
        "x-user: &user\n  user: {{exec: {{command: /bin/sh}}}}\n{}",
        GOOD.replace("  user: {}\n", "  <<: *user\n")
    );
    let top_level = format!(
        "x-all: &all\n  users: [{{name: admin, user: {{exec: {{command: /bin/sh}}}}}}]\n<<: *all\n{}",
        GOOD.replace("users:\n- name: admin\n  user: {}\n", "")
    );
    for text in [in_user, in_item, top_level] {
        assert_eq!(
            server_of(&text),
            Err(KubeconfigError::CredentialPlugin("admin".into())),
            "{text}"
        );
    }
}

#[test]
fn a_plugin_in_a_later_document_is_refused() {
    let text =
        format!("{GOOD}---\nusers:\n- name: second\n  user: {{exec: {{command: /bin/sh}}}}\n");
    assert_eq!(
        server_of(&text),
        Err(KubeconfigError::CredentialPlugin("second".into()))
    );
}

#[test]
fn file_paths_are_refused() {
    for (user, field) in [
        ("{tokenFile: /var/run/secrets/token}", "tokenFile"),
        (
            "{client-certificate: /etc/c.pem, client-key-data: a2V5}",
            "client-certificate",
        ),
        (
            "{client-certificate-data: Y2VydA==, client-key: /etc/k.pem}",
            "client-key",
        ),
    ] {
        assert_eq!(
            server_of(&with_user(user)),
            Err(KubeconfigError::LocalFile {
                owner: "user `admin`".into(),
                field
            }),
            "{user}"
        );
    }
    let ca = GOOD.replace(
        r#"server: "https://127.0.0.1:6443""#,
        r#"server: "https://127.0.0.1:6443", certificate-authority: /etc/ca.pem"#,
    );
    assert_eq!(
        server_of(&ca),
        Err(KubeconfigError::LocalFile {
            owner: "cluster `edge`".into(),
            field: "certificate-authority"
        })
    );
}

#[test]
fn basic_auth_proxies_and_unknown_fields_are_refused() {
    assert_eq!(
        server_of(&with_user("{username: u, password: p}")),
        Err(KubeconfigError::BasicAuth("admin".into()))
    );
    let proxy = GOOD.replace(
        r#"server: "https://127.0.0.1:6443""#,
        r#"server: "https://127.0.0.1:6443", proxy-url: "http://127.0.0.1:1""#,
    );
    assert_eq!(
        server_of(&proxy),
        Err(KubeconfigError::Proxy("edge".into()))
    );
    // A spelling kube does not know but another parser might accept.
    assert_eq!(
        server_of(&with_user("{Exec: {command: /bin/sh}}")),
        Err(KubeconfigError::UnknownField {
            owner: "user `admin`".into(),
            field: "`Exec`".into()
        })
    );
    let secret_key = with_user("{\"s3cr3t token!\": x}");
    let error = server_of(&secret_key).expect_err("unknown").to_string();
    assert!(!error.contains("s3cr3t"), "{error}");
}

#[test]
fn the_copy_holds_only_the_chosen_context_and_admitted_fields() {
    let text = r#"
current-context: a
contexts:
- {name: a, context: {cluster: c, user: u, namespace: ns, extensions: [{name: x, extension: {}}]}}
- {name: b, context: {cluster: c, user: v}}
clusters:
- {name: c, cluster: {server: "https://127.0.0.1:1", certificate-authority-data: Q0E=, extensions: [{name: client.authentication.k8s.io/exec, extension: {}}]}}
users:
- {name: u, user: {token: t0k, as: someone}}
- {name: v, user: {token: other}}
preferences: {colors: true}
unrelated: {exec: {command: /bin/sh}}
"#;
    let checked = check(text).expect("admitted");
    let copy = checked.to_yaml();
    let reparsed = check(&copy).expect("the copy passes its own check");
    assert_eq!(reparsed.context(), "a");
    for absent in [
        "extensions",
        "preferences",
        "unrelated",
        "exec",
        "other",
        "/bin/sh",
    ] {
        assert!(!copy.contains(absent), "{absent} in\n{copy}");
    }
    for present in [
        "t0k",
        "someone",
        "Q0E=",
        "namespace: ns",
        "current-context: a",
    ] {
        assert!(copy.contains(present), "{present} missing in\n{copy}");
    }
    let debug = format!("{checked:?}");
    assert!(!debug.contains("t0k"), "{debug}");
}

#[test]
fn syntax_errors_say_where_but_never_quote_the_file() {
    let secret = GOOD.replace("clusters:", "clusters: \"s3cr3t-token\"");
    let error = server_of(&secret)
        .expect_err("clusters must be a list")
        .to_string();
    assert!(!error.contains("s3cr3t"), "{error}");
    assert!(error.contains("line"), "{error}");
}

#[test]
fn deeply_nested_text_is_refused_by_the_parsers_budget() {
    // A megabyte of `[[[[…`: refused at kube's parser's flow nesting limit, in one pass.
    let depth = 500_000;
    let text = format!(
        "{GOOD}\nextra: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let line = GOOD.lines().count() + 2;
    match server_of(&text) {
        Err(KubeconfigError::Syntax(at)) => {
            assert!(at.starts_with(&format!("at line {line}, column ")), "{at}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rejects_garbage_missing_context_cluster_user_and_server() {
    assert!(matches!(server_of("{{{"), Err(KubeconfigError::Syntax(_))));
    assert!(matches!(
        server_of("- a\n- b"),
        Err(KubeconfigError::Syntax(_))
    ));
    assert_eq!(server_of("kind: Config"), Err(KubeconfigError::NoContext));
    let missing = GOOD.replace("current-context: admin", "current-context: other");
    assert_eq!(
        server_of(&missing),
        Err(KubeconfigError::MissingContext("other".into()))
    );
    let no_cluster = GOOD.replace("cluster: edge,", "cluster: gone,");
    assert!(matches!(
        server_of(&no_cluster),
        Err(KubeconfigError::MissingCluster { .. })
    ));
    let no_user = GOOD.replace("user: admin }", "user: gone }");
    assert!(matches!(
        server_of(&no_user),
        Err(KubeconfigError::MissingUser { .. })
    ));
    let no_server = GOOD.replace("server: \"https://127.0.0.1:6443\"", "server: \"\"");
    assert_eq!(
        server_of(&no_server),
        Err(KubeconfigError::NoServer("edge".into()))
    );
}
