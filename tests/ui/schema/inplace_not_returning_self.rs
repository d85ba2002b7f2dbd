use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::relu_(Tensor(a!) self) -> Tensor")]
fn relu_(self_: &mut Tensor) -> Result<Tensor> {
    Ok(self_.clone())
}

fn main() {}
