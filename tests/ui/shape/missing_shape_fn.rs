use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::matmul(Tensor a, Tensor b, bool transpose=False) -> Tensor")]
fn matmul(a: &Tensor, b: &Tensor, transpose: bool) -> Result<Tensor> {
    let _ = (b, transpose);
    Ok(a.clone())
}

fn main() {}
