//! Snapshots of the command line: help texts, usage errors and the offline `check`, run against
//! the built binary (`TRYCMD=overwrite cargo test -p kubectl-multicloud --test cli` updates them).

#[test]
fn cli() {
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        // No cluster for the completion executable to ask.
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .register_bin(
            "kubectl_complete-multicloud",
            std::path::Path::new(env!("CARGO_BIN_EXE_kubectl_complete-multicloud")),
        )
        .case("tests/cmd/*.trycmd")
        .case("tests/cmd/*.toml");
}
