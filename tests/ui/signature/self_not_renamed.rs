use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::zero_(Tensor(a!) self) -> Tensor(a!)")]
fn zero_(this: &mut Tensor) -> Result<()> {
    let _ = this;
    Ok(())
}

fn main() {}
