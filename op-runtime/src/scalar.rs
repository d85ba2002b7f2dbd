//! [`Scalar`]: PyTorch's `Scalar`, a number argument that is not a tensor.

use std::fmt;

use crate::{DType, Element, Error, Result};

/// A single number of unspecified precision, as PyTorch's `Scalar` schema type: `add(x, 2)`,
/// `fill_(0.5)`.
///
/// ```
/// use op_runtime::{DType, Scalar};
/// assert_eq!(Scalar::from(3).dtype(), DType::I64);
/// assert_eq!(Scalar::from(2.5).to_f64(), 2.5);
/// assert!(Scalar::from(2.5).to_i64().is_err());
/// assert_eq!(Scalar::from(true).to_string(), "True");
/// ```
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Scalar {
    /// A Python `bool`.
    Bool(bool),
    /// A Python `int`.
    Int(i64),
    /// A Python `float`.
    Float(f64),
}

impl Scalar {
    /// The dtype PyTorch gives this scalar when it becomes a tensor: `bool`, `int64` or `float64`.
    pub const fn dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => DType::F64,
        }
    }

    /// The value as an `f64`. Never fails; an `Int` beyond ±2⁵³ rounds to the nearest `f64`.
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }

    /// The value as an `i64`, exactly, or [`Error::ScalarConversion`] for a float that is not a
    /// whole number in `i64`'s range (NaN and infinities included).
    pub fn to_i64(self) -> Result<i64> {
        match self {
            Scalar::Bool(b) => Ok(i64::from(b)),
            Scalar::Int(i) => Ok(i),
            Scalar::Float(f) => {
                // 2⁶³ is exactly representable; every float in [-2⁶³, 2⁶³) with no fraction fits.
                const LIMIT: f64 = 9_223_372_036_854_775_808.0;
                if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
                    Ok(f as i64)
                } else {
                    Err(Error::ScalarConversion {
                        value: self,
                        target: DType::I64,
                    })
                }
            }
        }
    }

    /// The value as a `bool`: non-zero is `true`, like Python's `bool(x)`.
    pub fn to_bool(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::Float(f) => f != 0.0,
        }
    }

    /// The value converted to an element type with the rules of [`Element`] (integers keep full
    /// precision; floats truncate and saturate into integer types). This is what `fill_` and
    /// `full` store, after [`Scalar::check_fits`].
    pub fn cast<T: Element>(self) -> T {
        match self {
            Scalar::Bool(b) => T::from_i64(i64::from(b)),
            Scalar::Int(i) => T::from_i64(i),
            Scalar::Float(f) => T::from_f64(f),
        }
    }

    /// Whether the value can be stored in `dtype` without overflow, as PyTorch's `fill_` and
    /// `full` check it (`checked_convert`): [`Error::ScalarConversion`] for an integer beyond the
    /// integer dtype's range (uint8 also takes -255..=-1, which wrap, as in PyTorch), a float that
    /// is NaN, infinite or out of range for an integer dtype (a fraction truncates), or a finite
    /// value beyond a float dtype's largest (float16 `70000`). Infinities and NaN suit every float
    /// dtype, and anything suits `bool`.
    ///
    /// ```
    /// use op_runtime::{DType, Scalar};
    /// assert!(Scalar::from(300).check_fits(DType::U8).is_err());
    /// assert!(Scalar::from(-1).check_fits(DType::U8).is_ok());
    /// assert!(Scalar::from(2.5).check_fits(DType::I32).is_ok());
    /// assert!(Scalar::from(f64::NAN).check_fits(DType::I32).is_err());
    /// assert!(Scalar::from(70000).check_fits(DType::F16).is_err());
    /// assert!(Scalar::from(f64::INFINITY).check_fits(DType::F16).is_ok());
    /// ```
    pub fn check_fits(self, dtype: DType) -> Result<()> {
        let fits = match (self, dtype) {
            (_, DType::Bool) | (Scalar::Bool(_), _) => true,
            (_, DType::F64) => true,
            (Scalar::Int(i), d) if !d.is_floating_point() => {
                let (lo, hi) = int_range(d);
                (lo..=hi).contains(&(i as i128))
            }
            (Scalar::Float(f), d) if !d.is_floating_point() => {
                let (lo, hi) = int_range(d);
                f.is_finite() && (lo as f64..=hi as f64).contains(&f.trunc())
            }
            (value, d) => {
                let max = match d {
                    DType::F16 => f64::from(half::f16::MAX),
                    DType::BF16 => f64::from(half::bf16::MAX),
                    _ => f64::from(f32::MAX),
                };
                let v = value.to_f64();
                !v.is_finite() || v.abs() <= max
            }
        };
        if fits {
            Ok(())
        } else {
            Err(Error::ScalarConversion {
                value: self,
                target: dtype,
            })
        }
    }

    /// Whether this is a `Float`.
    pub const fn is_floating_point(self) -> bool {
        matches!(self, Scalar::Float(_))
    }
}

/// Prints like a schema default: `True`, `3`, `2.5`. Floats use Rust's shortest round-trip form
/// (`1e-5`, `inf`), which always shows a decimal point or an exponent; NaN prints as `nan`.
impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Bool(true) => f.write_str("True"),
            Scalar::Bool(false) => f.write_str("False"),
            Scalar::Int(i) => write!(f, "{i}"),
            Scalar::Float(x) if x.is_nan() => f.write_str("nan"),
            // `{:?}` always keeps a decimal point or exponent, so a float never reads as an int.
            Scalar::Float(x) => write!(f, "{x:?}"),
        }
    }
}

/// The values an integer dtype stores from a scalar, as PyTorch's overflow check allows them:
/// its range, and for uint8 also -255..=-1 (stored wrapped).
fn int_range(dtype: DType) -> (i128, i128) {
    match dtype {
        DType::U8 => (-255, 255),
        DType::I8 => (i8::MIN.into(), i8::MAX.into()),
        DType::I16 => (i16::MIN.into(), i16::MAX.into()),
        DType::I32 => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN.into(), i64::MAX.into()),
    }
}

impl From<bool> for Scalar {
    fn from(v: bool) -> Self {
        Scalar::Bool(v)
    }
}

macro_rules! scalar_from {
    ($variant:ident as $wide:ty: $($t:ty),*) => {$(
        impl From<$t> for Scalar {
            fn from(v: $t) -> Self {
                Scalar::$variant(<$wide>::from(v))
            }
        }
    )*};
}

scalar_from!(Int as i64: u8, i8, i16, i32, i64, u16, u32);
scalar_from!(Float as f64: f32, f64);

impl From<half::f16> for Scalar {
    fn from(v: half::f16) -> Self {
        Scalar::Float(v.to_f64())
    }
}

impl From<half::bf16> for Scalar {
    fn from(v: half::bf16) -> Self {
        Scalar::Float(v.to_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_i64_refuses_lossy_floats() {
        assert_eq!(Scalar::Float(-3.0).to_i64(), Ok(-3));
        assert_eq!(
            Scalar::Float(-9_223_372_036_854_775_808.0).to_i64(),
            Ok(i64::MIN)
        );
        for bad in [0.5, f64::NAN, f64::INFINITY, 9_223_372_036_854_775_808.0] {
            assert!(Scalar::Float(bad).to_i64().is_err(), "{bad}");
        }
    }

    #[test]
    fn cast_keeps_integer_precision() {
        assert_eq!(Scalar::Int(i64::MAX).cast::<i64>(), i64::MAX);
        assert_eq!(Scalar::Int(300).cast::<u8>(), 44);
        assert_eq!(Scalar::Float(-1.7).cast::<i32>(), -1);
        assert!(Scalar::Float(0.1).cast::<bool>());
    }

    #[test]
    fn display_is_pythonic() {
        assert_eq!(Scalar::Float(1.0).to_string(), "1.0");
        assert_eq!(Scalar::Float(f64::NAN).to_string(), "nan");
        assert_eq!(Scalar::Int(-4).to_string(), "-4");
        assert_eq!(Scalar::Bool(false).to_string(), "False");
    }
}
