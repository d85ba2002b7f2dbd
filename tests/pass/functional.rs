// Functional style: the kernel returns its result; the out variant copies it into `out`.
use opkit::{custom_op, DType, Device, Meta, Registry, Result, Tensor, Value};

#[custom_op("pass::affine(Tensor x, float scale=2.0, float shift=0.5) -> Tensor", shape = same)]
fn affine(x: &Tensor, scale: f64, shift: f64) -> Result<Tensor> {
    let v: Vec<f64> = x.to_vec_f64()?.iter().map(|v| v * scale + shift).collect();
    Tensor::from_vec(v, x.shape())?.to_dtype(x.dtype())
}

fn same(x: &Meta, _scale: f64, _shift: f64) -> Result<Meta> {
    Ok(x.clone())
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2])?;
    assert_eq!(affine::call(&x, 3.0, 1.0)?.to_vec::<f32>()?, vec![4.0, 7.0]);
    let mut out = Tensor::empty(&[0], DType::F32, Device::Cpu)?;
    affine::out(&x, 1.0, 0.0, &mut out)?;
    assert_eq!(out.to_vec::<f32>()?, vec![1.0, 2.0]);
    assert_eq!(affine::shape(&Meta::from(&x), 1.0, 0.0)?, Meta::from(&x));
    let r = Registry::global()?.call_kw("pass::affine", &[Value::from(&x)], &[("shift", Value::from(1.0))])?;
    assert_eq!(r[0].as_tensor().unwrap().to_vec::<f32>()?, vec![3.0, 5.0]);
    assert_eq!(affine::SCHEMA, "pass::affine(Tensor x, float scale=2.0, float shift=0.5) -> Tensor");
    assert_eq!(affine::OUT_SCHEMA, "pass::affine.out(Tensor x, float scale=2.0, float shift=0.5, *, Tensor(a!) out) -> Tensor(a!)");
    assert_eq!(affine::handle()?.name(), "pass::affine");
    Ok(())
}
