//! Compiles the PostgreSQL half of the test suite as ignored when no test database is given,
//! so that the runner reports those tests as skipped.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(pubdata_pg)");
    println!("cargo::rerun-if-env-changed=PUBDATA_TEST_DATABASE_URL");
    if std::env::var_os("PUBDATA_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pubdata_pg");
    }
}
