//! Compiles the parts of the test suite that need something outside Rust as ignored when it is
//! missing, so that the runner reports those tests as skipped rather than letting them pass:
//! - `pubdata_pg`: the PostgreSQL half, when `PUBDATA_TEST_DATABASE_URL` is given;
//! - `pubdata_browser`: the browser test, when Chromium and its WebDriver are installed.
//!
//! CI sets `PUBDATA_TEST_REQUIRE_BROWSER`, which turns a missing browser into a build failure,
//! so a failed installation cannot silently skip the browser test.
use std::path::Path;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const BIN_DIR: &str = "/usr/bin";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(pubdata_pg)");
    println!("cargo::rerun-if-env-changed=PUBDATA_TEST_DATABASE_URL");
    if std::env::var_os("PUBDATA_TEST_DATABASE_URL").is_some_and(|v| !v.is_empty()) {
        println!("cargo::rustc-cfg=pubdata_pg");
    }

    println!("cargo::rustc-check-cfg=cfg(pubdata_browser)");
    println!("cargo::rerun-if-env-changed=PUBDATA_TEST_REQUIRE_BROWSER");
    // Watch the directory, not the two files: Cargo compares modification times, and a package
    // manager installs files with the package's (older) times, so a newly installed browser would
    // go unnoticed; a watched file that does not exist would instead rebuild this crate at every
    // build. The directory's own time changes whenever a file is added to or removed from it.
    println!("cargo::rerun-if-changed={BIN_DIR}");
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER].into_iter().filter(|p| !Path::new(p).is_file()).collect();
    if missing.is_empty() {
        println!("cargo::rustc-cfg=pubdata_browser");
    } else if std::env::var_os("PUBDATA_TEST_REQUIRE_BROWSER").is_some_and(|v| !v.is_empty()) {
        panic!(
            "PUBDATA_TEST_REQUIRE_BROWSER is set but {} {} missing: install the browser test's \
             requirements with `apt-get install -y chromium chromium-driver`, or unset the variable to skip it",
            missing.join(" and "),
            if missing.len() == 1 { "is" } else { "are" },
        );
    }
}
