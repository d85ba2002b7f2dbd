use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::zero_(Tensor(a!) self) -> Tensor(a!)")]
fn zero_(self_: &Tensor) -> Result<()> {
    let _ = self_;
    Ok(())
}

fn main() {}
