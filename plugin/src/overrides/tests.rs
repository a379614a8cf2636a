use std::path::PathBuf;

use secrecy::ExposeSecret;

use super::*;
use crate::flags::Overrides;

fn kubeconfig() -> Kubeconfig {
    Kubeconfig::from_yaml(
        "apiVersion: v1
kind: Config
current-context: main
clusters:
- {name: prod, cluster: {server: 'https://10.0.0.1:6443', certificate-authority-data: Q0E=}}
- {name: staging, cluster: {server: 'https://10.0.0.2:6443'}}
users:
- {name: admin, user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}}
- {name: viewer, user: {tokenFile: /var/run/token}}
contexts:
- {name: main, context: {cluster: prod, user: admin}}
",
    )
    .expect("valid kubeconfig")
}

fn cluster<'k>(kubeconfig: &'k Kubeconfig, name: &str) -> &'k Cluster {
    kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.cluster.as_ref())
        .expect("cluster entry")
}

fn user<'k>(kubeconfig: &'k Kubeconfig, name: &str) -> &'k AuthInfo {
    kubeconfig
        .auth_infos
        .iter()
        .find(|u| u.name == name)
        .and_then(|u| u.auth_info.as_ref())
        .expect("user entry")
}

#[test]
fn no_flags_select_the_current_context_entries_unchanged() {
    let mut config = kubeconfig();
    let options = apply(&mut config, &Connection::default()).expect("applies");
    assert_eq!(options.context.as_deref(), Some("main"));
    assert_eq!(options.cluster.as_deref(), Some("prod"));
    assert_eq!(options.user.as_deref(), Some("admin"));
    assert_eq!(
        cluster(&config, "prod")
            .certificate_authority_data
            .as_deref(),
        Some("Q0E=")
    );
}

#[test]
fn cluster_and_user_flags_pick_other_entries() {
    let mut config = kubeconfig();
    let connection = Connection {
        overrides: Overrides {
            cluster: Some("staging".into()),
            user: Some("viewer".into()),
            ..Overrides::default()
        },
        ..Connection::default()
    };
    let options = apply(&mut config, &connection).expect("applies");
    assert_eq!(options.cluster.as_deref(), Some("staging"));
    assert_eq!(options.user.as_deref(), Some("viewer"));
}

#[test]
fn unknown_cluster_or_user_entries_are_refused_naming_the_known_ones() {
    for overrides in [
        Overrides {
            cluster: Some("nope".into()),
            ..Overrides::default()
        },
        Overrides {
            user: Some("nope".into()),
            ..Overrides::default()
        },
    ] {
        let connection = Connection {
            overrides,
            ..Connection::default()
        };
        let Err(err) = apply(&mut kubeconfig(), &connection) else {
            panic!("accepted {connection:?}");
        };
        let text = err.to_string();
        assert!(text.contains("`nope` is not in the kubeconfig"), "{text}");
        assert!(text.contains("prod") || text.contains("admin"), "{text}");
    }
}

#[test]
fn a_certificate_authority_flag_replaces_the_entry_tls_settings() {
    let mut config = kubeconfig();
    let connection = Connection {
        server: Some("127.0.0.1:7443".into()),
        overrides: Overrides {
            certificate_authority: Some(PathBuf::from("/tmp/ca.pem")),
            ..Overrides::default()
        },
        ..Connection::default()
    };
    apply(&mut config, &connection).expect("applies");
    let prod = cluster(&config, "prod");
    assert_eq!(prod.server.as_deref(), Some("https://127.0.0.1:7443"));
    assert_eq!(prod.certificate_authority.as_deref(), Some("/tmp/ca.pem"));
    assert_eq!(prod.certificate_authority_data, None);
    assert_eq!(prod.insecure_skip_tls_verify, None);
}

#[test]
fn insecure_skip_tls_verify_drops_the_entry_ca() {
    let mut config = kubeconfig();
    let connection = Connection {
        overrides: Overrides {
            insecure_skip_tls_verify: Some(true),
            ..Overrides::default()
        },
        ..Connection::default()
    };
    apply(&mut config, &connection).expect("applies");
    let prod = cluster(&config, "prod");
    assert_eq!(prod.insecure_skip_tls_verify, Some(true));
    assert_eq!(prod.certificate_authority_data, None);
}

#[test]
fn token_and_impersonation_go_into_the_selected_user_only() {
    let mut config = kubeconfig();
    let connection = Connection {
        overrides: Overrides {
            token: Some("s3cret".into()),
            as_user: Some("jane".into()),
            as_group: vec!["devs".into(), "ops".into()],
            ..Overrides::default()
        },
        ..Connection::default()
    };
    apply(&mut config, &connection).expect("applies");
    let admin = user(&config, "admin");
    assert_eq!(
        admin.token.as_ref().map(|t| t.expose_secret().to_owned()),
        Some("s3cret".to_owned())
    );
    assert_eq!(admin.impersonate.as_deref(), Some("jane"));
    assert_eq!(
        admin.impersonate_groups.as_deref(),
        Some(&["devs".to_owned(), "ops".to_owned()][..])
    );
    assert!(user(&config, "viewer").impersonate.is_none());
}

#[test]
fn a_server_stands_alone_without_any_kubeconfig() {
    let mut config = Kubeconfig::default();
    let connection = Connection {
        server: Some("https://127.0.0.1:6443".into()),
        overrides: Overrides {
            token: Some("t".into()),
            ..Overrides::default()
        },
        ..Connection::default()
    };
    let options = apply(&mut config, &connection).expect("applies");
    assert_eq!(options.context.as_deref(), Some(FLAGS_ENTRY));
    assert_eq!(
        cluster(&config, FLAGS_ENTRY).server.as_deref(),
        Some("https://127.0.0.1:6443")
    );
    assert!(user(&config, FLAGS_ENTRY).token.is_some());
}

#[test]
fn without_server_or_context_an_empty_kubeconfig_is_refused() {
    let Err(err) = apply(&mut Kubeconfig::default(), &Connection::default()) else {
        panic!("accepted");
    };
    assert!(err.to_string().contains("--server"), "{err}");
}

#[test]
fn in_a_pod_credentials_and_impersonation_apply_and_entry_flags_are_refused() {
    let mut config = Config::new("https://10.0.0.1:443".parse().expect("a URI"));
    let overrides = Overrides {
        token: Some("t".into()),
        as_user: Some("jane".into()),
        insecure_skip_tls_verify: Some(true),
        ..Overrides::default()
    };
    apply_to_config(&mut config, &overrides).expect("applies");
    assert_eq!(config.auth_info.impersonate.as_deref(), Some("jane"));
    assert!(config.auth_info.token.is_some() && config.accept_invalid_certs);

    let entry = Overrides {
        user: Some("admin".into()),
        ..Overrides::default()
    };
    let err = apply_to_config(&mut config, &entry).expect_err("refused");
    assert!(
        err.to_string().starts_with("--user needs a kubeconfig"),
        "{err}"
    );
}
