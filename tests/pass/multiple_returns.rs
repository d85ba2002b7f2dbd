// Several results (a tuple), and a `Tensor[]` result (a Vec).
use opkit::{custom_op, DType, Device, Meta, Result, Tensor};

#[custom_op("pass::split2(Tensor x) -> (Tensor first, Tensor second)", shape = split2_shape)]
fn split2(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let n = x.shape()[0] / 2;
    Ok((x.narrow(0, 0, n)?.contiguous()?, x.narrow(0, n as isize, n)?.contiguous()?))
}

fn split2_shape(x: &Meta) -> Result<(Meta, Meta)> {
    let half = Meta::new(&[x.shape[0] / 2], x.dtype, x.device);
    Ok((half.clone(), half))
}

#[custom_op("pass::chunks(Tensor x, int n) -> Tensor[]", shape = chunks_shape)]
fn chunks(x: &Tensor, n: i64) -> Result<Vec<Tensor>> {
    let size = x.shape()[0] / n as usize;
    (0..n).map(|i| x.narrow(0, i as isize * size as isize, size)?.contiguous()).collect()
}

fn chunks_shape(x: &Meta, n: i64) -> Result<Vec<Meta>> {
    Ok(vec![Meta::new(&[x.shape[0] / n as usize], x.dtype, x.device); n as usize])
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4])?;
    let (a, b) = split2::call(&x)?;
    assert_eq!((a.to_vec::<f32>()?, b.to_vec::<f32>()?), (vec![1.0, 2.0], vec![3.0, 4.0]));
    let mut first = Tensor::empty(&[0], DType::F32, Device::Cpu)?;
    let mut second = Tensor::empty(&[2], DType::F32, Device::Cpu)?;
    split2::out(&x, &mut first, &mut second)?;
    assert_eq!(second.to_vec::<f32>()?, vec![3.0, 4.0]);
    assert_eq!(split2::OUT_SCHEMA, "pass::split2.out(Tensor x, *, Tensor(a!) first, Tensor(b!) second) -> (Tensor(a!) first, Tensor(b!) second)");
    let parts = chunks::call(&x, 4)?;
    assert_eq!(parts.len(), 4);
    let mut outs = vec![Tensor::empty(&[0], DType::F32, Device::Cpu)?; 2];
    chunks::out(&x, 2, &mut outs)?;
    assert_eq!(outs[1].to_vec::<f32>()?, vec![3.0, 4.0]);
    assert_eq!(chunks::OUT_SCHEMA, "pass::chunks.out(Tensor x, int n, *, Tensor(a!)[] out) -> ()");
    Ok(())
}
