use opkit::ndarray::{ArrayViewD, ArrayViewMutD};
use opkit::{custom_op, kernel, Result, Tensor};

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
fn mul3(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(mul3)]
fn mul3_views<T: Copy>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) {
    out.assign(&x);
}

fn main() {}
