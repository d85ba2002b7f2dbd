use opkit::custom_op;
use opkit::ndarray::{ArrayViewD, ArrayViewMutD};

#[custom_op("my_ops::copy(Tensor x) -> Tensor", dtypes(f64))]
fn copy(x: ArrayViewD<f32>, mut out: ArrayViewMutD<f32>) {
    out.assign(&x);
}

fn main() {}
