//! kubectl's global connection flags (`-s`, `--cluster`, `--user`, `--token`, `--as`, ...)
//! applied to a kubeconfig the way client-go's `clientcmd` applies its `ConfigOverrides`
//! (kubernetes/client-go `tools/clientcmd/client_config.go`): the context picks a cluster and a
//! user entry, `--cluster`/`--user` pick others, and the remaining flags replace single fields
//! of those entries. The result is handed to kube, which reads certificates and tokens as usual.

use kube::Config;
use kube::config::{
    AuthInfo, Cluster, Context as KubeContext, KubeConfigOptions, Kubeconfig, NamedAuthInfo,
    NamedCluster, NamedContext,
};
use secrecy::SecretString;

use crate::error::CmdError;
use crate::flags::{Connection, Overrides};

/// Name of the context, cluster and user entries made up when the flags must stand alone
/// (`-s URL` with no kubeconfig at all, as kubectl allows).
pub const FLAGS_ENTRY: &str = "kubectl-multicloud-flags";

/// Whether the flags ask for more than kube's `Config::infer` does.
pub fn wanted(connection: &Connection) -> bool {
    connection.kubeconfig.is_some()
        || connection.context.is_some()
        || connection.server.is_some()
        || connection.overrides.any()
}

/// Applies the flags to `kubeconfig` (an in-memory copy: nothing is written) and returns the
/// options that select the entries they name.
pub fn apply(
    kubeconfig: &mut Kubeconfig,
    connection: &Connection,
) -> Result<KubeConfigOptions, CmdError> {
    let overrides = &connection.overrides;
    let context_name = context_name(kubeconfig, connection)?;
    let Some(context) = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context_name)
        .map(|c| c.context.clone().unwrap_or_default())
    else {
        return Err(CmdError::msg(format!(
            "context `{context_name}` is not in the kubeconfig (it has: {})",
            names(kubeconfig.contexts.iter().map(|c| c.name.as_str()))
        )));
    };
    let cluster_name = overrides
        .cluster
        .clone()
        .unwrap_or_else(|| context.cluster.clone());
    let cluster = cluster_entry(kubeconfig, &cluster_name, connection.server.is_some())?;
    override_cluster(cluster, connection);
    let user_name = overrides
        .user
        .clone()
        .or_else(|| context.user.clone())
        .unwrap_or_else(|| FLAGS_ENTRY.to_owned());
    let creates_user = overrides.user.is_none();
    let user = user_entry(kubeconfig, &user_name, creates_user)?;
    override_user(user, overrides);
    Ok(KubeConfigOptions {
        context: Some(context_name),
        cluster: Some(cluster_name),
        user: Some(user_name),
    })
}

/// The context to use: `--context`, else the current one; with neither but a `--server`, a
/// context made up of the flags alone, added to `kubeconfig`.
fn context_name(kubeconfig: &mut Kubeconfig, connection: &Connection) -> Result<String, CmdError> {
    let chosen = connection
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())
        .filter(|name| !name.is_empty());
    match chosen {
        Some(name) => Ok(name),
        None if connection.server.is_some() => {
            kubeconfig.contexts.push(NamedContext {
                name: FLAGS_ENTRY.to_owned(),
                context: Some(KubeContext {
                    cluster: FLAGS_ENTRY.to_owned(),
                    user: Some(FLAGS_ENTRY.to_owned()),
                    ..KubeContext::default()
                }),
                other: Default::default(),
            });
            Ok(FLAGS_ENTRY.to_owned())
        }
        None => Err(CmdError::msg(
            "the kubeconfig cannot be used: it has no current context; pass --context NAME or \
             --server URL",
        )),
    }
}

/// `--server`, `--certificate-authority` and `--insecure-skip-tls-verify` on the cluster entry.
fn override_cluster(cluster: &mut Cluster, connection: &Connection) {
    let overrides = &connection.overrides;
    if let Some(server) = &connection.server {
        cluster.server = Some(with_scheme(server));
    }
    // As clientcmd does: a CA or --insecure-skip-tls-verify given on the command line replaces
    // all three of the entry's TLS settings, so the two never contradict each other.
    if overrides.certificate_authority.is_some() || overrides.insecure_skip_tls_verify.is_some() {
        cluster.insecure_skip_tls_verify = overrides.insecure_skip_tls_verify;
        cluster.certificate_authority = overrides
            .certificate_authority
            .as_ref()
            .map(|path| path.display().to_string());
        cluster.certificate_authority_data = None;
    }
}

/// `--token`, `--as` and `--as-group` on the user entry.
fn override_user(user: &mut AuthInfo, overrides: &Overrides) {
    if let Some(token) = &overrides.token {
        user.token = Some(SecretString::from(token.clone()));
        user.token_file = None;
    }
    if let Some(who) = &overrides.as_user {
        user.impersonate = Some(who.clone());
    }
    if !overrides.as_group.is_empty() {
        user.impersonate_groups = Some(overrides.as_group.clone());
    }
}

/// The flags that apply to a configuration without a kubeconfig (in a pod): credentials,
/// impersonation and `--insecure-skip-tls-verify`; the ones that name kubeconfig entries or a CA
/// file are refused rather than ignored.
pub fn apply_to_config(config: &mut Config, overrides: &Overrides) -> Result<(), CmdError> {
    if let Some(flag) = [
        overrides.cluster.as_ref().map(|_| "--cluster"),
        overrides.user.as_ref().map(|_| "--user"),
        overrides
            .certificate_authority
            .as_ref()
            .map(|_| "--certificate-authority"),
    ]
    .into_iter()
    .flatten()
    .next()
    {
        return Err(CmdError::msg(format!(
            "{flag} needs a kubeconfig (or --server URL), and none was found; pass --kubeconfig FILE"
        )));
    }
    if let Some(token) = &overrides.token {
        config.auth_info.token = Some(SecretString::from(token.clone()));
        config.auth_info.token_file = None;
    }
    if let Some(who) = &overrides.as_user {
        config.auth_info.impersonate = Some(who.clone());
    }
    if !overrides.as_group.is_empty() {
        config.auth_info.impersonate_groups = Some(overrides.as_group.clone());
    }
    if let Some(insecure) = overrides.insecure_skip_tls_verify {
        config.accept_invalid_certs = insecure;
    }
    Ok(())
}

/// The cluster entry `name`, made when `create` (a server was given, as kubectl lets `-s`
/// stand for a cluster the kubeconfig does not list).
fn cluster_entry<'k>(
    kubeconfig: &'k mut Kubeconfig,
    name: &str,
    create: bool,
) -> Result<&'k mut Cluster, CmdError> {
    let index = match kubeconfig.clusters.iter().position(|c| c.name == name) {
        Some(index) => index,
        None if create => {
            kubeconfig.clusters.push(NamedCluster {
                name: name.to_owned(),
                cluster: Some(Cluster::default()),
                other: Default::default(),
            });
            kubeconfig.clusters.len() - 1
        }
        None => {
            return Err(CmdError::msg(format!(
                "cluster `{name}` is not in the kubeconfig (it has: {})",
                names(kubeconfig.clusters.iter().map(|c| c.name.as_str()))
            )));
        }
    };
    Ok(kubeconfig.clusters[index]
        .cluster
        .get_or_insert_with(Cluster::default))
}

/// The user entry `name`, made when `create` (no `--user` named it: the context has no user,
/// or the flags stand alone); a user named by `--user` must exist, as in kubectl.
fn user_entry<'k>(
    kubeconfig: &'k mut Kubeconfig,
    name: &str,
    create: bool,
) -> Result<&'k mut AuthInfo, CmdError> {
    let index = match kubeconfig.auth_infos.iter().position(|u| u.name == name) {
        Some(index) => index,
        None if create => {
            kubeconfig.auth_infos.push(NamedAuthInfo {
                name: name.to_owned(),
                auth_info: Some(AuthInfo::default()),
                other: Default::default(),
            });
            kubeconfig.auth_infos.len() - 1
        }
        None => {
            return Err(CmdError::msg(format!(
                "user `{name}` is not in the kubeconfig (it has: {})",
                names(kubeconfig.auth_infos.iter().map(|u| u.name.as_str()))
            )));
        }
    };
    Ok(kubeconfig.auth_infos[index]
        .auth_info
        .get_or_insert_with(AuthInfo::default))
}

/// `host:port` as kubectl reads it: HTTPS unless a scheme is given.
fn with_scheme(server: &str) -> String {
    if server.contains("://") {
        server.to_owned()
    } else {
        format!("https://{server}")
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests;
