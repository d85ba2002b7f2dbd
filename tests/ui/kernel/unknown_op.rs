use opkit::{custom_op, kernel, Result, Tensor};

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
fn mul3(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(mul33, device = cuda)]
fn mul3_cuda(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

fn main() {}
