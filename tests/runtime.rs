//! The runtime seen through the facade: typed and boxed calls, binding, dispatch order, out
//! variants, every error path with its message, panics, and calls from many threads.

use std::sync::Once;

use opkit::ndarray::{ArrayViewD, ArrayViewMutD, Zip};
use opkit::{
    DType, Device, DeviceBackend, DeviceKind, DevicePtr, Error, Meta, Registry, Result, Returns,
    Tensor, Value, custom_op, kernel,
};

#[custom_op("rt::scale(Tensor x, float alpha=2.0) -> Tensor", shape = same_as_x)]
fn scale(x: &Tensor, alpha: f64) -> Result<Tensor> {
    let v: Vec<f64> = x.to_vec_f64()?.iter().map(|v| v * alpha).collect();
    Tensor::from_vec(v, x.shape())?.to_dtype(x.dtype())
}

fn same_as_x(x: &Meta, _alpha: f64) -> Result<Meta> {
    Ok(x.clone())
}

#[custom_op("rt::add(Tensor a, Tensor b) -> Tensor", dtypes(f32))]
fn add(a: ArrayViewD<f32>, b: ArrayViewD<f32>, mut out: ArrayViewMutD<f32>) {
    let shape = out.raw_dim();
    let (Some(a), Some(b)) = (a.broadcast(shape.clone()), b.broadcast(shape)) else {
        return;
    };
    Zip::from(&mut out)
        .and(&a)
        .and(&b)
        .for_each(|o, &x, &y| *o = x + y);
}

#[custom_op("rt::boom(Tensor x) -> Tensor")]
fn boom(x: &Tensor) -> Result<Tensor> {
    if x.numel() > 0 {
        panic!("kernel exploded on {} elements", x.numel());
    }
    Ok(x.clone())
}

#[custom_op("rt::pick.int(Tensor x, int i) -> Tensor", shape = pick_int_shape)]
fn pick_int(x: &Tensor, i: i64) -> Result<Tensor> {
    Tensor::full(&[1], i as f64, x.dtype(), x.device())
}

fn pick_int_shape(x: &Meta, _i: i64) -> Result<Meta> {
    Ok(Meta::new(&[1], x.dtype, x.device))
}

#[custom_op("rt::pick.str(Tensor x, str s) -> Tensor", shape = pick_str_shape)]
fn pick_str(x: &Tensor, s: &str) -> Result<Tensor> {
    Tensor::full(&[1], s.len() as f64 * 100.0, x.dtype(), x.device())
}

fn pick_str_shape(x: &Meta, _s: &str) -> Result<Meta> {
    Ok(Meta::new(&[1], x.dtype, x.device))
}

/// `route` has an exact float32 kernel, a dtype-generic CPU kernel and a composite kernel; each
/// fills its result with its own marker, so a test sees which one ran.
#[custom_op("rt::route(Tensor x) -> Tensor", dtypes(f32))]
fn route(x: &Tensor) -> Result<Tensor> {
    marked(x, 1.0)
}

#[kernel(route)]
fn route_generic(x: &Tensor) -> Result<Tensor> {
    marked(x, 2.0)
}

#[kernel(route, composite)]
fn route_composite(x: &Tensor) -> Result<Tensor> {
    marked(x, 3.0)
}

fn marked(x: &Tensor, marker: f64) -> Result<Tensor> {
    Tensor::full(x.shape(), marker, x.dtype(), x.device())
}

/// A stand-in accelerator: "npu" memory that is really host memory, so dispatch to another
/// device kind can be tested without one.
struct HostBackedNpu;

impl DeviceBackend for HostBackedNpu {
    fn name(&self) -> &str {
        "host-backed test npu"
    }
    fn kind(&self) -> DeviceKind {
        DeviceKind::Ascend
    }
    fn allocate(&self, _device: Device, nbytes: usize, _zeroed: bool) -> Result<DevicePtr> {
        let buffer: Box<[u8]> = vec![0u8; nbytes.max(1)].into_boxed_slice();
        Ok(DevicePtr(Box::into_raw(buffer) as *mut u8 as u64))
    }
    fn deallocate(&self, _device: Device, ptr: DevicePtr, nbytes: usize) {
        // SAFETY: `ptr` came from `allocate` with the same `nbytes` (the trait's contract).
        drop(unsafe {
            Box::from_raw(std::ptr::slice_from_raw_parts_mut(
                ptr.0 as *mut u8,
                nbytes.max(1),
            ))
        });
    }
    fn copy_host_to_device(&self, src: &[u8], _device: Device, dst: DevicePtr) -> Result<()> {
        // SAFETY: `dst` points into an allocation of at least `src.len()` bytes (trait contract).
        unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst.0 as *mut u8, src.len()) };
        Ok(())
    }
    fn copy_device_to_host(&self, _device: Device, src: DevicePtr, dst: &mut [u8]) -> Result<()> {
        // SAFETY: as above, for `dst.len()` bytes at `src`.
        unsafe { std::ptr::copy_nonoverlapping(src.0 as *const u8, dst.as_mut_ptr(), dst.len()) };
        Ok(())
    }
    fn copy_device_to_device(
        &self,
        _s: Device,
        src: DevicePtr,
        _d: Device,
        dst: DevicePtr,
        nbytes: usize,
    ) -> Result<()> {
        // SAFETY: both ranges lie in live allocations (trait contract); `copy` allows overlap.
        unsafe { std::ptr::copy(src.0 as *const u8, dst.0 as *mut u8, nbytes) };
        Ok(())
    }
    fn synchronize(&self, _device: Device) -> Result<()> {
        Ok(())
    }
}

fn npu() -> Device {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        opkit::register_backend(Box::new(HostBackedNpu)).expect("first registration")
    });
    Device::Ascend(0)
}

fn f32s(values: &[f32], shape: &[usize]) -> Tensor {
    Tensor::from_vec(values.to_vec(), shape).unwrap()
}

fn first(values: Returns) -> Tensor {
    values
        .into_iter()
        .next()
        .and_then(Value::into_tensor)
        .expect("a tensor result")
}

#[test]
fn typed_call_functional_and_out() -> Result<()> {
    let x = f32s(&[1.0, 2.0], &[2]);
    assert_eq!(scale::call(&x, 3.0)?.to_vec::<f32>()?, vec![3.0, 6.0]);
    let mut out = Tensor::empty(&[2], DType::F32, Device::Cpu)?;
    scale::out(&x, 0.5, &mut out)?;
    assert_eq!(out.to_vec::<f32>()?, vec![0.5, 1.0]);
    Ok(())
}

#[test]
fn pointwise_default_shape_broadcasts() -> Result<()> {
    let a = f32s(&[1.0, 2.0], &[2, 1]);
    let b = f32s(&[10.0, 20.0, 30.0], &[3]);
    let y = add::call(&a, &b)?;
    assert_eq!(y.shape(), &[2, 3]);
    assert_eq!(y.to_vec::<f32>()?, vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    let err = add::call(&a, &f32s(&[1.0, 2.0, 3.0], &[3, 1])).unwrap_err();
    assert!(
        err.to_string()
            .contains("cannot broadcast shapes [2, 1] and [3, 1]"),
        "{err}"
    );
    Ok(())
}

#[test]
fn out_variant_checks_resizes_and_refuses() -> Result<()> {
    let x = f32s(&[1.0, 2.0, 3.0], &[3]);
    // Empty output: resized.
    let mut empty = Tensor::empty(&[0], DType::F32, Device::Cpu)?;
    scale::out(&x, 1.0, &mut empty)?;
    assert_eq!(empty.shape(), &[3]);
    // Wrong shape: refused, naming the output and both shapes.
    let mut wrong = Tensor::empty(&[4], DType::F32, Device::Cpu)?;
    let err = scale::out(&x, 1.0, &mut wrong).unwrap_err();
    assert!(matches!(err, Error::OutputMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "output `out` of `rt::scale` must be [3] float32 on cpu (or empty, to be resized), but it is [4] float32 on cpu"
    );
    // Wrong dtype: refused.
    let mut wrong_dtype = Tensor::empty(&[3], DType::F64, Device::Cpu)?;
    assert!(matches!(
        scale::out(&x, 1.0, &mut wrong_dtype),
        Err(Error::OutputMismatch { .. })
    ));
    // An output that is the input: refused before the kernel runs.
    let mut alias = x.clone();
    let err = scale::out(&x, 1.0, &mut alias).unwrap_err();
    assert_eq!(
        err.to_string(),
        "output `out` of `rt::scale` overlaps input `x` in memory, which its schema does not allow; pass a separate output tensor"
    );
    // A view of the input's storage: refused too.
    let big = f32s(&[0.0; 6], &[6]);
    let mut view = big.narrow(0, 2, 3)?;
    assert!(matches!(
        scale::out(&big.narrow(0, 0, 3)?, 1.0, &mut view),
        Err(Error::OutputOverlap { .. })
    ));
    Ok(())
}

#[test]
fn boxed_binding_defaults_keywords_and_coercions() -> Result<()> {
    let registry = Registry::global()?;
    let x = f32s(&[1.0, 2.0], &[2]);
    let default = first(registry.call("rt::scale", &[Value::from(&x)])?);
    assert_eq!(default.to_vec::<f32>()?, vec![2.0, 4.0]);
    let keyword = first(registry.call_kw(
        "rt::scale",
        &[Value::from(&x)],
        &[("alpha", Value::from(10.0))],
    )?);
    assert_eq!(keyword.to_vec::<f32>()?, vec![10.0, 20.0]);
    // An int where a float is expected converts, as in PyTorch.
    let int_alpha = first(registry.call("rt::scale", &[Value::from(&x), Value::from(3i64)])?);
    assert_eq!(int_alpha.to_vec::<f32>()?, vec![3.0, 6.0]);
    // Out variant by name, outputs as keyword arguments.
    let out = registry.find("rt::scale.out")?;
    let r = first(out.call_kw(
        &[Value::from(&x)],
        &[(
            "out",
            Value::from(Tensor::empty(&[0], DType::F32, Device::Cpu)?),
        )],
    )?);
    assert_eq!(r.to_vec::<f32>()?, vec![2.0, 4.0]);
    Ok(())
}

#[test]
fn boxed_errors_name_the_argument() -> Result<()> {
    let registry = Registry::global()?;
    let x = Value::from(f32s(&[1.0], &[1]));
    let msg = |r: Result<Returns>| r.unwrap_err().to_string();
    assert_eq!(
        msg(registry.call("rt::scale", &[])),
        "`rt::scale` is missing its argument `x` of type `Tensor` (schema: `rt::scale(Tensor x, float alpha=2.0) -> Tensor`)"
    );
    assert_eq!(
        msg(registry.call(
            "rt::scale",
            &[x.clone(), Value::from(1.0), Value::from(2.0)]
        )),
        "`rt::scale` takes at most 2 positional arguments but 3 were given (schema: `rt::scale(Tensor x, float alpha=2.0) -> Tensor`)"
    );
    assert_eq!(
        msg(registry.call_kw(
            "rt::scale",
            std::slice::from_ref(&x),
            &[("alpah", Value::from(1.0))]
        )),
        "`rt::scale` has no argument named `alpah`; did you mean `alpha`? (schema: `rt::scale(Tensor x, float alpha=2.0) -> Tensor`)"
    );
    assert_eq!(
        msg(registry.call_kw(
            "rt::scale",
            &[x.clone(), Value::from(1.0)],
            &[("alpha", Value::from(1.0))]
        )),
        "`rt::scale` got argument `alpha` twice"
    );
    assert_eq!(
        msg(registry.call("rt::scale", &[x.clone(), Value::from("two")])),
        "argument `alpha` of `rt::scale` must be `float`, but a `str` was given"
    );
    assert_eq!(
        msg(registry.call("rt::scale", &[Value::from(1.0)])),
        "argument `x` of `rt::scale` must be `Tensor`, but a `float` was given"
    );
    Ok(())
}

#[test]
fn lookup_suggests_and_resolves_overloads() -> Result<()> {
    let registry = Registry::global()?;
    let err = registry.find("rt::scael").unwrap_err();
    assert_eq!(
        err.to_string(),
        "no op named `rt::scael` is registered; did you mean `rt::scale`?"
    );
    let err = registry.find("rt::pick").unwrap_err();
    assert_eq!(
        err.to_string(),
        "`rt::pick` is ambiguous: it has the overloads `rt::pick.int`, `rt::pick.str`; name one (`rt::pick.<overload>`) or pass arguments that fit exactly one"
    );
    let x = Value::from(f32s(&[0.0], &[1]));
    let by_int = first(registry.call("rt::pick", &[x.clone(), Value::from(7i64)])?);
    assert_eq!(by_int.to_vec::<f32>()?, vec![7.0]);
    let by_str = first(registry.call("rt::pick", &[x.clone(), Value::from("ab")])?);
    assert_eq!(by_str.to_vec::<f32>()?, vec![200.0]);
    let err = registry
        .call("rt::pick", &[x, Value::from(true)])
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingOverload { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("must be `int`, but a `bool` was given"),
        "{err}"
    );
    Ok(())
}

#[test]
fn dispatch_prefers_exact_then_generic_then_composite() -> Result<()> {
    let marker = |t: Tensor| t.to_vec_f64().unwrap()[0];
    assert_eq!(marker(route::call(&f32s(&[0.0], &[1]))?), 1.0);
    assert_eq!(
        marker(route::call(&Tensor::from_vec(vec![0.0f64], &[1])?)?),
        2.0
    );
    let on_npu = f32s(&[0.0], &[1]).to(npu())?;
    let r = route::call(&on_npu)?;
    assert_eq!(r.device(), npu());
    assert_eq!(marker(r.to(Device::Cpu)?), 3.0);
    Ok(())
}

#[test]
fn missing_kernel_lists_what_is_registered() -> Result<()> {
    let err = add::call(
        &Tensor::from_vec(vec![1.0f64], &[1])?,
        &Tensor::from_vec(vec![1.0f64], &[1])?,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "op `rt::add` has no kernel for cpu with dtype float64; registered: cpu (float32). Register one with `#[kernel(add, device = ..., dtypes(...))]` or convert the inputs"
    );
    Ok(())
}

#[test]
fn tensors_on_two_devices_are_refused() -> Result<()> {
    let a = f32s(&[1.0], &[1]);
    let b = f32s(&[1.0], &[1]).to(npu())?;
    let err = add::call(&a, &b).unwrap_err();
    let expected = "all tensor arguments of `rt::add` must be on one device, but `a` is on cpu and `b` is on npu:0; move them with `.to(device)`";
    assert_eq!(err.to_string(), expected);
    // The boxed call finds the same two arguments.
    let registry = Registry::global()?;
    let err = registry
        .call("rt::add", &[Value::from(&a), Value::from(&b)])
        .unwrap_err();
    assert_eq!(err.to_string(), expected);
    // An output on another device than the inputs is refused the same way.
    let out = f32s(&[0.0], &[1]).to(npu())?;
    let err = registry
        .call_kw(
            "rt::add.out",
            &[Value::from(&a), Value::from(&a)],
            &[("out", Value::from(out))],
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "all tensor arguments of `rt::add` must be on one device, but `a` is on cpu and `out` is on npu:0; move them with `.to(device)`"
    );
    Ok(())
}

#[test]
fn a_panicking_kernel_is_an_error_and_the_registry_survives() -> Result<()> {
    let err = boom::call(&f32s(&[1.0, 2.0], &[2])).unwrap_err();
    let Error::KernelPanicked {
        op,
        kernel,
        message,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(
        (op.as_str(), message.as_str()),
        ("rt::boom", "kernel exploded on 2 elements")
    );
    assert!(kernel.ends_with("::boom"), "{kernel}");
    // The same op and others still work afterwards.
    assert_eq!(boom::call(&f32s(&[], &[0]))?.numel(), 0);
    assert_eq!(
        scale::call(&f32s(&[1.0], &[1]), 2.0)?.to_vec::<f32>()?,
        vec![2.0]
    );
    Ok(())
}

#[test]
fn calls_from_many_threads_agree() {
    let handles: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                let registry = Registry::global().unwrap();
                for i in 0..500 {
                    let v = (t * 1000 + i) as f32;
                    let x = f32s(&[v], &[1]);
                    assert_eq!(
                        scale::call(&x, 2.0).unwrap().to_vec::<f32>().unwrap(),
                        vec![2.0 * v]
                    );
                    let r = first(
                        registry
                            .call("rt::add", &[Value::from(&x), Value::from(&x)])
                            .unwrap(),
                    );
                    assert_eq!(r.to_vec::<f32>().unwrap(), vec![2.0 * v]);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread panicked");
    }
}

#[test]
fn introspection_lists_ops_kernels_and_schemas() -> Result<()> {
    let registry = Registry::global()?;
    let route = registry.find("rt::route")?;
    assert_eq!(route.schema().to_string(), "rt::route(Tensor x) -> Tensor");
    assert_eq!(
        route.out_schema().map(ToString::to_string).as_deref(),
        Some("rt::route.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)")
    );
    let kernels: Vec<String> = route
        .kernels()
        .iter()
        .map(|k| format!("{:?} {:?}", k.backend, k.dtypes))
        .collect();
    // Composite first, then by device kind and source position.
    assert_eq!(
        kernels,
        ["None Any", "Some(Cpu) Only([F32])", "Some(Cpu) Any"]
    );
    assert!(route.location().file.ends_with("runtime.rs"));
    assert!(
        registry.ops().any(|op| op.name() == "my_ops::mul3"),
        "the facade links the built-in ops"
    );
    registry.expect_ops(&["rt::scale", "rt::scale.out", "my_ops::mul4"])?;
    let err = registry
        .expect_ops(&["rt::scale", "rt::nothing"])
        .unwrap_err();
    assert!(err.to_string().starts_with("expected ops are not registered: `rt::nothing`. Rust links a crate only when something names it"), "{err}");
    Ok(())
}

#[test]
fn opcheck_passes_on_good_ops_and_catches_a_lying_shape_function() -> Result<()> {
    let registry = Registry::global()?;
    let samples = [
        vec![Value::from(f32s(&[1.0, -2.0, 3.0], &[3]))],
        vec![Value::from(Tensor::from_vec(vec![0.5f64; 4], &[2, 2])?)],
    ];
    let report = opkit::opcheck(&registry.find("rt::scale")?, &samples);
    assert!(report.passed(), "{report}");
    let add_samples = [vec![
        Value::from(f32s(&[1.0, 2.0], &[2, 1])),
        Value::from(f32s(&[3.0, 4.0, 5.0], &[3])),
    ]];
    let report = opkit::opcheck(&registry.find("rt::add")?, &add_samples);
    assert!(report.passed(), "{report}");
    let report = opkit::opcheck(&registry.find("rt::liar")?, &samples[..1]);
    let failed: Vec<&str> = report.failures().map(|c| c.name.as_str()).collect();
    assert!(failed.contains(&"shape_inference"), "{report}");
    Ok(())
}

#[custom_op("rt::liar(Tensor x) -> Tensor", shape = wrong_shape)]
fn liar(x: &Tensor) -> Result<Tensor> {
    x.deep_clone()
}

fn wrong_shape(x: &Meta) -> Result<Meta> {
    Ok(Meta::new(
        &[x.shape.iter().product::<usize>() + 1],
        x.dtype,
        x.device,
    ))
}

#[custom_op(
    "rt::shift(Tensor x, *, Tensor? bias=None, float by=1.0) -> Tensor",
    shape = shift_shape
)]
fn shift(x: &Tensor, bias: Option<&Tensor>, by: f64) -> Result<Tensor> {
    let mut v = x.to_vec_f64()?;
    if let Some(bias) = bias {
        // A keyword-only tensor must travel with the sample: converted, moved and compared like
        // a positional one (a float64 reference with a float32 bias would be a bug in opcheck).
        if bias.dtype() != x.dtype() || bias.shape() != x.shape() {
            return Err(Error::InvalidArgument(format!(
                "bias must match x: {:?} {} against {:?} {}",
                bias.shape(),
                bias.dtype(),
                x.shape(),
                x.dtype()
            )));
        }
        for (o, b) in v.iter_mut().zip(bias.to_vec_f64()?) {
            *o += b;
        }
    }
    let v: Vec<f64> = v.iter().map(|o| o * by).collect();
    Tensor::from_vec(v, x.shape())?.to_dtype(x.dtype())
}

fn shift_shape(x: &Meta, _bias: Option<&Meta>, _by: f64) -> Result<Meta> {
    Ok(x.clone())
}

#[test]
fn opcheck_samples_pass_keyword_only_arguments() -> Result<()> {
    use opkit::{Outcome, Sample, opcheck_samples};
    let op = Registry::global()?.find("rt::shift")?;
    let x = f32s(&[1.0, -2.0, 3.0], &[3]);
    let bias = f32s(&[0.5, 0.25, -1.0], &[3]);
    let samples = [
        Sample::new(vec![Value::from(&x)]),
        Sample::new(vec![Value::from(&x)]).kwarg("by", 0.5),
        Sample::new(vec![Value::from(&x)])
            .kwarg("bias", &bias)
            .kwarg("by", -3.0),
    ];
    let report = opcheck_samples(&op, &samples);
    assert!(report.passed(), "{report}");
    // The keyword arguments reached the kernel: every sample ran every check.
    for sample in 0..samples.len() {
        let ran = report
            .checks
            .iter()
            .filter(|c| c.sample == sample && c.outcome == Outcome::Passed)
            .count();
        assert!(ran >= 4, "sample {sample}: {report}");
    }
    // A keyword the schema does not have is the sample's failure, named.
    let bad = Sample::new(vec![Value::from(&x)]).kwarg("bais", &bias);
    let report = opcheck_samples(&op, &[bad]);
    let failure = report.failures().next().expect("a failure");
    assert_eq!(failure.name, "call");
    let Outcome::Failed(message) = &failure.outcome else {
        unreachable!()
    };
    assert!(
        message.contains("bais") && message.contains("bias"),
        "{message}"
    );
    Ok(())
}
