// In place: `Tensor(a!) self` is `&mut Tensor` (written `self_`); the wrapper returns `self`.
use opkit::{custom_op, Registry, Result, Tensor, Value};

#[custom_op("pass::negate_(Tensor(a!) self) -> Tensor(a!)")]
fn negate_(self_: &mut Tensor) -> Result<()> {
    let mut v = self_.view_mut::<f32>()?;
    v.mapv_inplace(|x| -x);
    Ok(())
}

fn main() -> Result<()> {
    let mut x = Tensor::from_vec(vec![1.0f32, -2.0], &[2])?;
    let returned = negate_::call(&mut x)?;
    assert_eq!(x.to_vec::<f32>()?, vec![-1.0, 2.0]);
    assert!(returned.same_storage(&x));
    // Boxed: the argument's storage is written, and returned.
    let r = Registry::global()?.call("pass::negate_", &[Value::from(&x)])?;
    assert_eq!(x.to_vec::<f32>()?, vec![1.0, -2.0]);
    assert!(r[0].as_tensor().unwrap().same_storage(&x));
    assert!(negate_::handle()?.out_schema().is_none());
    Ok(())
}
