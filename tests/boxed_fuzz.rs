//! The boxed call API takes untrusted input (a model file, a Python caller): whatever the values,
//! every registered op must answer with a result or an `Error`, never a panic. A kernel panic
//! is caught and reported as `Error::KernelPanicked`, which this test also counts as a failure:
//! a kernel must refuse bad input with an error of its own.

use opkit::{DType, Device, Error, Registry, Scalar, Tensor, Value};
use proptest::prelude::*;

fn dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}

fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(0usize..4, 0..4)
}

/// A small tensor of any dtype and shape, sometimes transposed or broadcast (strided views).
fn tensor() -> impl Strategy<Value = Tensor> {
    (dtype(), shape(), -4.0f64..4.0, 0u8..3).prop_map(|(dtype, shape, start, layout)| {
        let n: usize = shape.iter().product();
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * 0.75).collect();
        let t = Tensor::from_vec(values, &shape)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        match layout {
            1 if t.dim() >= 2 => t.transpose(0, 1).unwrap(),
            2 if t.dim() >= 1 && t.shape()[0] == 1 => {
                let mut wide = t.shape().to_vec();
                wide[0] = 3;
                t.broadcast_to(&wide).unwrap()
            }
            _ => t,
        }
    })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => tensor().prop_map(Value::Tensor),
        1 => Just(Value::None),
        1 => (-3i64..5).prop_map(Value::Int),
        1 => prop_oneof![Just(f64::NAN), Just(f64::INFINITY), -2.0f64..2.0].prop_map(Value::Float),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => prop::sample::select(vec!["none", "tanh", "", "mean"]).prop_map(|s| Value::Str(s.into())),
        1 => (-2i64..3).prop_map(|i| Value::Scalar(Scalar::Int(i))),
        1 => dtype().prop_map(Value::ScalarType),
        1 => prop::collection::vec(-3i64..4, 0..3).prop_map(Value::IntList),
        1 => prop::collection::vec(tensor(), 0..3).prop_map(Value::TensorList),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_boxed_call_panics(args in prop::collection::vec(value(), 0..5)) {
        let registry = Registry::global().unwrap();
        for op in registry.ops() {
            for handle in std::iter::once(op).chain(op.out_variant()) {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handle.call(&args)));
                prop_assert!(result.is_ok(), "`{}` panicked on {:?}", handle.name(), args);
                if let Ok(Err(e @ Error::KernelPanicked { .. })) = &result {
                    prop_assert!(false, "`{}` on {:?}: {}", handle.name(), args, e);
                }
            }
        }
        // Keep the device in the picture: nothing here is on another device.
        prop_assert!(args.iter().filter_map(Value::as_tensor).all(|t| t.device() == Device::Cpu));
    }
}

/// A small deterministic generator (xorshift64*), so a failure names a reproducible seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn tensor(&mut self) -> Tensor {
        // Mostly floats, which most ops take, so most calls reach a kernel; now and then any dtype.
        const FLOATS: [DType; 4] = [DType::F32, DType::F64, DType::F16, DType::BF16];
        let dtype = if self.below(4) == 0 {
            DType::ALL[self.below(DType::ALL.len() as u64) as usize]
        } else {
            FLOATS[self.below(4) as usize]
        };
        let dims = self.below(4) as usize;
        let shape: Vec<usize> = (0..dims).map(|_| self.below(4) as usize).collect();
        let n: usize = shape.iter().product();
        let special = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            1e30,
            -1e-30,
        ];
        let values: Vec<f64> = (0..n)
            .map(|i| {
                if self.below(8) == 0 {
                    special[i % special.len()]
                } else {
                    self.below(200) as f64 / 16.0 - 6.0
                }
            })
            .collect();
        let t = Tensor::from_vec(values, &shape)
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        if t.dim() >= 2 && self.below(3) == 0 {
            t.transpose(0, 1).unwrap()
        } else {
            t
        }
    }
    /// A value of the schema type `ty`, or now and then one of another type.
    fn value(&mut self, ty: &opkit::schema::Type) -> Value {
        use opkit::schema::{BaseType as B, Type};
        if self.below(16) == 0 {
            return Value::Int(-1);
        }
        match ty {
            Type::Optional(inner) => {
                if self.below(3) == 0 {
                    Value::None
                } else {
                    self.value(inner)
                }
            }
            Type::List { elem, .. } => match &**elem {
                Type::Base(B::Tensor) => {
                    Value::TensorList((0..self.below(3)).map(|_| self.tensor()).collect())
                }
                Type::Base(B::Float) => {
                    Value::FloatList((0..self.below(3)).map(|i| i as f64 - 0.5).collect())
                }
                Type::Base(B::Bool) => {
                    Value::BoolList((0..self.below(3)).map(|i| i % 2 == 0).collect())
                }
                _ => Value::IntList(
                    (0..self.below(4))
                        .map(|_| self.below(7) as i64 - 3)
                        .collect(),
                ),
            },
            Type::Base(B::Tensor) => Value::Tensor(self.tensor()),
            Type::Base(B::Int | B::SymInt) => Value::Int(self.below(9) as i64 - 4),
            Type::Base(B::Float) => {
                Value::Float([f64::NAN, 0.0, 1e-5, 2.5, -1.0][self.below(5) as usize])
            }
            Type::Base(B::Bool) => Value::Bool(self.below(2) == 0),
            Type::Base(B::Str) => {
                Value::Str(["none", "tanh", "", "x"][self.below(4) as usize].into())
            }
            Type::Base(B::Scalar) => Value::Scalar(
                [Scalar::Int(2), Scalar::Float(-0.5), Scalar::Bool(true)][self.below(3) as usize],
            ),
            Type::Base(B::ScalarType) => Value::ScalarType(DType::ALL[self.below(10) as usize]),
            _ => Value::None,
        }
    }
}

/// Every op, with arguments of its schema's types but random dtypes, shapes, layouts and special
/// values: each call returns a result or a clear error, and no kernel panics.
#[test]
fn kernels_refuse_odd_inputs_with_errors() {
    let registry = Registry::global().unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut calls, mut ran) = (0, 0);
    for round in 0..150 {
        for op in registry.ops() {
            for handle in std::iter::once(op).chain(op.out_variant()) {
                // Positional arguments by position, keyword-only ones (outputs included) by name.
                let mut args = Vec::new();
                let mut kwargs = Vec::new();
                for a in handle.schema().arguments() {
                    let v = match a.is_out() {
                        true if rng.below(2) == 0 => {
                            Value::Tensor(Tensor::empty(&[0], DType::F32, Device::Cpu).unwrap())
                        }
                        _ => rng.value(&a.ty),
                    };
                    if a.kwarg_only {
                        kwargs.push((a.name.as_str(), v))
                    } else {
                        args.push(v)
                    }
                }
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    handle.call_kw(&args, &kwargs)
                }));
                calls += 1;
                match result {
                    Err(_) => panic!(
                        "round {round}: `{}` panicked on {args:?} {kwargs:?}",
                        handle.name()
                    ),
                    Ok(Err(e @ Error::KernelPanicked { .. })) => panic!(
                        "round {round}: `{}` on {args:?} {kwargs:?}: {e}",
                        handle.name()
                    ),
                    Ok(Ok(_)) => ran += 1,
                    Ok(Err(e)) => {
                        if std::env::var_os("OPKIT_FUZZ_VERBOSE").is_some() {
                            eprintln!("{}: {e}", handle.name());
                        }
                    }
                }
            }
        }
    }
    // Most calls must get past binding to a kernel, or the test checks nothing.
    assert!(
        calls > 1000 && ran * 4 > calls,
        "{ran} of {calls} calls ran a kernel"
    );
    eprintln!("{ran} of {calls} calls ran a kernel");
}
