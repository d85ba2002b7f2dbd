// Out style, generic over the element type: instantiated for each of `dtypes(...)`, and
// dispatched by the input's dtype; the functional form allocates from broadcasting.
use opkit::half::{bf16, f16};
use opkit::ndarray::{ArrayViewD, ArrayViewMutD, Zip};
use opkit::{custom_op, Element, Error, Result, Tensor};

#[custom_op("pass::double(Tensor x) -> Tensor", dtypes(f32, f64, f16, bf16))]
fn double<T: Element>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) {
    Zip::from(&mut out).and(&x).for_each(|o, &v| *o = T::from_f64(v.to_f64() * 2.0));
}

fn main() -> Result<()> {
    assert_eq!(double::call(&Tensor::from_vec(vec![1.5f32], &[1])?)?.to_vec::<f32>()?, vec![3.0]);
    assert_eq!(double::call(&Tensor::from_vec(vec![1.5f64], &[1])?)?.to_vec::<f64>()?, vec![3.0]);
    let h = Tensor::from_vec(vec![f16::from_f32(1.5)], &[1])?;
    assert_eq!(double::call(&h)?.to_vec::<f16>()?, vec![f16::from_f32(3.0)]);
    let b = Tensor::from_vec(vec![bf16::from_f32(1.5)], &[1])?;
    assert_eq!(double::call(&b)?.to_vec::<bf16>()?, vec![bf16::from_f32(3.0)]);
    // No kernel for int32: a clear error listing what is registered.
    let err = double::call(&Tensor::from_vec(vec![1i32], &[1])?).unwrap_err();
    assert!(matches!(err, Error::NoKernel { .. }), "{err}");
    assert!(err.to_string().contains("float32"), "{err}");
    Ok(())
}
