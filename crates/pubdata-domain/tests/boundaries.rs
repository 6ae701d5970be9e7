//! Architecture invariant: the domain knows nothing of HTTP, SQL or the async runtime.

#[test]
fn the_domain_depends_on_no_web_database_or_runtime_crate() {
    let manifest = include_str!("../Cargo.toml");
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("");
    for forbidden in ["axum", "tower", "hyper", "sqlx", "tokio", "askama", "utoipa"] {
        assert!(
            !dependencies.lines().any(|l| l.trim_start().starts_with(forbidden)),
            "pubdata-domain must not depend on {forbidden}"
        );
    }
    assert!(dependencies.contains("sm3"), "the dependency list was read");
}
