//! A dependency that nothing names is not linked, so its ops are absent: `expect_ops` turns that
//! silent absence into an error that says what to do. (`fixture-ops` is a dev-dependency of this
//! package, but this file never names it; `linking_named.rs` does.)

use opkit::{Error, Registry};

#[test]
fn ops_of_an_unnamed_crate_are_absent_and_expect_ops_says_why() {
    let registry = Registry::global().unwrap();
    assert!(registry.find("fixture::identity").is_err());
    let err = registry.expect_ops(&["fixture::identity"]).unwrap_err();
    assert!(matches!(err, Error::MissingOps { .. }));
    assert!(
        err.to_string()
            .contains("add `use <the crate that declares them> as _;`"),
        "{err}"
    );
}
