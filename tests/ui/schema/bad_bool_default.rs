use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::f(Tensor x, bool flag=true) -> Tensor", shape = s)]
fn f(x: &Tensor, flag: bool) -> Result<Tensor> {
    let _ = flag;
    Ok(x.clone())
}

fn s(x: &opkit::Meta, _flag: bool) -> Result<opkit::Meta> {
    Ok(x.clone())
}

fn main() {}
