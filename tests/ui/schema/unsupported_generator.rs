use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::noise(Tensor x, Generator? generator=None) -> Tensor")]
fn noise(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

fn main() {}
