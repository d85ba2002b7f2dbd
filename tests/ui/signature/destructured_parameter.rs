use opkit::{custom_op, Meta, Result, Tensor};

#[custom_op("my_ops::f(Tensor x, int[] dims) -> Tensor", shape = s)]
fn f(x: &Tensor, [a, b]: [i64; 2]) -> Result<Tensor> {
    let _ = (a, b);
    Ok(x.clone())
}

fn s(x: &Meta, _dims: &[i64]) -> Result<Meta> {
    Ok(x.clone())
}

fn main() {}
