use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::f(Tensor x, int(a!) n) -> Tensor")]
fn f(x: &Tensor, n: i64) -> Result<Tensor> {
    let _ = n;
    Ok(x.clone())
}

fn main() {}
