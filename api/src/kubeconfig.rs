//! The one policy for kubeconfigs that someone else wrote (management cluster Secrets, the
//! admin kubeconfigs of instances, `cluster add`): what multicloud admits, which context it
//! uses, and the copy it hands on.
//!
//! The check runs over kube's own parse ([`Kubeconfig::from_yaml`], serde-saphyr, which applies
//! YAML merge keys and merges multi-document files), so what is checked is exactly what a client
//! would be built from. It admits only credentials held inline: no credential plugin (`exec`,
//! `auth-provider`), no file path of any kind (`tokenFile`, `client-certificate`, `client-key`,
//! `certificate-authority`), no basic auth, no `proxy-url`, and no field it does not know, so a
//! field that a later kube or client-go learns to read a file or run a program with is refused
//! too. Impersonation (`as`, `as-groups`, `as-uid`, `as-user-extra`) is admitted: it is headers
//! that the target API server authorises against the kubeconfig's own credentials, and it reads
//! nothing locally.
//!
//! A [`CheckedKubeconfig`] can only be built by [`check`]. It holds a minimal copy (the chosen
//! context, its cluster and its user, only admitted fields, `current-context` set), and that copy
//! is what clients are built from and what is written for karmada-operator, so nothing a parser
//! other than kube's might read differently survives.
//!
//! Errors never quote the file: a kubeconfig holds tokens and keys, and these messages end up
//! in admission denials, logs and instance conditions. They name users, clusters, contexts and
//! fields, which is what the writer needs to fix it.

use std::fmt;

use kube::config::{AuthInfo, Cluster, Context, Kubeconfig, NamedAuthInfo, NamedCluster};
use kube::config::{KubeconfigError as ParseError, NamedContext};
use serde::Serialize;
use thiserror::Error;

#[cfg(test)]
mod tests;

/// What the fix for a refused credential is, said once for every message.
const SELF_CONTAINED: &str = "use a token or client-certificate-data and client-key-data \
                              (`kubectl multicloud cluster add` stores a self-contained kubeconfig)";

/// Why a kubeconfig is refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KubeconfigError {
    /// Not YAML (or JSON) of the kubeconfig shape; where, never what.
    #[error("is not a kubeconfig (malformed {0})")]
    Syntax(String),
    /// A user authenticates through a program, which multicloud never runs.
    #[error(
        "user `{0}` authenticates through a credential plugin (exec or auth-provider), which \
         multicloud does not run; {SELF_CONTAINED}"
    )]
    CredentialPlugin(String),
    /// A user or cluster names a file, which would be read from the disk of whoever uses it.
    #[error(
        "{owner} names a file in `{field}`, which multicloud does not read (it would be read from \
         the disk of the webhook or the controller); embed its content instead (`kubectl config \
         view --raw --flatten --minify` does)"
    )]
    LocalFile {
        /// `user `x`` or `cluster `y``.
        owner: String,
        /// The field naming the file.
        field: &'static str,
    },
    /// A user authenticates with a username and password.
    #[error(
        "user `{0}` uses basic auth (username and password), which multicloud does not send; {SELF_CONTAINED}"
    )]
    BasicAuth(String),
    /// A cluster is reached through a proxy.
    #[error(
        "cluster `{0}` sets proxy-url, which multicloud does not follow: it connects to the \
         server address directly; remove proxy-url"
    )]
    Proxy(String),
    /// A field multicloud does not know, so cannot tell harmless.
    #[error(
        "{owner} has a field {field} that multicloud does not admit; a user holds only token, \
         client-certificate-data, client-key-data and as/as-uid/as-groups/as-user-extra, a \
         cluster only server, certificate-authority-data, insecure-skip-tls-verify, \
         tls-server-name and disable-compression, a context only cluster, user and namespace"
    )]
    UnknownField {
        /// `user `x``, `cluster `y`` or `context `z``.
        owner: String,
        /// The field's name when it looks like one, else "(unnamed)".
        field: String,
    },
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
    /// The context's user does not exist.
    #[error("context `{context}` refers to user `{user}`, which it does not define")]
    MissingUser {
        /// The context.
        context: String,
        /// The missing user.
        user: String,
    },
    /// The cluster has no server address.
    #[error("cluster `{0}` has no server address")]
    NoServer(String),
}

/// Where a usable kubeconfig sends its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The API server address of the chosen context.
    pub server: String,
    /// Whether the cluster sets `insecure-skip-tls-verify`: its credentials go to whoever
    /// answers at that address.
    pub skips_tls_verify: bool,
}

/// A kubeconfig that passed [`check`]: the chosen context with its cluster and user, and
/// nothing else. Only [`check`] builds one.
#[derive(Clone)]
pub struct CheckedKubeconfig {
    kubeconfig: Kubeconfig,
    context: String,
    target: Target,
}

impl CheckedKubeconfig {
    /// The minimal kubeconfig: one context (also its `current-context`), its cluster, its user.
    pub fn kubeconfig(&self) -> &Kubeconfig {
        &self.kubeconfig
    }

    /// The name of the context every client of this kubeconfig uses.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Where requests go.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The minimal kubeconfig as YAML, for other programs (karmada-operator's `hostCluster`
    /// Secret): re-serialised from the checked value, never the text that was checked.
    pub fn to_yaml(&self) -> String {
        // Serialising plain strings, bools, lists and maps cannot fail; an empty document
        // would be refused by its reader rather than misread.
        crate::yaml::to_string(&self.kubeconfig).unwrap_or_default()
    }
}

impl fmt::Debug for CheckedKubeconfig {
    // Never the credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedKubeconfig")
            .field("context", &self.context)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// The warning for a kubeconfig that skips TLS verification, naming what it is used for.
pub fn insecure_warning(what: &str) -> String {
    format!(
        "{what} sets insecure-skip-tls-verify: its credentials are sent to whatever answers at \
         its server address, unverified; set certificate-authority-data instead"
    )
}

/// The API server address of a kubeconfig that passes [`check`].
pub fn server_of(text: &str) -> Result<String, KubeconfigError> {
    check(text).map(|checked| checked.target.server)
}

/// Where a kubeconfig that passes [`check`] sends requests.
pub fn target_of(text: &str) -> Result<Target, KubeconfigError> {
    check(text).map(|checked| checked.target)
}

/// The policy: parses `text` as kube does, refuses every field that would read a local file,
/// run a program or send basic auth, anywhere in the file, and resolves the context one way:
/// `current-context` when set (it must exist), else the only context, else none.
pub fn check(text: &str) -> Result<CheckedKubeconfig, KubeconfigError> {
    let file = Kubeconfig::from_yaml(text).map_err(syntax)?;
    for user in &file.auth_infos {
        check_user(user)?;
    }
    for cluster in &file.clusters {
        check_cluster(cluster)?;
    }
    for context in &file.contexts {
        check_context(context)?;
    }
    minimal(file)
}

/// Where the parse failed, never what was there.
fn syntax(error: ParseError) -> KubeconfigError {
    KubeconfigError::Syntax(match &error {
        ParseError::Parse(e) => match e.location() {
            Some(at) => format!("at line {}, column {}", at.line(), at.column()),
            None => "document".to_owned(),
        },
        ParseError::KindMismatch | ParseError::ApiVersionMismatch => {
            "documents: their kind or apiVersion differ".to_owned()
        }
        _ => "document".to_owned(),
    })
}

const USER_FIELDS: &[&str] = &[
    "token",
    "client-certificate-data",
    "client-key-data",
    "as",
    "as-uid",
    "as-groups",
    "as-user-extra",
    "extensions",
];
const CLUSTER_FIELDS: &[&str] = &[
    "server",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "disable-compression",
    "extensions",
];
const CONTEXT_FIELDS: &[&str] = &["cluster", "user", "namespace", "extensions"];

fn check_user(named: &NamedAuthInfo) -> Result<(), KubeconfigError> {
    let owner = || format!("user `{}`", named.name);
    for field in fields(&named.auth_info) {
        match field.as_str() {
            "exec" | "auth-provider" => {
                return Err(KubeconfigError::CredentialPlugin(named.name.clone()));
            }
            "username" | "password" => return Err(KubeconfigError::BasicAuth(named.name.clone())),
            "tokenFile" => return Err(local_file(owner(), "tokenFile")),
            "client-certificate" => return Err(local_file(owner(), "client-certificate")),
            "client-key" => return Err(local_file(owner(), "client-key")),
            known if USER_FIELDS.contains(&known) => {}
            _ => return Err(unknown(owner(), &field)),
        }
    }
    Ok(())
}

fn check_cluster(named: &NamedCluster) -> Result<(), KubeconfigError> {
    let owner = || format!("cluster `{}`", named.name);
    for field in fields(&named.cluster) {
        match field.as_str() {
            "certificate-authority" => return Err(local_file(owner(), "certificate-authority")),
            "proxy-url" => return Err(KubeconfigError::Proxy(named.name.clone())),
            known if CLUSTER_FIELDS.contains(&known) => {}
            _ => return Err(unknown(owner(), &field)),
        }
    }
    Ok(())
}

fn check_context(named: &NamedContext) -> Result<(), KubeconfigError> {
    match fields(&named.context)
        .into_iter()
        .find(|field| !CONTEXT_FIELDS.contains(&field.as_str()))
    {
        Some(field) => Err(unknown(format!("context `{}`", named.name), &field)),
        None => Ok(()),
    }
}

/// The fields a section sets, as kube would write it back: its typed fields and the ones it
/// keeps without knowing. Judging the serialised form means a field a later kube learns is
/// refused until this policy admits it.
fn fields<T: Serialize>(section: &Option<T>) -> Vec<String> {
    match section.as_ref().map(serde_json::to_value) {
        Some(Ok(serde_json::Value::Object(map))) => map.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

fn local_file(owner: String, field: &'static str) -> KubeconfigError {
    KubeconfigError::LocalFile { owner, field }
}

/// Names a field only when it looks like a field name: a key can hold anything.
fn unknown(owner: String, field: &str) -> KubeconfigError {
    let looks_like_a_name = field.len() <= 40
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    KubeconfigError::UnknownField {
        owner,
        field: if looks_like_a_name {
            format!("`{field}`")
        } else {
            "(unnamed)".to_owned()
        },
    }
}

/// The chosen context with its cluster and user, only admitted fields, as a kubeconfig of its
/// own. Kube takes the first entry of a name, and so does this.
fn minimal(file: Kubeconfig) -> Result<CheckedKubeconfig, KubeconfigError> {
    let current = file
        .current_context
        .as_deref()
        .filter(|name| !name.is_empty());
    let named = match (current, file.contexts.as_slice()) {
        (Some(name), contexts) => contexts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| KubeconfigError::MissingContext(name.to_owned()))?,
        (None, [only]) => only,
        (None, _) => return Err(KubeconfigError::NoContext),
    };
    let context = named.context.clone().unwrap_or_default();
    let cluster = file
        .clusters
        .iter()
        .find(|c| c.name == context.cluster)
        .ok_or_else(|| KubeconfigError::MissingCluster {
            context: named.name.clone(),
            cluster: context.cluster.clone(),
        })?;
    let cluster_spec = cluster.cluster.clone().unwrap_or_default();
    let server = cluster_spec
        .server
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if server.is_empty() {
        return Err(KubeconfigError::NoServer(cluster.name.clone()));
    }
    let user = match &context.user {
        Some(user) => Some(
            file.auth_infos
                .iter()
                .find(|u| &u.name == user)
                .ok_or_else(|| KubeconfigError::MissingUser {
                    context: named.name.clone(),
                    user: user.clone(),
                })?,
        ),
        None => None,
    };
    let target = Target {
        server: server.to_owned(),
        skips_tls_verify: cluster_spec.insecure_skip_tls_verify.unwrap_or(false),
    };
    let kubeconfig = Kubeconfig {
        api_version: Some("v1".to_owned()),
        kind: Some("Config".to_owned()),
        current_context: Some(named.name.clone()),
        contexts: vec![NamedContext {
            name: named.name.clone(),
            context: Some(Context {
                cluster: context.cluster.clone(),
                user: context.user.clone(),
                namespace: context.namespace.clone(),
                ..Context::default()
            }),
            ..NamedContext::default()
        }],
        clusters: vec![NamedCluster {
            name: cluster.name.clone(),
            cluster: Some(Cluster {
                server: Some(target.server.clone()),
                insecure_skip_tls_verify: cluster_spec.insecure_skip_tls_verify,
                certificate_authority_data: cluster_spec.certificate_authority_data,
                tls_server_name: cluster_spec.tls_server_name,
                disable_compression: cluster_spec.disable_compression,
                ..Cluster::default()
            }),
            ..NamedCluster::default()
        }],
        auth_infos: user
            .map(|named| NamedAuthInfo {
                name: named.name.clone(),
                auth_info: Some(inline_credentials(
                    named.auth_info.clone().unwrap_or_default(),
                )),
                ..NamedAuthInfo::default()
            })
            .into_iter()
            .collect(),
        ..Kubeconfig::default()
    };
    Ok(CheckedKubeconfig {
        kubeconfig,
        context: named.name.clone(),
        target,
    })
}

/// Only the admitted fields of a user, field by field, so a field this policy does not name
/// cannot ride along.
fn inline_credentials(user: AuthInfo) -> AuthInfo {
    AuthInfo {
        token: user.token,
        client_certificate_data: user.client_certificate_data,
        client_key_data: user.client_key_data,
        impersonate: user.impersonate,
        impersonate_uid: user.impersonate_uid,
        impersonate_groups: user.impersonate_groups,
        impersonate_user_extra: user.impersonate_user_extra,
        ..AuthInfo::default()
    }
}
