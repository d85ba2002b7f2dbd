//! The built-in operators, namespace `ops`, declared with `#[custom_op]` as a user declares theirs.
//! Schemas are PyTorch's where PyTorch has the op; each fn here is the op's out-style CPU kernel, and
//! beside it the generated module (`add_tensor::call`, `add_tensor::out`, ...).
//!
//! | op | schema | dtypes |
//! |---|---|---|
//! | [`add_tensor`](fn@add_tensor) | `ops::add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor` | floats, ints |
//! | [`add_scalar`](fn@add_scalar) | `ops::add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor` | floats, ints |
//! | [`sub_tensor`](fn@sub_tensor) | `ops::sub.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor` | floats, ints |
//! | [`sub_scalar`](fn@sub_scalar) | `ops::sub.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor` | floats, ints |
//! | [`mul_tensor`](fn@mul_tensor) | `ops::mul.Tensor(Tensor self, Tensor other) -> Tensor` | floats, ints |
//! | [`mul_scalar`](fn@mul_scalar) | `ops::mul.Scalar(Tensor self, Scalar other) -> Tensor` | floats, ints |
//! | [`div_tensor`](fn@div_tensor) | `ops::div.Tensor(Tensor self, Tensor other) -> Tensor` | floats |
//! | [`div_scalar`](fn@div_scalar) | `ops::div.Scalar(Tensor self, Scalar other) -> Tensor` | floats; ints → float32 |
//! | [`neg`](fn@neg), [`abs`](fn@abs), [`relu`](fn@relu) | `ops::neg(Tensor self) -> Tensor` … | floats, ints |
//! | [`silu`](fn@silu), [`sigmoid`](fn@sigmoid), [`tanh`](fn@tanh), [`exp`](fn@exp), [`log`](fn@log) | `ops::exp(Tensor self) -> Tensor` … | floats |
//! | [`gelu`](fn@gelu) | `ops::gelu(Tensor self, *, str approximate="none") -> Tensor` | floats |
//! | [`sum`](fn@sum) | `ops::sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor` | all |
//! | [`mean`](fn@mean) | `ops::mean.dim(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor` | floats |
//! | [`softmax`](fn@softmax) | `ops::softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor` | floats |
//! | [`log_softmax`](fn@log_softmax) | `ops::log_softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor` | floats |
//! | [`rms_norm`](fn@rms_norm) | `ops::rms_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, float? eps=None) -> Tensor` | floats |
//! | [`layer_norm`](fn@layer_norm) | `ops::layer_norm(Tensor input, SymInt[] normalized_shape, Tensor? weight=None, Tensor? bias=None, float eps=1e-05, bool cudnn_enable=True) -> Tensor` | floats |
//! | [`matmul`](fn@matmul) | `ops::matmul(Tensor self, Tensor other) -> Tensor` | floats |
//! | [`linear`](fn@linear) | `ops::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor` | floats |
//!
//! "floats" is f32, f64, f16, bf16 (halves compute in f32 lanes and round once); "ints" is u8, i8,
//! i16, i32, i64 (wrap-around on overflow, as PyTorch). Each op's rustdoc (or its file's) states its
//! error bound per dtype.
//!
//! **dtypes of binary ops.** Tensor–tensor ops apply PyTorch's promotion ([`DType::result_type`]:
//! `int32 + float16 = float16`, `float16 + bfloat16 = float32`, and a 0-d tensor only raises the
//! category: `float16[3] + float32[] = float16`); tensor–scalar ops keep the tensor's dtype unless
//! the scalar is of a higher category (an int tensor times a float scalar is float32). Mixed inputs
//! are converted (one copy) before the kernel runs.
//!
//! **Strides.** Every op takes inputs of any strides — broadcast (zero), negative, transposed,
//! sliced — and out arguments that are views. Contiguous operands take the fast path (one flat SIMD
//! loop); elementwise ops run strided operands through the SIMD layer's strided kernels (same
//! vector code, so the results are bit-identical); row ops copy a strided input to contiguous
//! first.
//!
//! ```
//! use op_kernels::ops;
//! use op_runtime::{DType, Device, Tensor};
//! let x = Tensor::from_vec(vec![-1.0f32, 0.5, 2.0], &[3]).unwrap();
//! let y = ops::relu::call(&x).unwrap();
//! assert_eq!(y.to_vec::<f32>().unwrap(), vec![0.0, 0.5, 2.0]);
//! // The out variant writes into a caller's buffer (reused across calls: no allocation).
//! let mut out = Tensor::empty(&[3], DType::F32, Device::Cpu).unwrap();
//! ops::exp::out(&x, &mut out).unwrap();
//! ```
//!
//! [`DType::result_type`]: op_runtime::DType::result_type

pub(crate) mod access;
pub mod arithmetic;
pub(crate) mod dims;
pub(crate) mod integer;
pub mod matrix;
pub mod norm;
pub mod reduce;
pub mod softmax_ops;
pub mod unary;

pub use arithmetic::*;
pub use matrix::*;
pub use norm::*;
pub use reduce::*;
pub use softmax_ops::*;
pub use unary::*;
