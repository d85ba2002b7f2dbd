//! [`DType`], the element types a tensor can hold, and [`Element`], the Rust types behind them.

use std::fmt;
use std::str::FromStr;

pub use half::{bf16, f16};

use crate::{Error, Result};

/// The element type of a tensor: the ten PyTorch `ScalarType`s opkit supports.
///
/// `Display` prints the name PyTorch uses in schemas and `torch.<name>`; `FromStr` also accepts
/// PyTorch's aliases (`float`, `long`, …) and the Rust type names (`f32`, `i64`, …).
///
/// ```
/// use op_runtime::DType;
/// assert_eq!(DType::BF16.to_string(), "bfloat16");
/// assert_eq!("double".parse::<DType>().unwrap(), DType::F64);
/// assert_eq!(DType::promote(DType::U8, DType::I8), DType::I16);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DType {
    /// `bool`, one byte holding 0 or 1.
    Bool,
    /// `uint8`.
    U8,
    /// `int8`.
    I8,
    /// `int16`.
    I16,
    /// `int32`.
    I32,
    /// `int64`.
    I64,
    /// `float16` (IEEE half precision, [`half::f16`]).
    F16,
    /// `bfloat16` ([`half::bf16`]).
    BF16,
    /// `float32`.
    F32,
    /// `float64`.
    F64,
}

/// Every accepted dtype spelling, for the [`Error::UnknownDType`] message.
pub(crate) const VALID_DTYPE_NAMES: &str = "bool, uint8, int8, int16, int32, int64, float16, \
     bfloat16, float32, float64; PyTorch aliases byte, char, short, int, long, half, float, \
     double; Rust names u8, i8, i16, i32, i64, f16, bf16, f32, f64";

impl DType {
    /// All dtypes, in PyTorch's `ScalarType` order.
    pub const ALL: [DType; 10] = [
        DType::Bool,
        DType::U8,
        DType::I8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::F16,
        DType::BF16,
        DType::F32,
        DType::F64,
    ];

    /// Size of one element in bytes.
    pub const fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// Whether this is `float16`, `bfloat16`, `float32` or `float64`.
    pub const fn is_floating_point(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }

    /// Whether this is an integer type. `bool` is not integral, as in PyTorch's
    /// `isIntegralType(t, includeBool=false)`.
    pub const fn is_integral(self) -> bool {
        matches!(
            self,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64
        )
    }

    /// Whether values of this type can be negative.
    pub const fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8)
    }

    /// The PyTorch `ScalarType` name, as written in schemas (`float32`, `bfloat16`, …).
    pub const fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Parses a dtype name: a PyTorch `ScalarType` name, a PyTorch alias (`float`, `double`,
    /// `half`, `long`, `int`, `short`, `byte`, `char`) or a Rust type name (`f32`, `bf16`, `i64`,
    /// …). Case-sensitive, as PyTorch's attributes are.
    ///
    /// ```
    /// use op_runtime::DType;
    /// assert_eq!(DType::from_name("half").unwrap(), DType::F16);
    /// assert!(DType::from_name("Float32").is_err());
    /// ```
    pub fn from_name(name: &str) -> Result<DType> {
        let dtype = match name {
            "bool" => DType::Bool,
            "uint8" | "byte" | "u8" => DType::U8,
            "int8" | "char" | "i8" => DType::I8,
            "int16" | "short" | "i16" => DType::I16,
            "int32" | "int" | "i32" => DType::I32,
            "int64" | "long" | "i64" => DType::I64,
            "float16" | "half" | "f16" => DType::F16,
            "bfloat16" | "bf16" => DType::BF16,
            "float32" | "float" | "f32" => DType::F32,
            "float64" | "double" | "f64" => DType::F64,
            _ => {
                return Err(Error::UnknownDType {
                    name: name.to_string(),
                });
            }
        };
        Ok(dtype)
    }

    /// The dtype of the result of a binary op on `a` and `b`: PyTorch's type promotion lattice
    /// (`c10::promoteTypes`) restricted to these ten types.
    ///
    /// `bool` gives way to anything; two integers give the smallest integer type holding both
    /// (`uint8` with a signed type needs one more bit, so `uint8 + int8 = int16`); an integer with a
    /// float gives the float; `float16` with `bfloat16` gives `float32` (neither holds the other);
    /// other float pairs give the wider one.
    pub const fn promote(a: DType, b: DType) -> DType {
        use DType::*;
        match (a, b) {
            (Bool, other) | (other, Bool) => other,
            (F16, BF16) | (BF16, F16) => F32,
            _ if a.is_floating_point() && b.is_floating_point() => {
                if a.size_in_bytes() >= b.size_in_bytes() {
                    a
                } else {
                    b
                }
            }
            _ if a.is_floating_point() => a,
            _ if b.is_floating_point() => b,
            // Both integral from here on.
            (U8, U8) => U8,
            (U8, I8) | (I8, U8) => I16,
            (U8, signed) | (signed, U8) => signed,
            _ => {
                if a.size_in_bytes() >= b.size_in_bytes() {
                    a
                } else {
                    b
                }
            }
        }
    }

    /// The dtype of a binary op on tensors of dtypes `a` and `b` with `a_ndim` and `b_ndim`
    /// dimensions: PyTorch's `torch.result_type`. Tensors with dimensions take priority over 0-d
    /// ones, which change the result only when their category (bool < integer < floating point)
    /// is higher: `float16[3] + float32[]` is `float16` and `int8[3] * int64[]` is `int8`, while
    /// `int32[3] + float32[]` is `float32`. Two tensors of the same kind [`promote`](Self::promote).
    ///
    /// ```
    /// use op_runtime::DType;
    /// assert_eq!(DType::result_type(DType::F16, 1, DType::F32, 0), DType::F16);
    /// assert_eq!(DType::result_type(DType::I8, 2, DType::I64, 0), DType::I8);
    /// assert_eq!(DType::result_type(DType::I32, 1, DType::F32, 0), DType::F32);
    /// assert_eq!(DType::result_type(DType::F16, 1, DType::F32, 1), DType::F32);
    /// ```
    pub const fn result_type(a: DType, a_ndim: usize, b: DType, b_ndim: usize) -> DType {
        match (a_ndim == 0, b_ndim == 0) {
            (false, true) => DType::combine_categories(a, b),
            (true, false) => DType::combine_categories(b, a),
            _ => DType::promote(a, b),
        }
    }

    /// ATen's `combine_categories`: `higher` (the dtype of tensors with dimensions) unless `lower`
    /// (of 0-d tensors) is of a higher category.
    const fn combine_categories(higher: DType, lower: DType) -> DType {
        if higher.is_floating_point() {
            higher
        } else if matches!(higher, DType::Bool) || lower.is_floating_point() {
            DType::promote(higher, lower)
        } else {
            higher
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DType {
    type Err = Error;

    fn from_str(s: &str) -> Result<DType> {
        DType::from_name(s)
    }
}

mod sealed {
    /// Keeps [`super::Element`] closed: the runtime's kernels and storage rely on the exact list.
    pub trait Sealed {}
}

/// A Rust type that is the element type of one [`DType`]: `bool`, `u8`, `i8`, `i16`, `i32`,
/// `i64`, [`f16`](half::f16), [`bf16`](half::bf16), `f32`, `f64`. Sealed: the list matches
/// [`DType::ALL`] exactly.
///
/// The conversions follow PyTorch's `static_cast` semantics where C++ defines them, and Rust's `as`
/// where C++ leaves the result undefined:
/// - to a float type: rounds to nearest (out-of-range values become ±infinity);
/// - float to integer: truncates toward zero and **saturates** at the type's bounds, NaN becomes 0
///   (C++ leaves out-of-range values undefined and PyTorch's CPU result varies by path, except
///   float → uint8, which PyTorch takes through int64 and wraps: `-1.0` is 255 there, 0 here);
/// - integer to integer ([`Element::from_i64`]): wraps, keeping the low bits, as C++ and PyTorch do
///   (`300` → `uint8` is `44`);
/// - to `bool`: any non-zero value (NaN included) is `true`; `bool` converts to 0 or 1.
pub trait Element:
    Copy + Send + Sync + 'static + PartialEq + fmt::Debug + Default + sealed::Sealed
{
    /// The dtype whose elements have this type.
    const DTYPE: DType;

    /// The value as an `f64`; exact for every type except `i64` beyond ±2⁵³, which rounds.
    fn to_f64(self) -> f64;

    /// The value nearest `v` under the rules in the trait documentation.
    fn from_f64(v: f64) -> Self;

    /// The value as an `i64`: exact for integers and `bool`; floats truncate toward zero and
    /// saturate (NaN gives 0).
    fn to_i64(self) -> i64;

    /// `v` converted: integers wrap, floats round to nearest, `bool` is `v != 0`.
    fn from_i64(v: i64) -> Self;

    /// Converts between element types, rounding at most once: an integer or `bool` goes through
    /// `i64` (exact; then wrapping to an integer type or rounding once to a float type), a float
    /// through `f64` (exact; then rounding once, or truncating and saturating).
    #[inline]
    fn cast<U: Element>(self) -> U {
        if Self::DTYPE.is_floating_point() {
            U::from_f64(self.to_f64())
        } else {
            U::from_i64(self.to_i64())
        }
    }
}

macro_rules! int_element {
    ($($t:ty => $dtype:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}

int_element!(u8 => U8, i8 => I8, i16 => I16, i32 => I32, i64 => I64);

macro_rules! float_element {
    ($($t:ty => $dtype:ident),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
        }
    )*};
}

float_element!(f32 => F32, f64 => F64);

macro_rules! half_element {
    ($($t:ident => $dtype:ident, $from_f64:path),* $(,)?) => {$(
        impl sealed::Sealed for $t {}
        impl Element for $t {
            const DTYPE: DType = DType::$dtype;
            #[inline]
            fn to_f64(self) -> f64 {
                $t::to_f64(self)
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                // Not `half`'s own from_f64, which can round twice (see half_round).
                $from_f64(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                $t::to_f64(self) as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                // Through f64 rounded to odd: exact below 2^53, and beyond it keeps the sticky
                // bit, so that the rounding to 11 or 8 bits is the only one (bf16 reaches 2^63).
                $from_f64(crate::half_round::i64_to_f64_odd(v))
            }
        }
    )*};
}

half_element!(
    f16 => F16, crate::half_round::f16_from_f64,
    bf16 => BF16, crate::half_round::bf16_from_f64,
);

impl sealed::Sealed for bool {}
impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(u8::from(self))
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
}

/// Runs an expression once per dtype with a type alias bound to that dtype's [`Element`] type:
/// the one place where a runtime [`DType`] becomes a compile-time type.
///
/// `dispatch_dtype!(dtype, T => expr)` expands to a `match` over all ten dtypes; in each arm `T` is
/// `bool`, `u8`, …, `f64`, so `expr` is monomorphised ten times. Every arm must have the same type.
///
/// ```
/// use op_runtime::{dispatch_dtype, DType, Element};
/// fn size_of_dtype(dtype: DType) -> usize {
///     dispatch_dtype!(dtype, T => std::mem::size_of::<T>())
/// }
/// assert_eq!(size_of_dtype(DType::BF16), 2);
/// let zero = dispatch_dtype!(DType::I32, T => T::default().to_f64());
/// assert_eq!(zero, 0.0);
/// ```
#[macro_export]
macro_rules! dispatch_dtype {
    ($dtype:expr, $T:ident => $body:expr) => {
        match $dtype {
            $crate::DType::Bool => {
                type $T = bool;
                $body
            }
            $crate::DType::U8 => {
                type $T = u8;
                $body
            }
            $crate::DType::I8 => {
                type $T = i8;
                $body
            }
            $crate::DType::I16 => {
                type $T = i16;
                $body
            }
            $crate::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::DType::F16 => {
                type $T = $crate::f16;
                $body
            }
            $crate::DType::BF16 => {
                type $T = $crate::bf16;
                $body
            }
            $crate::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for dtype in DType::ALL {
            assert_eq!(dtype.to_string().parse::<DType>().unwrap(), dtype);
        }
    }

    #[test]
    fn element_dtypes_match_sizes() {
        for dtype in DType::ALL {
            let size = dispatch_dtype!(dtype, T => {
                assert_eq!(T::DTYPE, dtype);
                std::mem::size_of::<T>()
            });
            assert_eq!(size, dtype.size_in_bytes());
        }
    }

    #[test]
    fn promotion_is_symmetric_and_idempotent() {
        for a in DType::ALL {
            assert_eq!(DType::promote(a, a), a);
            for b in DType::ALL {
                assert_eq!(DType::promote(a, b), DType::promote(b, a), "{a} {b}");
            }
        }
    }
}
