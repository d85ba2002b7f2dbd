use opkit::{custom_op, Meta, Result, Tensor};

#[custom_op("my_ops::f(Tensor x, Tensor? bias) -> Tensor", shape = s)]
fn f(x: &Tensor, bias: &Tensor) -> Result<Tensor> {
    let _ = bias;
    Ok(x.clone())
}

fn s(x: &Meta, _bias: Option<&Meta>) -> Result<Meta> {
    Ok(x.clone())
}

fn main() {}
