//! The quick start: declare ops in each style, list the registry, call them typed and by name,
//! and check them with opcheck.
//!
//! ```text
//! cargo run --release --example quickstart
//! ```

use opkit::ndarray::{ArrayViewD, ArrayViewMutD, Zip};
use opkit::{Element, Meta, Registry, Result, Tensor, Value, custom_op, opcheck};

/// Functional style: the kernel returns its result (any float dtype: it converts through f64).
#[custom_op("demo::scale(Tensor x, float alpha=2.0) -> Tensor", shape = same_as_x)]
fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let values: Vec<f64> = x.to_vec_f64()?.iter().map(|v| v * alpha).collect();
    Tensor::from_vec(values, x.shape())?.to_dtype(x.dtype())
}

/// The shape function `scale` needs (it is not pointwise: `alpha` is not a tensor).
fn same_as_x(x: &Meta, _alpha: f64) -> Result<Meta> {
    Ok(x.clone())
}

/// Out style, generic over the element type: the dispatcher allocates `out` from shape
/// inference (broadcasting, since the op is pointwise) and hands over ndarray views.
#[custom_op("demo::hypot(Tensor a, Tensor b) -> Tensor", dtypes(f32, f64))]
fn hypot<T: Element + num_float::Float>(
    a: ArrayViewD<T>,
    b: ArrayViewD<T>,
    mut out: ArrayViewMutD<T>,
) {
    let a = a
        .broadcast(out.raw_dim())
        .expect("shape inference broadcast the inputs");
    let b = b
        .broadcast(out.raw_dim())
        .expect("shape inference broadcast the inputs");
    Zip::from(&mut out)
        .and(&a)
        .and(&b)
        .for_each(|o, &x, &y| *o = x.hypot(y));
}

/// In place: the schema marks `self` as written, so the kernel takes `&mut Tensor`.
#[custom_op("demo::clamp_(Tensor(a!) self, float min, float max) -> Tensor(a!)")]
fn clamp_(self_: &mut Tensor, min: f64, max: f64) -> Result<()> {
    let mut view = self_.view_mut::<f32>()?;
    view.mapv_inplace(|v| v.clamp(min as f32, max as f32));
    Ok(())
}

/// Several results, named: the out variant gets outputs `lo` and `hi`.
#[custom_op("demo::minmax(Tensor x) -> (Tensor lo, Tensor hi)", shape = minmax_shape)]
fn minmax(x: &Tensor) -> Result<(Tensor, Tensor)> {
    let v = x.to_vec_f64()?;
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Ok((
        Tensor::scalar(lo).to_dtype(x.dtype())?,
        Tensor::scalar(hi).to_dtype(x.dtype())?,
    ))
}

fn minmax_shape(x: &Meta) -> Result<(Meta, Meta)> {
    let scalar = Meta::new(&[], x.dtype, x.device);
    Ok((scalar.clone(), scalar))
}

/// A tiny stand-in for `num_traits::Float`, so this example needs nothing but opkit.
mod num_float {
    pub trait Float: Copy {
        fn hypot(self, other: Self) -> Self;
    }
    impl Float for f32 {
        fn hypot(self, other: f32) -> f32 {
            f32::hypot(self, other)
        }
    }
    impl Float for f64 {
        fn hypot(self, other: f64) -> f64 {
            f64::hypot(self, other)
        }
    }
}

fn main() -> Result<()> {
    let registry = Registry::global()?;
    registry.expect_ops(&[
        "demo::scale",
        "demo::hypot",
        "demo::clamp_",
        "demo::minmax",
        "my_ops::mul3",
        "my_ops::mul4",
    ])?;

    println!("== the registry");
    for op in registry.ops() {
        println!("{}", op.schema());
        if let Some(out) = op.out_schema() {
            println!("    out variant: {out}");
        }
        for kernel in op.kernels() {
            println!("    kernel: {kernel}");
        }
    }

    println!("\n== typed calls");
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 3.5, -4.0], &[2, 2])?;
    println!("x = {x}");
    println!("demo::scale(x, 3.0) = {}", scale::call(&x, 3.0)?);
    let a = Tensor::from_vec(vec![3.0f64, 5.0], &[2, 1])?;
    let b = Tensor::from_vec(vec![4.0f64, 12.0, 0.0], &[3])?;
    println!("demo::hypot(a[2,1], b[3]) = {}", hypot::call(&a, &b)?);
    let (lo, hi) = minmax::call(&x)?;
    println!("demo::minmax(x) = ({lo}, {hi})");
    let mut y = x.deep_clone()?;
    clamp_::call(&mut y, -1.0, 1.0)?;
    println!("after demo::clamp_(y, -1, 1): y = {y}");
    let mut out = Tensor::empty(&[0], opkit::DType::F32, opkit::Device::Cpu)?;
    opkit::kernels::seed::mul3::out(&x, &mut out)?;
    println!(
        "my_ops::mul3.out(x, out=<empty>) resized out to {:?}: {out}",
        out.shape()
    );

    println!("\n== calls by name");
    let by_name = registry.call("demo::scale", &[Value::from(&x)])?;
    println!("demo::scale(x) with the default alpha=2.0 = {}", by_name[0]);
    let kw = registry
        .find("demo::scale")?
        .call_kw(&[Value::from(&x)], &[("alpha", Value::from(0.5))])?;
    println!("demo::scale(x, alpha=0.5) = {}", kw[0]);
    match registry.call("demo::scael", &[Value::from(&x)]) {
        Err(e) => println!("a typo is an error: {e}"),
        Ok(_) => println!("unexpected: a misspelled op was found"),
    }

    println!("\n== opcheck");
    let samples = [
        vec![Value::from(&x)],
        vec![Value::from(Tensor::from_vec(vec![0.25f64; 6], &[3, 2])?)],
    ];
    for name in [
        "demo::scale",
        "demo::minmax",
        "my_ops::mul3",
        "my_ops::mul4",
    ] {
        let report = opcheck(&registry.find(name)?, &samples);
        let (passed, failed, skipped) = report.counts();
        println!("{name}: {passed} passed, {failed} failed, {skipped} skipped");
        if !report.passed() {
            println!("{report}");
        }
    }
    let hypot_samples = [vec![Value::from(&a), Value::from(&b)]];
    println!(
        "{}",
        opcheck(&registry.find("demo::hypot")?, &hypot_samples)
    );
    Ok(())
}
