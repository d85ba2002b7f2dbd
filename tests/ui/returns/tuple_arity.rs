use opkit::{custom_op, Meta, Result, Tensor};

#[custom_op("my_ops::minmax(Tensor x) -> (Tensor lo, Tensor hi)", shape = s)]
fn minmax(x: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
    Ok((x.clone(), x.clone(), x.clone()))
}

fn s(x: &Meta) -> Result<(Meta, Meta)> {
    Ok((x.clone(), x.clone()))
}

fn main() {}
