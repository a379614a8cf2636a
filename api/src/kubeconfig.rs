//! A structural check of kubeconfig files, so that a management cluster Secret whose kubeconfig
//! could never be used is refused when it is written, not when an instance needs it.
//!
//! Errors never quote the file: a kubeconfig holds tokens and keys, and these messages end up
//! in admission denials, logs and instance conditions.

use serde::Deserialize;
use thiserror::Error;

/// Why a kubeconfig is unusable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KubeconfigError {
    /// Not YAML (or JSON) of the kubeconfig shape; where, never what.
    #[error("is not a kubeconfig (malformed {0})")]
    Syntax(String),
    /// A user authenticates through a program, which multicloud never runs.
    #[error(
        "user `{0}` authenticates through a credential plugin (exec or auth-provider), which \
         multicloud does not run; use a token or a client certificate (`kubectl multicloud \
         cluster add` stores a self-contained kubeconfig)"
    )]
    CredentialPlugin(String),
    /// No context to use.
    #[error("names no context: set current-context or define exactly one context")]
    NoContext,
    /// The current context does not exist.
    #[error("current-context `{0}` is not among its contexts")]
    MissingContext(String),
    /// The context's cluster does not exist.
    #[error("context `{context}` refers to cluster `{cluster}`, which it does not define")]
    MissingCluster {
        /// The context.
        context: String,
        /// The missing cluster.
        cluster: String,
    },
    /// The cluster has no server address.
    #[error("cluster `{0}` has no server address")]
    NoServer(String),
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct File {
    #[serde(default)]
    current_context: Option<String>,
    #[serde(default)]
    contexts: Vec<Named<Context>>,
    #[serde(default)]
    clusters: Vec<Named<Cluster>>,
    #[serde(default)]
    users: Vec<Named<User>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct User {
    #[serde(default)]
    exec: Option<serde_yaml::Value>,
    #[serde(default)]
    auth_provider: Option<serde_yaml::Value>,
}

#[derive(Deserialize)]
struct Named<T> {
    name: String,
    #[serde(alias = "context", alias = "cluster", alias = "user")]
    value: Option<T>,
}

#[derive(Deserialize)]
struct Context {
    #[serde(default)]
    cluster: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Cluster {
    #[serde(default)]
    server: String,
    #[serde(default)]
    insecure_skip_tls_verify: bool,
}

/// Where a usable kubeconfig sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The API server address of the current (or only) context.
    pub server: String,
    /// Whether the cluster sets `insecure-skip-tls-verify`: its credentials go to whoever
    /// answers at that address.
    pub skips_tls_verify: bool,
}

/// The warning for a kubeconfig that skips TLS verification, naming what it is used for.
pub fn insecure_warning(what: &str) -> String {
    format!(
        "{what} sets insecure-skip-tls-verify: its credentials are sent to whatever answers at \
         its server address, unverified; set certificate-authority-data instead"
    )
}

/// The API server address the kubeconfig's current (or only) context points at, once the file
/// is known to be usable without running a credential plugin.
pub fn server_of(text: &str) -> Result<String, KubeconfigError> {
    target_of(text).map(|target| target.server)
}

/// Where the kubeconfig's current (or only) context sends requests, once the file is known to
/// be usable without running a credential plugin.
pub fn target_of(text: &str) -> Result<Target, KubeconfigError> {
    crate::yaml::check_depth(text)
        .map_err(|e| KubeconfigError::Syntax(format!("document: {e}")))?;
    let file: File = serde_yaml::from_str(text).map_err(|e| {
        KubeconfigError::Syntax(match e.location() {
            Some(at) => format!("at line {}, column {}", at.line(), at.column()),
            None => "document".to_owned(),
        })
    })?;
    if let Some(user) = file.users.iter().find(|u| {
        u.value
            .as_ref()
            .is_some_and(|user| user.exec.is_some() || user.auth_provider.is_some())
    }) {
        return Err(KubeconfigError::CredentialPlugin(user.name.clone()));
    }
    let context = match (&file.current_context, file.contexts.as_slice()) {
        (Some(name), contexts) if !name.is_empty() => contexts
            .iter()
            .find(|c| &c.name == name)
            .ok_or_else(|| KubeconfigError::MissingContext(name.clone()))?,
        (_, [only]) => only,
        _ => return Err(KubeconfigError::NoContext),
    };
    let cluster_name = context
        .value
        .as_ref()
        .map(|c| c.cluster.clone())
        .unwrap_or_default();
    let cluster = file
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| KubeconfigError::MissingCluster {
            context: context.name.clone(),
            cluster: cluster_name.clone(),
        })?;
    match cluster.value.as_ref() {
        Some(c) if !c.server.trim().is_empty() => Ok(Target {
            server: c.server.trim().to_owned(),
            skips_tls_verify: c.insecure_skip_tls_verify,
        }),
        _ => Err(KubeconfigError::NoServer(cluster_name)),
    }
}

#[cfg(test)]
mod tests {
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
        assert_eq!(server_of(&text).as_deref(), Ok("https://127.0.0.1:6443"));
    }

    #[test]
    fn credential_plugins_are_refused() {
        let exec = GOOD.replace("user: {}", "user: {exec: {command: /bin/true}}");
        assert_eq!(
            server_of(&exec),
            Err(KubeconfigError::CredentialPlugin("admin".into()))
        );
        let provider = GOOD.replace("user: {}", "user: {auth-provider: {name: oidc}}");
        assert_eq!(
            server_of(&provider),
            Err(KubeconfigError::CredentialPlugin("admin".into()))
        );
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
    fn deeply_nested_text_is_refused_before_it_is_parsed() {
        let depth = crate::yaml::MAX_FLOW_DEPTH + 1;
        let text = format!(
            "{GOOD}\nextra: {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        let line = GOOD.lines().count() + 2;
        assert_eq!(
            server_of(&text),
            Err(KubeconfigError::Syntax(format!(
                "document: flow collections nested more than 1000 levels deep at line {line} \
                 column {}",
                7 + depth
            )))
        );
    }

    #[test]
    fn rejects_garbage_missing_context_cluster_and_server() {
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
        let no_server = GOOD.replace("server: \"https://127.0.0.1:6443\"", "server: \"\"");
        assert_eq!(
            server_of(&no_server),
            Err(KubeconfigError::NoServer("edge".into()))
        );
    }
}
