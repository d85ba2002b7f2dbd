use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::add(Tensor a, Tensor b) -> Tensor")]
fn add(a: &Tensor) -> Result<Tensor> {
    Ok(a.clone())
}

fn main() {}
