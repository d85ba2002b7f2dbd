//! [`opcheck`]: tests an op's registration against sample inputs, like `torch.library.opcheck`,
//! and more: every kernel against a float64 reference, derived zero-size, single-element,
//! non-contiguous and broadcast inputs, and the refusal of a wrong-shaped output.

use std::fmt;

use op_schema::Type;

mod derived;
mod sample;

use derived::{
    broadcast, derive_single_element, derive_zero_size, non_contiguous, pointwise_variant,
};
pub use sample::Sample;
use sample::{call_bound, call_out_bound};

use crate::record::{KernelDTypes, KernelDef, KernelStyle};
use crate::registry::{OpEntry, Variant};
use crate::{DType, Device, DeviceKind, Error, Meta, OpHandle, Result, Returns, Tensor, Value};

/// One named check on one sample.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// What was checked (`inputs_unchanged`, `shape_inference`, `kernel <name> (<key>)`, …).
    pub name: String,
    /// The index of the sample it ran on.
    pub sample: usize,
    /// How it went.
    pub outcome: Outcome,
}

/// The result of one check.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The check held.
    Passed,
    /// The check failed; the message says how.
    Failed(String),
    /// The check does not apply, or cannot run here; the message says why.
    Skipped(String),
}

/// What [`opcheck`] found.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The op's full name.
    pub op: String,
    /// Every check run, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.failures().next().is_none()
    }

    /// The failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
    }

    /// Counts of (passed, failed, skipped).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |f: fn(&Outcome) -> bool| self.checks.iter().filter(|c| f(&c.outcome)).count();
        (
            count(|o| matches!(o, Outcome::Passed)),
            count(|o| matches!(o, Outcome::Failed(_))),
            count(|o| matches!(o, Outcome::Skipped(_))),
        )
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (passed, failed, skipped) = self.counts();
        writeln!(
            f,
            "opcheck {}: {passed} passed, {failed} failed, {skipped} skipped",
            self.op
        )?;
        for check in &self.checks {
            match &check.outcome {
                Outcome::Passed => writeln!(f, "  ok    {} [sample {}]", check.name, check.sample)?,
                Outcome::Failed(why) => {
                    writeln!(f, "  FAIL  {} [sample {}]: {why}", check.name, check.sample)?
                }
                Outcome::Skipped(why) => {
                    writeln!(f, "  skip  {} [sample {}]: {why}", check.name, check.sample)?
                }
            }
        }
        Ok(())
    }
}

/// Checks an op on sample inputs (positional arguments, as for [`OpHandle::call`]; see
/// [`opcheck_samples`] for samples with keyword arguments):
///
/// - `inputs_unchanged`: arguments the schema does not mark as written are bit-for-bit the same
///   after the call;
/// - `shape_inference`: the shape function agrees with the results (shape, dtype, device);
/// - `out_variant`: the out variant, given empty outputs, produces the functional results;
/// - `wrong_out_refused`: an output of the wrong shape is refused with an error;
/// - `kernel <name>`: every registered kernel that accepts the sample's dtype agrees with a
///   float64 reference (the op run on the inputs converted to float64) within the dtype's
///   tolerance; kernels on devices absent here are skipped, saying so;
/// - `non_contiguous`, `zero_size`, `single_element`, `broadcast`: derived inputs give the
///   results they must (derived shapes only for pointwise ops, whose shape rule is known).
///
/// ```
/// # use op_runtime::{opcheck, Registry, Tensor, Value};
/// # fn demo(registry: &Registry) -> op_runtime::Result<()> {
/// let op = registry.find("my_ops::mul3")?;
/// let x = Tensor::from_vec(vec![1.0f32, -2.0, 0.5], &[3])?;
/// let report = opcheck(&op, &[vec![Value::from(x)]]);
/// assert!(report.passed(), "{report}");
/// # Ok(()) }
/// ```
pub fn opcheck(op: &OpHandle<'_>, samples: &[Vec<Value>]) -> Report {
    let samples: Vec<Sample> = samples.iter().cloned().map(Sample::from).collect();
    opcheck_samples(op, &samples)
}

/// [`opcheck`] on samples that may pass arguments by keyword (keyword-only ones, say `eps` in
/// `norm(Tensor x, *, float eps=1e-05)`).
///
/// ```
/// # use op_runtime::{opcheck_samples, Registry, Sample, Tensor, Value};
/// # fn demo(registry: &Registry) -> op_runtime::Result<()> {
/// let op = registry.find("my_ops::scale")?;
/// let x = Tensor::from_vec(vec![1.0f32, -2.0, 0.5], &[3])?;
/// let report = opcheck_samples(&op, &[Sample::new(vec![Value::from(x)]).kwarg("alpha", 0.5)]);
/// assert!(report.passed(), "{report}");
/// # Ok(()) }
/// ```
pub fn opcheck_samples(op: &OpHandle<'_>, samples: &[Sample]) -> Report {
    let handle = OpHandle {
        variant: Variant::Declared,
        ..*op
    };
    let entry = handle.entry();
    let mut checks = Vec::new();
    for (index, sample) in samples.iter().enumerate() {
        let mut push = |name: &str, outcome: Outcome| {
            checks.push(Check {
                name: name.to_string(),
                sample: index,
                outcome,
            })
        };
        // Every check works on the sample bound to the schema (see `Sample::bind`).
        let args = match sample.bind(&handle) {
            Ok(bound) => bound,
            Err(e) => {
                push("call", Outcome::Failed(e.to_string()));
                continue;
            }
        };
        let args = &args[..];
        let results = match check_call(&handle, args) {
            Ok((results, unchanged)) => {
                push("inputs_unchanged", unchanged);
                results
            }
            Err(e) => {
                push("call", Outcome::Failed(e.to_string()));
                continue;
            }
        };
        push("shape_inference", shape_inference(entry, args, &results));
        push("out_variant", out_variant(&handle, args, &results));
        push(
            "wrong_out_refused",
            wrong_out_refused(&handle, args, &results),
        );
        for kernel in &entry.kernels {
            push(
                &kernel_check_name(kernel),
                kernel_agrees(&handle, kernel, args),
            );
        }
        push("non_contiguous", non_contiguous(&handle, args, &results));
        for (name, derive) in [
            (
                "zero_size",
                derive_zero_size as fn(&Tensor) -> Result<Tensor>,
            ),
            ("single_element", derive_single_element),
        ] {
            push(name, pointwise_variant(&handle, args, derive));
        }
        push("broadcast", broadcast(&handle, args));
    }
    Report {
        op: entry.name.clone(),
        checks,
    }
}

fn kernel_check_name(kernel: &KernelDef) -> String {
    let backend = kernel
        .backend
        .map_or("composite".to_string(), |b| b.to_string());
    let dtypes = match kernel.dtypes {
        KernelDTypes::Any => "any dtype".to_string(),
        KernelDTypes::Only(ds) => ds
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    };
    format!("kernel {} ({backend}, {dtypes})", kernel.name)
}

/// Calls the op, and compares non-written tensor arguments before and after.
fn check_call(op: &OpHandle<'_>, args: &[Value]) -> Result<(Returns, Outcome)> {
    let schema = op.schema();
    let before: Vec<Option<Vec<u64>>> = schema
        .arguments()
        .iter()
        .zip(args)
        .map(|(param, value)| {
            if param.is_write() {
                Ok(None)
            } else {
                fingerprint(value).map(Some)
            }
        })
        .collect::<Result<_>>()?;
    let results = call_bound(op, args)?;
    for ((param, value), before) in schema.arguments().iter().zip(args).zip(before) {
        if let Some(before) = before
            && fingerprint(value)? != before
        {
            return Ok((
                results,
                Outcome::Failed(format!(
                    "argument `{}` was written, but its schema type `{}` has no `(a!)`",
                    param.name, param.ty
                )),
            ));
        }
    }
    Ok((results, Outcome::Passed))
}

/// The bits of every element of every tensor in a value.
fn fingerprint(value: &Value) -> Result<Vec<u64>> {
    let mut bits = Vec::new();
    let mut err = None;
    value.for_each_tensor(
        &mut |t| match t.to(Device::Cpu).and_then(|t| t.to_vec_f64()) {
            Ok(v) => bits.extend(v.iter().map(|x| x.to_bits())),
            Err(e) => err = Some(e),
        },
    );
    err.map_or(Ok(bits), Err)
}

fn result_tensors(results: &[Value]) -> Vec<Tensor> {
    results
        .iter()
        .flat_map(|v| match v {
            Value::Tensor(t) => vec![t.clone()],
            Value::TensorList(ts) => ts.clone(),
            _ => Vec::new(),
        })
        .collect()
}

fn shape_inference(entry: &OpEntry, args: &[Value], results: &[Value]) -> Outcome {
    let Some(shape) = entry.def.boxed_shape else {
        return Outcome::Skipped("the op has no out variant, so no shape function".into());
    };
    let metas = match shape(entry.def, args) {
        Ok(m) => m,
        Err(e) => return Outcome::Failed(format!("the shape function failed: {e}")),
    };
    let actual: Vec<Meta> = result_tensors(results).iter().map(Meta::from).collect();
    if metas == actual {
        Outcome::Passed
    } else {
        Outcome::Failed(format!(
            "the shape function says {}, the kernel produced {}",
            metas_text(&metas),
            metas_text(&actual)
        ))
    }
}

fn metas_text(metas: &[Meta]) -> String {
    metas
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Empty outputs for an out call, as keyword arguments.
fn empty_outs(op: &OpHandle<'_>, results: &[Value]) -> Result<Option<Vec<(String, Value)>>> {
    let Some(out_schema) = op.out_schema() else {
        return Ok(None);
    };
    let tensors = result_tensors(results);
    let mut next = tensors.iter();
    let mut kwargs = Vec::new();
    for param in out_schema.arguments().iter().filter(|a| a.is_out()) {
        let value = if matches!(param.ty, Type::List { .. }) {
            Value::TensorList(
                next.by_ref()
                    .map(|t| Tensor::empty(&[0], t.dtype(), t.device()))
                    .collect::<Result<_>>()?,
            )
        } else {
            match next.next() {
                Some(t) => Value::Tensor(Tensor::empty(&[0], t.dtype(), t.device())?),
                None => return Ok(None),
            }
        };
        kwargs.push((param.name.clone(), value));
    }
    Ok(Some(kwargs))
}

fn out_variant(op: &OpHandle<'_>, args: &[Value], results: &[Value]) -> Outcome {
    let Some(out) = op.out_variant() else {
        return Outcome::Skipped("the op has no out variant".into());
    };
    let kwargs = match empty_outs(op, results) {
        Ok(Some(k)) => k,
        Ok(None) => return Outcome::Skipped("results do not match the out arguments".into()),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    match call_out_bound(op, &out, args, &kwargs) {
        Ok(out_results) => compare_exact(
            &result_tensors(results),
            &result_tensors(&out_results),
            "functional call",
            "out variant",
        ),
        Err(e) => Outcome::Failed(format!("the out variant failed: {e}")),
    }
}

fn wrong_out_refused(op: &OpHandle<'_>, args: &[Value], results: &[Value]) -> Outcome {
    let Some(out) = op.out_variant() else {
        return Outcome::Skipped("the op has no out variant".into());
    };
    let tensors = result_tensors(results);
    let Some(first) = tensors.first() else {
        return Outcome::Skipped("no tensor results".into());
    };
    let Some(param) = out.schema().arguments().iter().find(|a| a.is_out()) else {
        return Outcome::Skipped("no out argument".into());
    };
    if matches!(param.ty, Type::List { .. }) {
        return Outcome::Skipped("list outputs".into());
    }
    let mut kwargs = match empty_outs(op, results) {
        Ok(Some(k)) => k,
        _ => return Outcome::Skipped("results do not match the out arguments".into()),
    };
    let wrong = match Tensor::empty(&[first.numel() + 1], first.dtype(), first.device()) {
        Ok(t) => t,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    kwargs[0].1 = Value::Tensor(wrong);
    match call_out_bound(op, &out, args, &kwargs) {
        Err(Error::OutputMismatch { .. }) => Outcome::Passed,
        Err(e) => Outcome::Failed(format!("refused, but with an unexpected error: {e}")),
        Ok(_) => Outcome::Failed(format!(
            "an output of shape [{}] was accepted",
            first.numel() + 1
        )),
    }
}

/// (rtol, atol) per dtype: PyTorch's `assert_close` defaults.
fn tolerance(dtype: DType) -> (f64, f64) {
    match dtype {
        DType::F64 => (1e-7, 1e-7),
        DType::F32 => (1.3e-6, 1e-5),
        DType::F16 => (1e-3, 1e-5),
        DType::BF16 => (1.6e-2, 1e-5),
        _ => (0.0, 0.0),
    }
}

fn compare(
    expected: &[Tensor],
    actual: &[Tensor],
    what: &str,
    tolerance_of: impl Fn(DType) -> (f64, f64),
) -> Outcome {
    if expected.len() != actual.len() {
        return Outcome::Failed(format!(
            "{what}: {} results against {}",
            actual.len(),
            expected.len()
        ));
    }
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e.shape() != a.shape() {
            return Outcome::Failed(format!(
                "{what}: result {i} has shape {:?}, expected {:?}",
                a.shape(),
                e.shape()
            ));
        }
        let (ev, av) = match (
            e.to(Device::Cpu).and_then(|t| t.to_vec_f64()),
            a.to(Device::Cpu).and_then(|t| t.to_vec_f64()),
        ) {
            (Ok(ev), Ok(av)) => (ev, av),
            (Err(err), _) | (_, Err(err)) => return Outcome::Failed(err.to_string()),
        };
        let (rtol, atol) = tolerance_of(a.dtype());
        for (j, (x, y)) in ev.iter().zip(&av).enumerate() {
            let same =
                (x.is_nan() && y.is_nan()) || x == y || (x - y).abs() <= atol + rtol * x.abs();
            if !same {
                return Outcome::Failed(format!(
                    "{what}: result {i} differs at element {j}: {y} against {x} (rtol {rtol}, atol {atol})"
                ));
            }
        }
    }
    Outcome::Passed
}

fn compare_exact(expected: &[Tensor], actual: &[Tensor], a: &str, b: &str) -> Outcome {
    compare(expected, actual, &format!("{b} against {a}"), |_| {
        (0.0, 0.0)
    })
}

/// Runs one kernel directly (bypassing dispatch) through the op's boxed entry point.
fn run_kernel(
    op: &OpHandle<'_>,
    kernel: &'static KernelDef,
    args: &[Value],
) -> Result<Vec<Tensor>> {
    let entry = op.entry();
    // `args` is bound already (see `Sample::bind`): one value per declared argument.
    let bound = args;
    let boxed = entry.def.boxed;
    if kernel.style == KernelStyle::Out && entry.out_schema.is_some() {
        let shape = entry
            .def
            .boxed_shape
            .ok_or_else(|| Error::Internal("no shape function".into()))?;
        let mut outs = shape(entry.def, bound)?
            .iter()
            .map(crate::call::alloc)
            .collect::<Result<Vec<_>>>()?;
        entry.run(kernel, || {
            boxed(kernel.typed, KernelStyle::Out, bound, &mut outs)
        })?;
        Ok(outs)
    } else {
        Ok(result_tensors(&entry.run(kernel, || {
            boxed(kernel.typed, kernel.style, bound, &mut [])
        })?))
    }
}

/// The sample with every floating tensor converted to `dtype` (and moved to `device`).
fn convert(args: &[Value], dtype: Option<DType>, device: Device) -> Result<Vec<Value>> {
    let conv = |t: &Tensor| -> Result<Tensor> {
        let t = match dtype {
            Some(d) if t.dtype().is_floating_point() => t.to_dtype(d)?,
            _ => t.clone(),
        };
        t.to(device)
    };
    map_tensors(args, &conv)
}

fn map_tensors(args: &[Value], f: &dyn Fn(&Tensor) -> Result<Tensor>) -> Result<Vec<Value>> {
    args.iter()
        .map(|v| {
            Ok(match v {
                Value::Tensor(t) => Value::Tensor(f(t)?),
                Value::TensorList(ts) => {
                    Value::TensorList(ts.iter().map(f).collect::<Result<_>>()?)
                }
                Value::OptionalTensorList(ts) => Value::OptionalTensorList(
                    ts.iter()
                        .map(|t| t.as_ref().map(f).transpose())
                        .collect::<Result<_>>()?,
                ),
                other => other.clone(),
            })
        })
        .collect()
}

/// The dtype dispatch would use for a sample: the first tensor's.
fn sample_dtype(args: &[Value]) -> Option<DType> {
    let mut dtype = None;
    for value in args {
        value.for_each_tensor(&mut |t| {
            dtype.get_or_insert(t.dtype());
        });
    }
    dtype
}

fn kernel_agrees(op: &OpHandle<'_>, kernel: &'static KernelDef, args: &[Value]) -> Outcome {
    let Some(sample_dtype) = sample_dtype(args) else {
        return Outcome::Skipped("the sample has no tensors".into());
    };
    // The kernel runs on the sample converted to a dtype it accepts (the sample's own if it can).
    let dtype = match kernel.dtypes {
        KernelDTypes::Any => sample_dtype,
        KernelDTypes::Only(list) if list.contains(&sample_dtype) => sample_dtype,
        KernelDTypes::Only(list) => match list
            .iter()
            .find(|d| d.is_floating_point() == sample_dtype.is_floating_point())
        {
            Some(&d) if sample_dtype.is_floating_point() => d,
            _ => return Outcome::Skipped(format!("the kernel does not take {sample_dtype}")),
        },
    };
    let device = match kernel.backend {
        None | Some(DeviceKind::Cpu) => Device::Cpu,
        Some(DeviceKind::Cuda) => Device::Cuda(0),
        Some(DeviceKind::Ascend) => Device::Ascend(0),
    };
    let inputs = match convert(args, Some(dtype), device) {
        Ok(i) => i,
        Err(e @ Error::DeviceUnavailable { .. }) => return Outcome::Skipped(e.to_string()),
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let actual = match run_kernel(op, kernel, &inputs) {
        Ok(a) => a,
        Err(e) => return Outcome::Failed(format!("the kernel failed: {e}")),
    };
    if !dtype.is_floating_point() {
        // Integer results have no float64 reference; compare with the dispatcher's CPU result.
        return match convert(args, None, Device::Cpu).and_then(|a| call_bound(op, &a)) {
            Ok(r) => compare_exact(
                &result_tensors(&r),
                &actual,
                "the CPU dispatch",
                "the kernel",
            ),
            Err(e) => Outcome::Failed(e.to_string()),
        };
    }
    let reference = match convert(args, Some(DType::F64), Device::Cpu)
        .and_then(|a| call_bound(op, &a))
    {
        Ok(r) => result_tensors(&r),
        Err(Error::NoKernel { .. }) => {
            return Outcome::Skipped("no float64 CPU kernel to serve as the reference; register one (or a dtype-generic kernel)".into());
        }
        Err(e) => return Outcome::Failed(format!("the float64 reference failed: {e}")),
    };
    compare(
        &reference,
        &actual,
        &format!(
            "kernel ({}, {dtype}) against the float64 reference",
            kernel.backend.map_or("composite".into(), |b| b.to_string())
        ),
        tolerance,
    )
}
