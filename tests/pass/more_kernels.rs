// More kernels for one op: `#[kernel]` names the op's generated module, so the op and the
// kernel may live apart; a composite kernel serves every device and dtype nobody else does.
use opkit::ndarray::{ArrayViewD, ArrayViewMutD};
use opkit::{custom_op, kernel, DType, Registry, Result, Tensor};

mod declared {
    use opkit::{custom_op, Result, Tensor};

    /// The op, with a generic float64 kernel.
    #[custom_op("pass::square(Tensor x) -> Tensor", dtypes(f64))]
    pub fn square(x: &Tensor) -> Result<Tensor> {
        let v: Vec<f64> = x.to_vec::<f64>()?.iter().map(|v| v * v).collect();
        Tensor::from_vec(v, x.shape())
    }
}

/// A float32 kernel, out style with views: its dtype comes from the view's element type.
#[kernel(declared::square)]
fn square_f32(x: ArrayViewD<f32>, mut out: ArrayViewMutD<f32>) {
    out.zip_mut_with(&x, |o, &v| *o = v * v);
}

/// Anything else: written with other ops (here: via float64), so it runs everywhere.
#[kernel(declared::square, composite)]
fn square_any(x: &Tensor) -> Result<Tensor> {
    declared::square::call(&x.to_dtype(DType::F64)?)?.to_dtype(x.dtype())
}

#[custom_op("pass::local_demo(Tensor x) -> Tensor")]
fn local_demo(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

fn main() -> Result<()> {
    let f = Tensor::from_vec(vec![3.0f32], &[1])?;
    assert_eq!(declared::square::call(&f)?.to_vec::<f32>()?, vec![9.0]);
    let i = Tensor::from_vec(vec![3i32], &[1])?;
    assert_eq!(declared::square::call(&i)?.to_vec::<i32>()?, vec![9]);
    let op = Registry::global()?.find("pass::square")?;
    assert_eq!(op.kernels().len(), 3);
    assert_eq!(local_demo::call(&f)?.to_vec::<f32>()?, vec![3.0]);
    Ok(())
}
