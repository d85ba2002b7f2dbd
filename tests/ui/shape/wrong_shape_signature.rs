use opkit::{custom_op, Meta, Result, Tensor};

#[custom_op("my_ops::scale(Tensor x, float alpha) -> Tensor", shape = scale_shape)]
fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let _ = alpha;
    Ok(x.clone())
}

fn scale_shape(x: &Meta) -> Result<Meta> {
    Ok(x.clone())
}

fn main() {}
