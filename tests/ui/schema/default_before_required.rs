use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::f(Tensor x, int n=1, float y) -> Tensor")]
fn f(x: &Tensor, n: i64, y: f64) -> Result<Tensor> {
    let _ = (n, y);
    Ok(x.clone())
}

fn main() {}
