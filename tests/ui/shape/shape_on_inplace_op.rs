use opkit::{custom_op, Meta, Result, Tensor};

#[custom_op("my_ops::zero_(Tensor(a!) self) -> Tensor(a!)", shape = s)]
fn zero_(self_: &mut Tensor) -> Result<()> {
    let _ = self_;
    Ok(())
}

fn s(x: &Meta) -> Result<Meta> {
    Ok(x.clone())
}

fn main() {}
