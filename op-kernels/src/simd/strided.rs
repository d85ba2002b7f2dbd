//! Elementwise kernels over strided, broadcast views: dimensions are reordered and merged so that the
//! innermost run is as long as possible; a run whose output is contiguous and whose inputs are contiguous
//! or broadcast takes the vector fast path, anything else is gathered into a stack buffer, computed by
//! the same vector code, and scattered.

use super::elementwise::{Contig, Operand, SendPtr, apply_unary, drive, run_binary};
use super::layout::{broadcast_shapes, broadcast_strides};
use super::threads::{run_chunks, threads_for};
use super::{
    BinaryOp, Element, Isa, Kernel, Simd, SimdError, StridedSlice, StridedSliceMut, UnaryOp,
};

/// A normalised iteration: shape (outermost first) and per-operand strides [out, a, b] and base offsets.
struct Plan {
    shape: Vec<usize>,
    strides: [Vec<isize>; 3],
    base: [isize; 3],
}

fn plan(shape: &[usize], strides: [&[isize]; 3], base: [usize; 3]) -> Plan {
    let mut base = base.map(|b| b as isize);
    // Drop size-1 dims; make the output stride non-negative (flipping the dim for every operand).
    let mut dims: Vec<(usize, [isize; 3])> = Vec::new();
    for (k, &n) in shape.iter().enumerate() {
        if n == 1 {
            continue;
        }
        let mut s = [strides[0][k], strides[1][k], strides[2][k]];
        if s[0] < 0 {
            for (b, s) in base.iter_mut().zip(s.iter_mut()) {
                *b += *s * (n as isize - 1);
                *s = -*s;
            }
        }
        dims.push((n, s));
    }
    // Outermost = largest output stride (stable, so ties keep their order).
    dims.sort_by_key(|(_, s)| std::cmp::Reverse(s[0]));
    let mut merged: Vec<(usize, [isize; 3])> = Vec::new();
    for (n, s) in dims {
        if let Some((pn, ps)) = merged.last_mut()
            && (0..3).all(|o| ps[o] == s[o] * n as isize)
        {
            *pn *= n;
            *ps = s;
            continue;
        }
        merged.push((n, s));
    }
    if merged.is_empty() {
        merged.push((1, [1, 1, 1]));
    }
    Plan {
        shape: merged.iter().map(|d| d.0).collect(),
        strides: [0, 1, 2].map(|o| merged.iter().map(|d| d.1[o]).collect()),
        base,
    }
}

struct StridedKernel<'a, T, Op> {
    op: &'a Op,
    plan: &'a Plan,
    ptrs: [*mut T; 3],
    start: usize,
    end: usize,
}

const GATHER: usize = 64;

impl<T: Element, Op: BinaryOp> Kernel<T::Lane> for StridedKernel<'_, T, Op> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd<Elem = T::Lane>>(self, s: S) {
        let plan = self.plan;
        let rank = plan.shape.len();
        let inner = plan.shape[rank - 1];
        let [so, sa, sb] = [0, 1, 2].map(|o| plan.strides[o][rank - 1]);
        let op = self.op;
        let mut idx = self.start;
        while idx < self.end {
            let (mut outer, j) = (idx / inner, idx % inner);
            let len = (inner - j).min(self.end - idx);
            let mut off = plan.base;
            for k in (0..rank - 1).rev() {
                let i = (outer % plan.shape[k]) as isize;
                outer /= plan.shape[k];
                for (o, off) in off.iter_mut().enumerate() {
                    *off += i * plan.strides[o][k];
                }
            }
            // SAFETY: the views were checked to contain every offset the plan reaches, and the
            // output's elements are distinct; each thread gets a disjoint index range.
            unsafe {
                let [po, pa, pb] =
                    [0, 1, 2].map(|o| self.ptrs[o].offset(off[o] + j as isize * [so, sa, sb][o]));
                let (pa, pb) = (pa.cast_const(), pb.cast_const());
                match (so, sa, sb) {
                    (1, 1, 1) => drive(
                        s,
                        po,
                        0,
                        len,
                        false,
                        #[inline(always)]
                        |i, l| op.apply(s, Contig(pa).get(s, i, l), Contig(pb).get(s, i, l)),
                    ),
                    (1, 1, 0) => {
                        let b = s.splat(pb.read().to_lane());
                        drive(
                            s,
                            po,
                            0,
                            len,
                            false,
                            #[inline(always)]
                            |i, l| op.apply(s, Contig(pa).get(s, i, l), b),
                        )
                    }
                    (1, 0, 1) => {
                        let a = s.splat(pa.read().to_lane());
                        drive(
                            s,
                            po,
                            0,
                            len,
                            false,
                            #[inline(always)]
                            |i, l| op.apply(s, a, Contig(pb).get(s, i, l)),
                        )
                    }
                    _ => {
                        let mut ba = [T::default(); GATHER];
                        let mut bb = [T::default(); GATHER];
                        let mut bo = [T::default(); GATHER];
                        let mut done = 0;
                        while done < len {
                            let m = (len - done).min(GATHER);
                            for t in 0..m {
                                let e = (done + t) as isize;
                                ba[t] = pa.offset(e * sa).read();
                                bb[t] = pb.offset(e * sb).read();
                            }
                            let (qa, qb) = (Contig(ba.as_ptr()), Contig(bb.as_ptr()));
                            drive(
                                s,
                                bo.as_mut_ptr(),
                                0,
                                m,
                                false,
                                #[inline(always)]
                                |i, l| op.apply(s, qa.get(s, i, l), qb.get(s, i, l)),
                            );
                            for (t, v) in bo[..m].iter().enumerate() {
                                po.offset((done + t) as isize * so).write(*v);
                            }
                            done += m;
                        }
                    }
                }
            }
            idx += len;
        }
    }
}

fn run_strided<T: Element, Op: BinaryOp>(
    op: &Op,
    a: (&[T], usize, &[isize]),
    b: (&[T], usize, &[isize]),
    out: &mut StridedSliceMut<'_, T>,
) {
    let numel: usize = out.shape.iter().product();
    if numel == 0 {
        return;
    }
    let plan = plan(&out.shape, [&out.strides, a.2, b.2], [out.offset, a.1, b.1]);
    let base = [
        out.data.as_mut_ptr(),
        a.0.as_ptr().cast_mut(),
        b.0.as_ptr().cast_mut(),
    ];
    if plan.shape.len() == 1 && plan.strides.iter().all(|s| s[0] == 1) {
        // SAFETY: one contiguous run per operand, in bounds (checked views); out is exclusive.
        unsafe {
            let [po, pa, pb] = [0, 1, 2].map(|o| base[o].offset(plan.base[o]));
            run_binary(
                op,
                Contig(pa.cast_const()),
                Contig(pb.cast_const()),
                po,
                numel,
                2,
            );
        }
        return;
    }
    let isa = Isa::active();
    let ptrs = base.map(SendPtr);
    let plan = &plan;
    run_chunks(
        numel,
        GATHER,
        threads_for(numel, 3 * size_of::<T>()),
        &|r| {
            let k = StridedKernel {
                op,
                plan,
                ptrs: ptrs.map(SendPtr::get),
                start: r.start,
                end: r.end,
            };
            T::dispatch(isa, k)
        },
    );
}

/// A unary op on a `T` buffer as a binary op of its first operand.
struct FirstOf<'a, T, Op>(&'a Op, std::marker::PhantomData<fn() -> T>);

impl<T: Element, Op: UnaryOp> BinaryOp for FirstOf<'_, T, Op> {
    #[inline(always)]
    fn apply<S: Simd>(&self, s: S, a: S::V, _b: S::V) -> S::V {
        apply_unary::<T, _, _>(self.0, s, a)
    }
}

/// `out[i] = op(x[i])` over strided views; `x` is broadcast to `out`'s shape.
///
/// ```
/// use op_kernels::simd::{self, ops::Neg, StridedSlice, StridedSliceMut};
/// let x = [1.0f32, 2.0, 3.0];
/// let mut y = [0.0f32; 6];
/// let xv = StridedSlice::new(&x, 2, &[3], &[-1]).unwrap(); // x reversed
/// let mut yv = StridedSliceMut::contiguous(&mut y, &[2, 3]).unwrap();
/// simd::unary_strided(&Neg, &xv, &mut yv).unwrap();
/// assert_eq!(y, [-3.0, -2.0, -1.0, -3.0, -2.0, -1.0]);
/// ```
pub fn unary_strided<T: Element, Op: UnaryOp>(
    op: &Op,
    x: &StridedSlice<'_, T>,
    out: &mut StridedSliceMut<'_, T>,
) -> Result<(), SimdError> {
    let xs = broadcast_strides(&x.shape, &x.strides, &out.shape)?;
    run_strided(
        &FirstOf::<T, _>(op, std::marker::PhantomData),
        (x.data, x.offset, &xs),
        (x.data, x.offset, &xs),
        out,
    );
    Ok(())
}

/// `out[i] = op(a[i], b[i])` over strided views; `a` and `b` broadcast together (numpy rules) to
/// `out`'s shape, which must be their broadcast shape.
pub fn binary_strided<T: Element, Op: BinaryOp>(
    op: &Op,
    a: &StridedSlice<'_, T>,
    b: &StridedSlice<'_, T>,
    out: &mut StridedSliceMut<'_, T>,
) -> Result<(), SimdError> {
    let shape = broadcast_shapes(&a.shape, &b.shape)?;
    if shape != out.shape {
        return Err(SimdError::ShapeMismatch(format!(
            "inputs broadcast to {shape:?} but the output has shape {:?}",
            out.shape
        )));
    }
    let sa = broadcast_strides(&a.shape, &a.strides, &out.shape)?;
    let sb = broadcast_strides(&b.shape, &b.strides, &out.shape)?;
    run_strided(op, (a.data, a.offset, &sa), (b.data, b.offset, &sb), out);
    Ok(())
}
