use opkit::{custom_op, Tensor};

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
fn mul3(x: &Tensor) {
    let _ = x;
}

fn main() {}
