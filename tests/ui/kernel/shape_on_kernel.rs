use opkit::{custom_op, kernel, Meta, Result, Tensor};

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
fn mul3(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(mul3, device = cuda, shape = s)]
fn mul3_cuda(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

fn s(x: &Meta) -> Result<Meta> {
    Ok(x.clone())
}

fn main() {}
