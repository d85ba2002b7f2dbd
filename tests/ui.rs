//! Compile-time checks of `#[custom_op]` and `#[kernel]`: every case under `tests/ui/<category>/`
//! must fail to compile with exactly the reviewed message in its `.stderr` file; every case under
//! `tests/pass/` must compile and run. Regenerate with `TRYBUILD=overwrite cargo test --test ui`,
//! then read every changed `.stderr` as a user would.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
    cases.pass("tests/pass/*.rs");
}
