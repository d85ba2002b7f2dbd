use opkit::{custom_op, Result, Tensor};

#[custom_op("my_ops::scale(Tensor x, float alpha) -> Tensor", shape = scale_shap)]
fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let _ = alpha;
    Ok(x.clone())
}

fn main() {}
