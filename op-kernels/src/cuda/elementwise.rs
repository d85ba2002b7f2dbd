//! Elementwise CUDA kernels (`elementwise.cu`): unary ops and activations, binary ops with
//! broadcasting, and the strided copy that makes device tensors contiguous without the host.
//!
//! Contiguous operands of one shape take the vectorised kernel (16-byte loads); anything else —
//! views, transposes, broadcast operands — takes the strided kernel, which walks the output's
//! shape with each operand's strides (zero along broadcast dimensions).

use cudarc::driver::DeviceRepr;
use cudarc::driver::PushKernelArg;
use op_runtime::cuda as rt;
use op_runtime::{Device, Error, Result, Tensor};

use super::launch::{CudaSource, check_tensors, dtype_suffix, grid_1d, launch};

/// The elementwise kernels' source: the shared header and `elementwise.cu`.
pub static ELEMENTWISE: CudaSource = CudaSource::new(
    "opkit/elementwise.cu",
    concat!(include_str!("common.cuh"), include_str!("elementwise.cu")),
);

/// A unary op with one float parameter `alpha` (used by [`Unary::Scale`], [`Unary::AddScalar`] and
/// [`Unary::DivScalar`] only).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Unary {
    /// `alpha * x`
    Scale,
    /// `x + alpha`
    AddScalar,
    /// `x / alpha`, an IEEE division (not a product with `1 / alpha`, which differs by an ulp
    /// for a third of inputs and overflows to inf for divisors below `1 / f32::MAX`)
    DivScalar,
    /// `-x`
    Neg,
    /// `|x|`
    Abs,
    /// `e^x`
    Exp,
    /// `ln x`
    Log,
    /// `√x`
    Sqrt,
    /// `1/√x`
    Rsqrt,
    /// `max(x, 0)` (NaN stays NaN)
    Relu,
    /// `1 / (1 + e^-x)`
    Sigmoid,
    /// `x · sigmoid(x)`
    Silu,
    /// `tanh x`
    Tanh,
    /// `x · Φ(x)`, the exact (erf) GELU
    Gelu,
    /// GELU's tanh approximation
    GeluTanh,
}

impl Unary {
    /// Every unary op.
    pub const ALL: [Unary; 15] = [
        Unary::Scale,
        Unary::AddScalar,
        Unary::DivScalar,
        Unary::Neg,
        Unary::Abs,
        Unary::Exp,
        Unary::Log,
        Unary::Sqrt,
        Unary::Rsqrt,
        Unary::Relu,
        Unary::Sigmoid,
        Unary::Silu,
        Unary::Tanh,
        Unary::Gelu,
        Unary::GeluTanh,
    ];

    /// The op's name in the kernels' entry points (`unary_<name>_<dtype>`).
    pub const fn name(self) -> &'static str {
        match self {
            Unary::Scale => "scale",
            Unary::AddScalar => "add_scalar",
            Unary::DivScalar => "div_scalar",
            Unary::Neg => "neg",
            Unary::Abs => "abs",
            Unary::Exp => "exp",
            Unary::Log => "log",
            Unary::Sqrt => "sqrt",
            Unary::Rsqrt => "rsqrt",
            Unary::Relu => "relu",
            Unary::Sigmoid => "sigmoid",
            Unary::Silu => "silu",
            Unary::Tanh => "tanh",
            Unary::Gelu => "gelu",
            Unary::GeluTanh => "gelu_tanh",
        }
    }
}

/// A binary op; its operands broadcast against each other.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Binary {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `max(a, b)`, NaN if either is
    Maximum,
    /// `min(a, b)`, NaN if either is
    Minimum,
    /// `a ^ b`
    Pow,
}

impl Binary {
    /// Every binary op.
    pub const ALL: [Binary; 7] = [
        Binary::Add,
        Binary::Sub,
        Binary::Mul,
        Binary::Div,
        Binary::Maximum,
        Binary::Minimum,
        Binary::Pow,
    ];

    /// The op's name in the kernels' entry points (`binary_<name>_<dtype>`).
    pub const fn name(self) -> &'static str {
        match self {
            Binary::Add => "add",
            Binary::Sub => "sub",
            Binary::Mul => "mul",
            Binary::Div => "div",
            Binary::Maximum => "maximum",
            Binary::Minimum => "minimum",
            Binary::Pow => "pow",
        }
    }
}

/// The most dimensions the strided kernels take after merging (`MAX_DIMS` in common.cuh).
pub const MAX_DIMS: usize = 8;

/// Shape and per-operand strides, passed by value to the strided kernels; mirrors `Strided` in
/// common.cuh field for field. Operand 0 is the output.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Strided {
    ndim: i32,
    pad: i32,
    shape: [i64; MAX_DIMS],
    stride: [[i64; MAX_DIMS]; 3],
}

// SAFETY: `#[repr(C)]` plain integers laid out as the C struct `Strided` in common.cuh.
unsafe impl DeviceRepr for Strided {}

impl Strided {
    /// The layout of up to three operands over `shape` (missing operands get zero strides), with
    /// adjacent dimensions merged where every operand allows it, and size-1 dimensions dropped.
    pub fn new(shape: &[usize], strides: &[&[isize]]) -> Result<Strided> {
        let mut dims: Vec<(i64, [i64; 3])> = Vec::with_capacity(shape.len());
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let mut s = [0i64; 3];
            for (k, st) in strides.iter().enumerate().take(3) {
                s[k] = st.get(d).copied().unwrap_or(0) as i64;
            }
            let size = size as i64;
            // Merge with the previous (outer) dimension when it steps exactly over this one in
            // every operand: together they are one dimension of `outer * size` elements.
            match dims.last_mut() {
                Some((outer, os)) if (0..3).all(|k| os[k] == s[k] * size) => {
                    *outer *= size;
                    *os = s;
                }
                _ => dims.push((size, s)),
            }
        }
        if dims.len() > MAX_DIMS {
            return Err(Error::InvalidArgument(format!(
                "the CUDA elementwise kernels take at most {MAX_DIMS} dimensions that cannot be \
                 merged, but shape {shape:?} with strides {strides:?} has {}; call .contiguous() \
                 on the operands first",
                dims.len()
            )));
        }
        let mut out = Strided {
            ndim: dims.len() as i32,
            pad: 0,
            shape: [1; MAX_DIMS],
            stride: [[0; MAX_DIMS]; 3],
        };
        for (d, (size, s)) in dims.into_iter().enumerate() {
            out.shape[d] = size;
            for (operand, stride) in out.stride.iter_mut().zip(s) {
                operand[d] = stride;
            }
        }
        Ok(out)
    }

    /// The number of dimensions left after merging.
    pub fn ndim(&self) -> usize {
        self.ndim as usize
    }
}

/// Refuses an output in which two indices name one element (a broadcast view): the kernel's
/// writes would race.
pub(crate) fn check_writable(out: &Tensor) -> Result<()> {
    let overlapping = out
        .shape()
        .iter()
        .zip(out.strides())
        .any(|(&size, &stride)| size > 1 && stride == 0);
    if overlapping {
        return Err(Error::OverlappingWrite {
            shape: out.shape().to_vec(),
            strides: out.strides().to_vec(),
        });
    }
    Ok(())
}

fn same_shape(what: &str, expected: &[usize], found: &[usize]) -> Result<()> {
    if expected == found {
        return Ok(());
    }
    Err(Error::ShapeMismatch {
        context: format!(
            "{what}: an operand of shape {found:?} for an output of shape {expected:?}"
        ),
    })
}

/// `x` itself, unless it shares elements with `out` in another layout: then a copy of it made
/// first. The kernels take `__restrict__` pointers, and read each element in the thread that
/// writes it, so an input that is exactly the output (in place) is fine, but one that overlaps it
/// any other way would read elements other threads have already written.
pub(crate) fn apart_from(x: &Tensor, out: &Tensor) -> Result<Tensor> {
    let in_place = x.offset() == out.offset() && x.strides() == out.strides();
    if !x.overlaps(out) || (in_place && x.shape() == out.shape()) {
        return Ok(x.clone());
    }
    let mut aside = Tensor::empty(x.shape(), x.dtype(), x.device())?;
    if dtype_suffix(x.dtype(), "copy").is_err()
        || Strided::new(x.shape(), &[aside.strides(), x.strides()]).is_err()
    {
        aside.copy_from(x)?;
    } else {
        unary(Unary::Scale, x, &mut aside, 1.0)?;
    }
    Ok(aside)
}

/// `out = op(x, alpha)` elementwise; `x` has `out`'s shape, both on one CUDA device with one
/// dtype (f32, f16 or bf16), any strides. `x` may be `out` itself (in place); an `x` that
/// overlaps `out` otherwise is copied first.
pub fn unary(op: Unary, x: &Tensor, out: &mut Tensor, alpha: f32) -> Result<()> {
    let device = out.device();
    let what = op.name();
    let dtype = dtype_suffix(out.dtype(), what)?;
    check_tensors(what, device, out.dtype(), &[x])?;
    same_shape(what, out.shape(), x.shape())?;
    check_writable(out)?;
    let n = out.numel();
    if n == 0 {
        return Ok(());
    }
    let x = &apart_from(x, out)?;
    let (xp, yp, n64) = (rt::device_ptr(x)?, rt::device_ptr(out)?, n as i64);
    let stream = rt::stream(device)?;
    if x.is_contiguous() && out.is_contiguous() {
        let entry = format!("unary_{what}_{dtype}");
        let f = ELEMENTWISE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&xp).arg(&yp).arg(&n64).arg(&alpha);
        // SAFETY: matches `unary_<op>_<dtype>(const T*, T*, i64, float)`; both pointers address
        // `n` elements of the dtype on this device.
        return unsafe { launch(device, &entry, args, grid_1d(device, n)?) };
    }
    let layout = Strided::new(out.shape(), &[out.strides(), x.strides()])?;
    let entry = format!("unary_{what}_{dtype}_strided");
    let f = ELEMENTWISE.function(device, &entry)?;
    let mut args = stream.launch_builder(&f);
    args.arg(&xp).arg(&yp).arg(&n64).arg(&alpha).arg(&layout);
    // SAFETY: matches `unary_<op>_<dtype>_strided(const T*, T*, i64, float, Strided)`; the
    // strides keep every offset inside each tensor's view.
    unsafe { launch(device, &entry, args, grid_1d(device, n)?) }
}

/// `out = op(a, b)` elementwise, `a` and `b` broadcast to `out`'s shape; all on one CUDA device
/// with one dtype (f32, f16 or bf16), any strides. Either operand may be `out` itself (in place);
/// one that overlaps `out` otherwise is copied first.
pub fn binary(op: Binary, a: &Tensor, b: &Tensor, out: &mut Tensor) -> Result<()> {
    binary_scaled(op, a, b, 1.0, out)
}

/// [`binary`] with `b` scaled by `alpha` for [`Binary::Add`] and [`Binary::Sub`]: `a ± alpha·b`,
/// rounded once (a fused multiply-add in f32, as the CPU's `add`/`sub` with `alpha`). The other
/// ops ignore `alpha`.
pub fn binary_scaled(
    op: Binary,
    a: &Tensor,
    b: &Tensor,
    alpha: f32,
    out: &mut Tensor,
) -> Result<()> {
    let device = out.device();
    let what = op.name();
    let dtype = dtype_suffix(out.dtype(), what)?;
    check_tensors(what, device, out.dtype(), &[a, b])?;
    check_writable(out)?;
    let n = out.numel();
    let broadcast = |t: &Tensor| {
        t.broadcast_to(out.shape())
            .map_err(|_| Error::ShapeMismatch {
                context: format!(
                    "{what}: an operand of shape {:?} does not broadcast to the output shape {:?}",
                    t.shape(),
                    out.shape()
                ),
            })
    };
    // Checked before the empty return, so that mismatched operands are an error at any size.
    let (a, b) = (broadcast(a)?, broadcast(b)?);
    if n == 0 {
        return Ok(());
    }
    let (a, b) = (apart_from(&a, out)?, apart_from(&b, out)?);
    let (ap, bp, yp, n64) = (
        rt::device_ptr(&a)?,
        rt::device_ptr(&b)?,
        rt::device_ptr(out)?,
        n as i64,
    );
    let stream = rt::stream(device)?;
    if a.is_contiguous() && b.is_contiguous() && out.is_contiguous() {
        let entry = format!("binary_{what}_{dtype}");
        let f = ELEMENTWISE.function(device, &entry)?;
        let mut args = stream.launch_builder(&f);
        args.arg(&ap).arg(&bp).arg(&yp).arg(&n64).arg(&alpha);
        // SAFETY: matches `binary_<op>_<dtype>(const T*, const T*, T*, i64, float)`; all three
        // address `n` elements.
        return unsafe { launch(device, &entry, args, grid_1d(device, n)?) };
    }
    let layout = Strided::new(out.shape(), &[out.strides(), a.strides(), b.strides()])?;
    let entry = format!("binary_{what}_{dtype}_strided");
    let f = ELEMENTWISE.function(device, &entry)?;
    let mut args = stream.launch_builder(&f);
    args.arg(&ap)
        .arg(&bp)
        .arg(&yp)
        .arg(&n64)
        .arg(&alpha)
        .arg(&layout);
    // SAFETY: matches `binary_<op>_<dtype>_strided(const T*, const T*, T*, i64, float, Strided)`;
    // the (broadcast) strides keep every offset inside each view.
    unsafe { launch(device, &entry, args, grid_1d(device, n)?) }
}

/// A contiguous copy of a CUDA tensor made on the device (the strided copy kernel), or the
/// tensor itself when already contiguous. The runtime's `Tensor::contiguous` stages device
/// tensors through the host; kernels use this instead, and fall back to it only for what the
/// strided kernel cannot index (dtypes it has no kernel for, more than [`MAX_DIMS`] dimensions
/// that do not merge), so that every view works, if slower.
pub fn contiguous(x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    if dtype_suffix(x.dtype(), "contiguous").is_err() || !matches!(x.device(), Device::Cuda(_)) {
        return x.contiguous();
    }
    let mut out = Tensor::empty(x.shape(), x.dtype(), x.device())?;
    if Strided::new(out.shape(), &[out.strides(), x.strides()]).is_err() {
        return x.contiguous();
    }
    unary(Unary::Scale, x, &mut out, 1.0)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_dimensions_merge() {
        let s = Strided::new(&[2, 3, 4], &[&[12, 4, 1], &[12, 4, 1]]).unwrap();
        assert_eq!(s.ndim(), 1);
        assert_eq!(s.shape[0], 24);
        assert_eq!((s.stride[0][0], s.stride[1][0]), (1, 1));
    }

    #[test]
    fn broadcast_and_transposed_dimensions_stay() {
        // b broadcasts along dim 0 (stride 0); the output is contiguous.
        let s = Strided::new(&[2, 3], &[&[3, 1], &[3, 1], &[0, 1]]).unwrap();
        assert_eq!(s.ndim(), 2);
        assert_eq!(&s.shape[..2], &[2, 3]);
        assert_eq!(&s.stride[2][..2], &[0, 1]);
        // A transposed input cannot merge.
        let t = Strided::new(&[3, 2], &[&[2, 1], &[1, 3]]).unwrap();
        assert_eq!(t.ndim(), 2);
    }

    #[test]
    fn size_one_dimensions_drop_and_too_many_dimensions_fail() {
        let s = Strided::new(&[1, 5, 1], &[&[5, 1, 1], &[5, 1, 1]]).unwrap();
        assert_eq!((s.ndim(), s.shape[0]), (1, 5));
        let shape = [2usize; 9];
        // Every other stride doubled twice over: nothing merges.
        let strides: Vec<isize> = (0..9).map(|d| 1isize << (2 * (8 - d))).collect();
        let err = Strided::new(&shape, &[&strides]).unwrap_err();
        assert!(err.to_string().contains("at most 8"), "{err}");
    }

    #[test]
    fn the_struct_matches_the_c_layout() {
        // int ndim, int pad, i64 shape[8], i64 stride[3][8]
        assert_eq!(size_of::<Strided>(), 8 + 8 * 8 + 3 * 8 * 8);
        assert_eq!(std::mem::offset_of!(Strided, shape), 8);
    }
}
