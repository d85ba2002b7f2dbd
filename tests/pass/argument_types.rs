// Every supported argument type, optional forms and defaults, and non-tensor results.
use opkit::{custom_op, DType, Device, Registry, Result, Scalar, Tensor, Value};

#[custom_op("pass::describe(Tensor x, Tensor? bias, Tensor[] extra, int n, SymInt m, float f, bool b, str s, Scalar alpha, ScalarType dtype, Device device, int[] dims, float[] ws, bool[2] mask, int? maybe=None, float? eps=1e-05, ScalarType? out_dtype=None) -> str")]
#[allow(clippy::too_many_arguments)]
fn describe(
    x: &Tensor,
    bias: Option<&Tensor>,
    extra: &[Tensor],
    n: i64,
    m: i64,
    f: f64,
    b: bool,
    s: &str,
    alpha: Scalar,
    dtype: DType,
    device: Device,
    dims: &[i64],
    ws: &[f64],
    mask: &[bool],
    maybe: Option<i64>,
    eps: Option<f64>,
    out_dtype: Option<DType>,
) -> String {
    format!(
        "{} {} {} {n} {m} {f} {b} {s} {alpha} {dtype} {device} {dims:?} {ws:?} {mask:?} {maybe:?} {eps:?} {out_dtype:?}",
        x.numel(),
        bias.is_some(),
        extra.len()
    )
}

#[custom_op("pass::count(Tensor x) -> int")]
fn count(x: &Tensor) -> i64 {
    x.numel() as i64
}

fn main() -> Result<()> {
    let x = Tensor::from_vec(vec![1.0f32; 3], &[3])?;
    let typed = describe::call(&x, None, &[x.clone()], 1, 2, 0.5, true, "hi", Scalar::Int(3), DType::F16, Device::Cpu, &[0, 1], &[0.5], &[true, false], Some(4), None, None)?;
    assert_eq!(typed, "3 false 1 1 2 0.5 true hi 3 float16 cpu [0, 1] [0.5] [true, false] Some(4) None None");
    let boxed = Registry::global()?.call(
        "pass::describe",
        &[
            Value::from(&x),
            Value::from(&x),
            Value::TensorList(vec![]),
            Value::from(1i64),
            Value::from(2i64),
            Value::from(1i64), // an int where a float is expected converts, as in PyTorch
            Value::from(false),
            Value::from("s"),
            Value::from(2.5),  // a float where a Scalar is expected
            Value::from(DType::F32),
            Value::from("cpu"), // a device name
            Value::IntList(vec![2]),
            Value::IntList(vec![1]), // ints where floats are expected
            Value::BoolList(vec![true, true]),
        ],
    )?;
    assert_eq!(boxed[0].to_string(), "\"3 true 0 1 2 1 false s 2.5 float32 cpu [2] [1.0] [true, true] None Some(1e-5) None\"");
    assert_eq!(count::call(&x)?, 3);
    Ok(())
}
