use opkit::custom_op;
use opkit::ndarray::{ArrayViewD, ArrayViewMutD};

#[custom_op("my_ops::copy(Tensor x) -> Tensor", dtypes())]
fn copy<T: Copy>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) {
    out.assign(&x);
}

fn main() {}
