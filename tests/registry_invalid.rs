//! A binary whose registrations collide: `Registry::global()` and every call report it, naming
//! both declarations, instead of aborting at start-up as PyTorch's static registration does.

use opkit::{Error, Registry, Result, Tensor, custom_op, kernel};

#[custom_op("clash::twice(Tensor x) -> Tensor")]
fn first(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[custom_op("clash::twice(Tensor x) -> Tensor")]
fn second(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(first, dtypes(f32))]
fn first_f32(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(first, dtypes(f32, f64))]
fn first_f32_again(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[test]
fn collisions_are_errors_naming_both_places() {
    let err = Registry::global().unwrap_err();
    let Error::RegistryInvalid { problems } = &err else {
        panic!("{err}")
    };
    let text = err.to_string();
    assert_eq!(problems.len(), 2, "{text}");
    assert!(text.contains("op `clash::twice` is declared twice: at tests/registry_invalid.rs:6:1 and at tests/registry_invalid.rs:11:1"), "{text}");
    assert!(text.contains("op `clash::twice` has two kernels for (cpu, float32): `registry_invalid::first_f32` at tests/registry_invalid.rs:16:1 and `registry_invalid::first_f32_again` at tests/registry_invalid.rs:21:1"), "{text}");
    // Calls report the same error rather than running on a half-valid registry.
    let x = Tensor::from_vec(vec![1.0f32], &[1]).unwrap();
    assert_eq!(first::call(&x).unwrap_err(), err);
}
