//! Naming a crate of ops, even only as `use ... as _`, links it and its registrations.

use fixture_ops as _;
use opkit::Registry;

#[test]
fn ops_of_a_named_crate_are_registered() {
    Registry::global()
        .unwrap()
        .expect_ops(&["fixture::identity"])
        .unwrap();
}
