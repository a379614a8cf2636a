//! A self-contained kubeconfig of one context: what `cluster add` stores in the management
//! cluster's Secret, where the webhook, the controller and karmada-operator read it. Files it
//! refers to are inlined (they do not exist in those pods); credentials that need a program on
//! this machine (exec plugins, auth providers) cannot work there and are refused.

use k8s_openapi::ByteString;
use kube::config::Kubeconfig;
use serde_json::{Map, Value, json};

use crate::error::CmdError;

/// File-reference fields and the inline fields that replace them, per section.
const CLUSTER_FILES: [(&str, &str); 1] = [("certificate-authority", "certificate-authority-data")];
const USER_FILES: [(&str, &str); 2] = [
    ("client-certificate", "client-certificate-data"),
    ("client-key", "client-key-data"),
];

/// The kubeconfig of `context` (default: the current one) with only that context, its cluster
/// and its user, every file inlined.
pub fn flatten(kubeconfig: &Kubeconfig, context: Option<&str>) -> Result<String, CmdError> {
    let name = context_name(kubeconfig, context)?;
    let named = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| CmdError::msg(format!("context `{name}` is not in the kubeconfig")))?;
    let ctx = named
        .context
        .as_ref()
        .ok_or_else(|| CmdError::msg(format!("context `{name}` is empty")))?;
    let cluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == ctx.cluster)
        .and_then(|c| c.cluster.as_ref())
        .ok_or_else(|| {
            CmdError::msg(format!(
                "context `{name}` refers to cluster `{}`, which the kubeconfig does not define",
                ctx.cluster
            ))
        })?;
    let mut cluster = to_object(cluster)?;
    inline(&mut cluster, &CLUSTER_FILES)?;
    let user_name = ctx.user.clone().unwrap_or_default();
    let user = inlined_user(kubeconfig, &user_name, &name)?;
    let user_key = if user_name.is_empty() {
        name.clone()
    } else {
        user_name
    };
    let value = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": ctx.cluster, "cluster": cluster }],
        "users": [{ "name": user_key, "user": user }],
        "contexts": [{ "name": name, "context": { "cluster": ctx.cluster, "user": user_key } }],
        "current-context": name,
    });
    multicloud_api::yaml::to_string(&value)
        .map_err(|e| CmdError::with_source("failed to render the kubeconfig", e))
}

/// `context`, else the current context, else the only one.
fn context_name(kubeconfig: &Kubeconfig, context: Option<&str>) -> Result<String, CmdError> {
    match context.or(kubeconfig.current_context.as_deref()) {
        Some(name) if !name.is_empty() => Ok(name.to_owned()),
        _ => match kubeconfig.contexts.as_slice() {
            [only] => Ok(only.name.clone()),
            _ => Err(CmdError::msg(
                "the kubeconfig has no current context; name one with --context",
            )),
        },
    }
}

/// User `user_name` (of context `context`) with its files inlined and its token file read; a
/// credential plugin is refused, since it cannot run where the kubeconfig is used.
fn inlined_user(
    kubeconfig: &Kubeconfig,
    user_name: &str,
    context: &str,
) -> Result<Map<String, Value>, CmdError> {
    let user = kubeconfig
        .auth_infos
        .iter()
        .find(|u| u.name == user_name)
        .and_then(|u| u.auth_info.as_ref());
    let mut user = match user {
        Some(user) => to_object(user)?,
        None => Map::new(),
    };
    for program in ["exec", "auth-provider"] {
        if user.contains_key(program) {
            return Err(CmdError::msg(format!(
                "user `{user_name}` of context `{context}` authenticates with an {program} \
                 plugin, which cannot run inside the cluster where the kubeconfig is used; use a \
                 ServiceAccount token or a client certificate instead"
            )));
        }
    }
    inline(&mut user, &USER_FILES)?;
    if let Some(Value::String(path)) = user.remove("tokenFile") {
        let token = read(&path)?;
        let token = String::from_utf8(token)
            .map_err(|e| CmdError::with_source(format!("token file {path} is not text"), e))?;
        user.insert("token".into(), Value::String(token.trim().to_owned()));
    }
    Ok(user)
}

fn to_object<T: serde::Serialize>(value: &T) -> Result<Map<String, Value>, CmdError> {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(CmdError::with_source("failed to read the kubeconfig", e)),
    }
}

/// Replaces each file field present in `section` by its inline, base64 counterpart.
fn inline(section: &mut Map<String, Value>, fields: &[(&str, &str)]) -> Result<(), CmdError> {
    for (file_field, data_field) in fields {
        if let Some(Value::String(path)) = section.remove(*file_field) {
            let encoded = serde_json::to_value(ByteString(read(&path)?))
                .map_err(|e| CmdError::with_source("failed to encode a file", e))?;
            section.insert((*data_field).to_owned(), encoded);
        }
    }
    Ok(())
}

fn read(path: &str) -> Result<Vec<u8>, CmdError> {
    std::fs::read(path).map_err(|e| {
        CmdError::io(
            format!("failed to read {path}, which the kubeconfig refers to"),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(text: &str) -> Kubeconfig {
        Kubeconfig::from_yaml(text).expect("parses")
    }

    #[test]
    fn keeps_only_the_chosen_context_and_inlines_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.crt");
        let token = dir.path().join("token");
        std::fs::write(&ca, "CA").expect("write");
        std::fs::write(&token, "secret-token\n").expect("write");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: ca\n  cluster:\n    \
             server: https://a:6443\n    certificate-authority: {}\n- name: cb\n  cluster:\n    \
             server: https://b:6443\nusers:\n- name: ua\n  user:\n    tokenFile: {}\n- name: ub\n  \
             user:\n    token: t\ncontexts:\n- name: a\n  context:\n    cluster: ca\n    user: ua\n    \
             namespace: x\n- name: b\n  context:\n    cluster: cb\n    user: ub\n",
            ca.display(),
            token.display()
        );
        let flat = flatten(&kubeconfig(&text), Some("a")).expect("flattens");
        let parsed: Value = multicloud_api::yaml::from_str(&flat).expect("yaml");
        assert_eq!(parsed["clusters"].as_array().map(Vec::len), Some(1));
        assert_eq!(
            parsed["clusters"][0]["cluster"]["certificate-authority-data"],
            "Q0E="
        );
        assert!(
            parsed["clusters"][0]["cluster"]
                .get("certificate-authority")
                .is_none()
        );
        assert_eq!(parsed["users"][0]["user"]["token"], "secret-token");
        assert_eq!(parsed["current-context"], "a");
        assert_eq!(
            multicloud_api::kubeconfig::server_of(&flat).as_deref(),
            Ok("https://a:6443")
        );
    }

    #[test]
    fn exec_credentials_are_refused_with_the_reason() {
        let text = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c\n  \
                    cluster: {server: 'https://a'}\nusers:\n- name: u\n  user:\n    exec:\n      \
                    apiVersion: client.authentication.k8s.io/v1\n      command: aws\ncontexts:\n- \
                    name: a\n  context: {cluster: c, user: u}\n";
        let err = flatten(&kubeconfig(text), None)
            .expect_err("refused")
            .to_string();
        assert!(err.contains("exec plugin"), "{err}");
    }

    #[test]
    fn a_missing_context_is_named() {
        let text = "apiVersion: v1\nkind: Config\ncontexts: []\nclusters: []\nusers: []\n";
        let err = flatten(&kubeconfig(text), Some("nope"))
            .expect_err("missing")
            .to_string();
        assert_eq!(err, "context `nope` is not in the kubeconfig");
    }
}
