use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::scale(Tensor x, double alpha) -> Tensor")]
fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let _ = alpha;
    Ok(x.clone())
}

fn main() {}
