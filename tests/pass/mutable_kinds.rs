// Schemas that are not functional: an op declared directly in out form, and a mutable op that
// also returns a new tensor (the kernel returns the new result; the wrapper adds nothing).
use opkit::{custom_op, DType, Device, Registry, Result, Tensor, Value};

#[custom_op("pass::fill.out(Tensor value, *, Tensor(a!) out) -> Tensor(a!)")]
fn fill_out(value: &Tensor, out: &mut Tensor) -> Result<()> {
    let v = value.item::<f32>()?;
    out.fill_(v)
}

#[custom_op("pass::observe(Tensor x, Tensor(a!) running_max) -> Tensor")]
fn observe(x: &Tensor, running_max: &mut Tensor) -> Result<Tensor> {
    let xs = x.to_vec::<f32>()?;
    let seen = running_max.item::<f32>()?;
    let max = xs.iter().copied().fold(seen, f32::max);
    running_max.fill_(max)?;
    Tensor::from_vec(xs.iter().map(|v| v / max).collect(), x.shape())
}

fn main() -> Result<()> {
    let mut out = Tensor::zeros(&[3], DType::F32, Device::Cpu)?;
    let returned = fill_out::call(&Tensor::scalar(2.5f32), &mut out)?;
    assert_eq!(out.to_vec::<f32>()?, vec![2.5; 3]);
    assert!(returned.same_storage(&out));

    let mut running = Tensor::scalar(1.0f32);
    let scaled = observe::call(&Tensor::from_vec(vec![2.0f32, 4.0], &[2])?, &mut running)?;
    assert_eq!(running.item::<f32>()?, 4.0);
    assert_eq!(scaled.to_vec::<f32>()?, vec![0.5, 1.0]);

    // Boxed: the mutated argument's storage is written.
    let running = Tensor::scalar(8.0f32);
    let r = Registry::global()?.call("pass::observe", &[Value::from(Tensor::from_vec(vec![2.0f32], &[1])?), Value::from(&running)])?;
    assert_eq!(r[0].as_tensor().unwrap().to_vec::<f32>()?, vec![0.25]);
    assert!(observe::handle()?.out_schema().is_none());
    Ok(())
}
