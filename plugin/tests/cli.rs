//! Snapshots of the command line: help texts, usage errors and the offline `check`, run against
//! the built binary (`TRYCMD=overwrite cargo test -p kubectl-multicloud --test cli` updates them).

#[test]
fn cli() {
    trycmd::TestCases::new()
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.trycmd")
        .case("tests/cmd/*.toml");
}
