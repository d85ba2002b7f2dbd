// Schema argument names that are Rust keywords: raw identifiers (`type` → `r#type`), or a
// trailing underscore for those that cannot be raw (`crate` → `crate_`, as `self` → `self_`).
use opkit::{custom_op, Meta, Registry, Result, Tensor, Value};

#[custom_op("pass::keywords(Tensor x, int type, int crate, bool match=False) -> Tensor", shape = same)]
fn keywords(x: &Tensor, r#type: i64, crate_: i64, r#match: bool) -> Result<Tensor> {
    let shift = (r#type + crate_ + i64::from(r#match)) as f64;
    Tensor::from_vec(x.to_vec_f64()?.iter().map(|v| v + shift).collect(), x.shape())
}

fn same(x: &Meta, _type: i64, _crate: i64, _match: bool) -> Result<Meta> {
    Ok(x.clone().with_dtype(opkit::DType::F64))
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f64], &[1])?;
    assert_eq!(keywords::call(&x, 1, 2, true)?.to_vec::<f64>()?, vec![5.0]);
    let r = Registry::global()?.call_kw("pass::keywords", &[Value::from(&x)], &[("type", Value::from(1i64)), ("crate", Value::from(1i64))])?;
    assert_eq!(r[0].as_tensor().unwrap().to_vec::<f64>()?, vec![3.0]);
    Ok(())
}
