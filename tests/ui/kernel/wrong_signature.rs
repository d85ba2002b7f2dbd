use opkit::{custom_op, kernel, Result, Tensor};

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
fn mul3(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

#[kernel(mul3, device = cuda)]
fn mul3_cuda(x: &Tensor, factor: f64) -> Result<Tensor> {
    let _ = factor;
    Ok(x.clone())
}

fn main() {}
