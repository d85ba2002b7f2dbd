//! `ops::matmul` and `ops::linear` through the `gemm` crate (runtime ISA dispatch, blocked and
//! packed, any strides).
//!
//! matmul follows PyTorch's rules: 1-D × 1-D is a dot product (0-D result); a 1-D first operand is a
//! row vector and a 1-D second operand a column vector, their added dim removed from the result;
//! leading (batch) dims broadcast. f32 and f64 run gemm in their type; f16 runs gemm's f16 kernels
//! (f32 accumulation) except for vector shapes (`m` or `n` of 1, `k` ≤ 2), where those round to f16
//! after every step of the sum (a 1×300 by 300×16 product came out 260 ULP off): such products,
//! and bf16, which gemm lacks, are converted to f32 and the result rounded once.
//!
//! Error bound (each output element, `k` products): `|computed - exact| ≤ k · ε · Σ|aᵢ·bᵢ|` with ε of
//! the accumulation type (f32 for f32, f16, bf16; f64 for f64), plus the final rounding to the
//! element type. gemm's blocking fixes the summation order for a given shape and thread count.
//!
//! Integers (uint8, int8, int16, int32, int64, as PyTorch's CPU matmul) are exact modulo 2^bits:
//! they wrap around on overflow as PyTorch's do, through a plain loop in i64 (`integer_product`;
//! wrapping in i64 and truncating gives the same bits as wrapping in the narrower type).

use op_macros::custom_op;
use op_runtime::{DType, Error, Meta, Result, Tensor};

use super::access::{Read, as_dtype, check_cpu};
use super::dims::size_product;
use crate::simd::{StridedSlice, num_threads};

/// m·n·k from which gemm may split work across threads (below it the split costs more than it
/// saves).
const PAR_MIN_FLOPS: usize = 1 << 18;

/// An element type gemm multiplies natively.
trait GemmElement: op_runtime::Element + Copy + 'static {
    const ZERO: Self;
    const ONE: Self;
}
impl GemmElement for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
}
impl GemmElement for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
}
impl GemmElement for half::f16 {
    const ZERO: half::f16 = half::f16::ZERO;
    const ONE: half::f16 = half::f16::ONE;
}

/// The operands of a batch of products `dst[b] = lhs[b] × rhs[b]`, each `[batch..., rows, cols]`.
struct Batched<'a, T> {
    lhs: StridedSlice<'a, T>,
    rhs: StridedSlice<'a, T>,
    /// Batch dims (shared by both operands after broadcasting).
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
}

impl<T> Batched<'_, T> {
    /// The offsets of batch `b` (row-major over `batch`) in each operand (zero strides for
    /// broadcast dims).
    fn batch_offsets(&self, b: usize) -> (isize, isize) {
        let (mut lo, mut ro, mut rem) = (self.lhs.offset as isize, self.rhs.offset as isize, b);
        for d in (0..self.batch.len()).rev() {
            let i = (rem % self.batch[d]) as isize;
            rem /= self.batch[d];
            lo += i * self.lhs.strides[d];
            ro += i * self.rhs.strides[d];
        }
        (lo, ro)
    }

    /// The error for a destination that does not hold the product's elements.
    fn check_dst(&self, len: usize) -> Result<()> {
        let want = size_product(&self.batch) * self.m * self.n;
        if len == want {
            return Ok(());
        }
        Err(Error::ShapeMismatch {
            context: format!("matmul: the output holds {len} elements, the product has {want}"),
        })
    }
}

/// `dst[b] += lhs[b] × rhs[b]` over i64 with wrap-around (the integer dtypes, converted to i64),
/// into the contiguous `[batch..., m, n]` buffer `dst`. A plain loop, row of the output by row,
/// so that the innermost loop runs along a row of `rhs` (contiguous in the usual layout); integer
/// matmul is rare enough here not to need gemm's blocking.
fn integer_product(p: &Batched<'_, i64>, dst: &mut [i64]) -> Result<()> {
    let (m, k, n) = (p.m, p.k, p.n);
    p.check_dst(dst.len())?;
    if m == 0 || n == 0 || k == 0 {
        return Ok(());
    }
    let nb = p.batch.len();
    let (ls, rs) = (&p.lhs.strides, &p.rhs.strides);
    // Every index below was checked when the strided views were made (each element the view's
    // shape and strides reach lies inside its data), so the indexing cannot fail.
    let at = |data: &[i64], i: isize| data[i as usize];
    for (batch, out) in dst.chunks_exact_mut(m * n).enumerate() {
        let (lo, ro) = p.batch_offsets(batch);
        for (i, row) in out.chunks_exact_mut(n).enumerate() {
            let lhs_row = lo + i as isize * ls[nb];
            for q in 0..k {
                let x = at(p.lhs.data, lhs_row + q as isize * ls[nb + 1]);
                let rhs_row = ro + q as isize * rs[nb];
                for (j, o) in row.iter_mut().enumerate() {
                    let y = at(p.rhs.data, rhs_row + j as isize * rs[nb + 1]);
                    *o = o.wrapping_add(x.wrapping_mul(y));
                }
            }
        }
    }
    Ok(())
}

/// Runs gemm for every batch into the contiguous `[batch..., m, n]` buffer `dst`; with
/// `accumulate`, `dst` already holds an addend (linear's bias).
fn run_gemm<T: GemmElement>(p: &Batched<'_, T>, dst: &mut [T], accumulate: bool) -> Result<()> {
    let (m, k, n) = (p.m, p.k, p.n);
    let count = size_product(&p.batch);
    p.check_dst(dst.len())?;
    if m == 0 || n == 0 || count == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            dst.fill(T::ZERO);
        }
        return Ok(());
    }
    let nb = p.batch.len();
    let (ls, rs) = (&p.lhs.strides, &p.rhs.strides);
    let parallelism = if num_threads() > 1 && m * n * k >= PAR_MIN_FLOPS {
        gemm::Parallelism::Rayon(num_threads())
    } else {
        gemm::Parallelism::None
    };
    for b in 0..count {
        let (lo, ro) = p.batch_offsets(b);
        let out = &mut dst[b * m * n..(b + 1) * m * n];
        // SAFETY: the strided views were checked to keep every element they reach inside their
        // data, and (lo, ro) plus the matrix strides stay within the batch's elements; `out` is an
        // exclusive m×n row-major block. gemm reads lhs/rhs and writes dst only within m×k, k×n,
        // m×n under the given strides.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
                1,
                n as isize,
                accumulate,
                p.lhs.data.as_ptr().offset(lo),
                ls[nb + 1],
                ls[nb],
                p.rhs.data.as_ptr().offset(ro),
                rs[nb + 1],
                rs[nb],
                T::ONE,
                T::ONE,
                false,
                false,
                false,
                parallelism,
            );
        }
    }
    Ok(())
}

/// How matmul sees its operands: `lhs` as `[batch..., m, k]`, `rhs` as `[batch..., k, n]`, and the
/// result's shape.
struct Plan {
    lhs: Vec<usize>,
    rhs: Vec<usize>,
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
    out: Vec<usize>,
}

fn plan(a: &[usize], b: &[usize]) -> Result<Plan> {
    if a.is_empty() || b.is_empty() {
        return Err(Error::ShapeMismatch {
            context: format!(
                "ops::matmul: both arguments need to be at least 1D, but they are {}D and {}D",
                a.len(),
                b.len()
            ),
        });
    }
    let lhs: Vec<usize> = if a.len() == 1 {
        vec![1, a[0]]
    } else {
        a.to_vec()
    };
    let rhs: Vec<usize> = if b.len() == 1 {
        vec![b[0], 1]
    } else {
        b.to_vec()
    };
    let (m, k) = (lhs[lhs.len() - 2], lhs[lhs.len() - 1]);
    let (k2, n) = (rhs[rhs.len() - 2], rhs[rhs.len() - 1]);
    if k != k2 {
        return Err(Error::ShapeMismatch {
            context: format!(
                "ops::matmul: shapes {a:?} and {b:?} cannot be multiplied ({m}x{k} and {k2}x{n})"
            ),
        });
    }
    let batch = op_runtime::broadcast_shapes(&[&lhs[..lhs.len() - 2], &rhs[..rhs.len() - 2]])
        .map_err(|e| match e {
            Error::ShapeMismatch { context } => Error::ShapeMismatch {
                context: format!("ops::matmul: batch dims: {context}"),
            },
            other => other,
        })?;
    let mut out = batch.clone();
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    let with = |tail: [usize; 2]| batch.iter().copied().chain(tail).collect::<Vec<_>>();
    Ok(Plan {
        lhs: with([m, k]),
        rhs: with([k, n]),
        batch: batch.clone(),
        m,
        k,
        n,
        out,
    })
}

fn same_dtype(op: &str, a: &Meta, b: &Meta) -> Result<()> {
    if a.dtype != b.dtype {
        return Err(Error::DTypeMismatch {
            expected: a.dtype,
            found: b.dtype,
        });
    }
    if a.device != b.device {
        return Err(Error::DeviceMismatch {
            expected: a.device,
            found: b.device,
        });
    }
    if a.dtype == DType::Bool {
        return Err(Error::UnsupportedDType {
            dtype: a.dtype,
            context: op.to_string(),
        });
    }
    Ok(())
}

/// `a` viewed as `shape` (a broadcast view: 1-D operands get their unit dim, batch dims stride 0).
fn as_operand(t: &Tensor, shape: &[usize], unit_dim: Option<isize>) -> Result<Tensor> {
    let t = match unit_dim {
        Some(d) => t.unsqueeze(d)?,
        None => t.clone(),
    };
    t.broadcast_to(shape)
}

/// `out = a @ b` (contiguous `[batch..., m, n]` destination), and with `accumulate` `out += a @ b`.
fn product_into<T: op_runtime::Element>(
    p: &Plan,
    a: &Tensor,
    b: &Tensor,
    dst: &mut [T],
    kernel: impl FnOnce(&Batched<'_, T>, &mut [T]) -> Result<()>,
) -> Result<()> {
    let (ra, rb) = (Read::<T>::new(a)?, Read::<T>::new(b)?);
    let batched = Batched {
        lhs: ra.strided(&p.lhs)?,
        rhs: rb.strided(&p.rhs)?,
        batch: p.batch.clone(),
        m: p.m,
        k: p.k,
        n: p.n,
    };
    kernel(&batched, dst)
}

/// `out = a @ b` for operands already viewed as `[batch..., m, k]` and `[batch..., k, n]`; `out` has
/// `p.out`'s shape (same element order as `[batch..., m, n]`). `init`, when given, is added (it
/// broadcasts to the output).
fn multiply(
    op: &str,
    p: &Plan,
    a: &Tensor,
    b: &Tensor,
    init: Option<&Tensor>,
    out: &mut Tensor,
) -> Result<()> {
    let dtype = out.dtype();
    // bf16, and f16 in the shapes where gemm's f16 kernels accumulate in f16, compute in f32 and
    // round once at the end (see the module docs). Integers go through i64.
    let compute = match dtype {
        DType::F16 if p.m <= 1 || p.n <= 1 || p.k <= 2 => DType::F32,
        DType::BF16 => DType::F32,
        DType::U8 | DType::I8 | DType::I16 | DType::I32 => DType::I64,
        other => other,
    };
    let (a, b) = (as_dtype(a, compute)?, as_dtype(b, compute)?);
    let direct = compute == dtype && out.is_contiguous();
    let mut staged = if direct {
        None
    } else {
        Some(Tensor::empty(out.shape(), compute, out.device())?)
    };
    let acc = staged.as_mut().unwrap_or(out);
    if let Some(init) = init {
        acc.copy_from(init)?;
    }
    let add = init.is_some();
    match compute {
        DType::F32 => product_into::<f32>(p, &a, &b, &mut acc.as_mut_slice()?, |p, dst| {
            run_gemm(p, dst, add)
        }),
        DType::F64 => product_into::<f64>(p, &a, &b, &mut acc.as_mut_slice()?, |p, dst| {
            run_gemm(p, dst, add)
        }),
        DType::F16 => product_into::<half::f16>(p, &a, &b, &mut acc.as_mut_slice()?, |p, dst| {
            run_gemm(p, dst, add)
        }),
        DType::I64 => product_into::<i64>(p, &a, &b, &mut acc.as_mut_slice()?, |p, dst| {
            if !add {
                dst.fill(0);
            }
            integer_product(p, dst)
        }),
        other => Err(Error::UnsupportedDType {
            dtype: other,
            context: op.to_string(),
        }),
    }?;
    match staged {
        Some(staged) => out.copy_from(&staged),
        None => Ok(()),
    }
}

/// The matrix product with PyTorch's `matmul` rules (1-D, 2-D, batched with broadcasting).
///
/// dtypes: f32, f64, f16, bf16, and the integers u8, i8, i16, i32, i64 (exact, wrapping around
/// on overflow as PyTorch's); both operands must share one dtype. Error bound in the
/// [module docs](self).
///
/// ```
/// use op_kernels::ops::matmul;
/// use op_runtime::Tensor;
/// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
/// let v = Tensor::from_vec(vec![1.0f32, 1.0], &[2]).unwrap();
/// assert_eq!(matmul::call(&a, &v).unwrap().to_vec::<f32>().unwrap(), vec![3.0, 7.0]);
/// ```
#[custom_op(
    "ops::matmul(Tensor self, Tensor other) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64),
    shape = matmul_shape
)]
pub fn matmul(self_: &Tensor, other: &Tensor, out: &mut Tensor) -> Result<()> {
    const OP: &str = "ops::matmul";
    check_cpu(OP, self_)?;
    check_cpu(OP, other)?;
    same_dtype(OP, &Meta::from(self_), &Meta::from(other))?;
    let p = plan(self_.shape(), other.shape())?;
    let a = as_operand(self_, &p.lhs, (self_.dim() == 1).then_some(0))?;
    let b = as_operand(other, &p.rhs, (other.dim() == 1).then_some(1))?;
    multiply(OP, &p, &a, &b, None, out)
}

/// Shape function of [`matmul`](fn@matmul).
pub fn matmul_shape(self_: &Meta, other: &Meta) -> Result<Meta> {
    same_dtype("ops::matmul", self_, other)?;
    let p = plan(&self_.shape, &other.shape)?;
    Ok(Meta::new(&p.out, self_.dtype, self_.device))
}

/// The plan of `linear`: `input [*, in] @ weight.T [in, out]`, batch dims folded into the rows. A
/// 1-D weight `[in]` is one output feature whose dim is dropped (`[*, in] -> [*]`), as in PyTorch.
fn linear_plan(input: &[usize], weight: &[usize], bias: Option<&[usize]>) -> Result<Plan> {
    const OP: &str = "ops::linear";
    let Some((&k, lead)) = input.split_last() else {
        return Err(Error::ShapeMismatch {
            context: format!("{OP}: input must be at least 1-D, got a 0-D tensor"),
        });
    };
    let (n, k2) = match *weight {
        [k2] => (1, k2),
        [n, k2] => (n, k2),
        _ => {
            return Err(Error::ShapeMismatch {
                context: format!(
                    "{OP}: weight must be 2-D [out_features, in_features] or 1-D [in_features], got shape {weight:?}"
                ),
            });
        }
    };
    if k != k2 {
        return Err(Error::ShapeMismatch {
            context: format!(
                "{OP}: input of shape {input:?} has {k} features but weight of shape {weight:?} expects {k2} (mat1 and mat2 shapes cannot be multiplied)"
            ),
        });
    }
    let m = size_product(lead);
    // A 1-D weight drops the feature dim; [m, 1] and [m] have the same layout.
    let features = if weight.len() == 2 { Some(n) } else { None };
    let out: Vec<usize> = lead.iter().copied().chain(features).collect();
    if let Some(bias) = bias {
        op_runtime::broadcast_shapes(&[bias, &out])
            .ok()
            .filter(|s| *s == out)
            .ok_or_else(|| Error::ShapeMismatch {
                context: format!(
                    "{OP}: bias of shape {bias:?} does not broadcast to the output shape {out:?}"
                ),
            })?;
    }
    Ok(Plan {
        lhs: vec![m, k],
        rhs: vec![k, n],
        batch: Vec::new(),
        m,
        k,
        n,
        out,
    })
}

/// `input @ weight.T + bias` (PyTorch's `linear`): `input [*, in]`, `weight [out, in]`, `bias`
/// broadcasting to `[*, out]` (usually `[out]`); a 1-D `weight [in]` gives `[*]`.
///
/// dtypes: as [`matmul`](fn@matmul), one dtype for all three. Error bound as matmul, plus ½ ULP
/// for the bias addition (accumulated in the gemm's type); integers wrap around.
#[custom_op(
    "ops::linear(Tensor input, Tensor weight, Tensor? bias=None) -> Tensor",
    dtypes(f32, f64, f16, bf16, u8, i8, i16, i32, i64),
    shape = linear_shape
)]
pub fn linear(
    input: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    out: &mut Tensor,
) -> Result<()> {
    const OP: &str = "ops::linear";
    check_cpu(OP, input)?;
    linear_shape(
        &Meta::from(input),
        &Meta::from(weight),
        bias.map(Meta::from).as_ref(),
    )?;
    let p = linear_plan(input.shape(), weight.shape(), bias.map(Tensor::shape))?;
    // Rows of the input, as a view when the leading dims allow it.
    let lhs = input.reshape(&[p.m as isize, p.k as isize])?;
    let rhs = if weight.dim() == 1 {
        weight.reshape(&[p.k as isize, 1])?
    } else {
        weight.transpose(0, 1)?
    };
    let init = bias.map(|b| b.broadcast_to(&p.out)).transpose()?;
    multiply(OP, &p, &lhs, &rhs, init.as_ref(), out)
}

/// Shape function of [`linear`](fn@linear).
pub fn linear_shape(input: &Meta, weight: &Meta, bias: Option<&Meta>) -> Result<Meta> {
    same_dtype("ops::linear", input, weight)?;
    if let Some(b) = bias {
        same_dtype("ops::linear", input, b)?;
    }
    let p = linear_plan(
        &input.shape,
        &weight.shape,
        bias.map(|b| b.shape.as_slice()),
    )?;
    Ok(Meta::new(&p.out, input.dtype, input.device))
}
