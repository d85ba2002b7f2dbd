//! Default values of arguments.
//!
//! A default is kept as written, lexically: `float p=2` holds `Int(2)` and
//! `int[2] stride=1` holds `Int(1)`, because torchgen keeps the text verbatim
//! and printing must give it back. [`Argument::effective_default`](crate::Argument::effective_default)
//! applies c10's conversions for callers that want the value.

use std::fmt;

/// A default value, as written after `=`.
///
/// `Display` prints a canonical spelling: Python's `repr` for floats (`1e-05`,
/// `0.5`, `-inf`), double quotes for strings. A parsed schema prints its
/// defaults exactly as they were written instead (see
/// [`Argument::default_text`](crate::Argument::default_text)).
///
/// ```
/// use op_schema::DefaultValue;
/// assert_eq!(DefaultValue::Float(1e-5).to_string(), "1e-05");
/// assert_eq!(DefaultValue::List(vec![DefaultValue::Int(0), DefaultValue::Int(1)]).to_string(), "[0, 1]");
/// assert_eq!(DefaultValue::Named("contiguous_format".into()).to_string(), "contiguous_format");
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DefaultValue {
    /// `None`
    None,
    /// `True` or `False`
    Bool(bool),
    /// An integer literal, possibly negative.
    Int(i64),
    /// A float literal (`0.5`, `1e-05`, `inf`, `-inf`, `nan`).
    Float(f64),
    /// c10's imaginary literal, `2j`: holds the imaginary part.
    Complex(f64),
    /// A string literal, unescaped.
    Str(String),
    /// A list literal, `[0, 1]` or `[]`.
    List(Vec<DefaultValue>),
    /// A named constant: `Mean`, `Sum`, `contiguous_format`, `strided`, or a
    /// dtype name such as `long` (for ScalarType). Validation checks the name
    /// against the argument's type.
    Named(String),
}

/// Compares values as written, so `nan` equals `nan`: a schema with a `nan`
/// default must equal itself (and its reparsed printing).
impl PartialEq for DefaultValue {
    fn eq(&self, other: &Self) -> bool {
        use DefaultValue as D;
        let same = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        match (self, other) {
            (D::None, D::None) => true,
            (D::Bool(a), D::Bool(b)) => a == b,
            (D::Int(a), D::Int(b)) => a == b,
            (D::Float(a), D::Float(b)) | (D::Complex(a), D::Complex(b)) => same(*a, *b),
            (D::Str(a), D::Str(b)) | (D::Named(a), D::Named(b)) => a == b,
            (D::List(a), D::List(b)) => a == b,
            _ => false,
        }
    }
}

impl DefaultValue {
    /// True for `None`.
    pub fn is_none(&self) -> bool {
        matches!(self, DefaultValue::None)
    }
}

impl fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::None => f.write_str("None"),
            DefaultValue::Bool(true) => f.write_str("True"),
            DefaultValue::Bool(false) => f.write_str("False"),
            DefaultValue::Int(i) => write!(f, "{i}"),
            DefaultValue::Float(x) => f.write_str(&python_repr(*x)),
            DefaultValue::Complex(im) => write!(f, "{}j", python_repr(*im)),
            DefaultValue::Str(s) => write_quoted(f, s),
            DefaultValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            DefaultValue::Named(name) => f.write_str(name),
        }
    }
}

/// Writes a string literal in double quotes, escaping what c10's
/// `printQuotedString` escapes.
fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\t' => f.write_str("\\t")?,
            '\r' => f.write_str("\\r")?,
            '\u{b}' => f.write_str("\\v")?,
            '\u{c}' => f.write_str("\\f")?,
            c => write!(f, "{c}")?,
        }
    }
    f.write_str("\"")
}

/// Formats a float the way Python's `repr` does, which is how defaults are
/// written in native_functions.yaml: shortest round-trip digits, exponent
/// form below 1e-4 and from 1e16 on (`1e-05`, `1e+16`), else positional with
/// at least one decimal (`0.5`, `2.0`).
pub(crate) fn python_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // `{:e}` gives the shortest round-trip digits: "1.5e-5", "1e0".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').expect("`{:e}` always has an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` exponent is an integer");
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python_repr() {
        let cases = [
            (1e-5, "1e-05"),
            (1e-8, "1e-08"),
            (0.5, "0.5"),
            (1.0, "1.0"),
            (2.0, "2.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.0001, "0.0001"),
            (0.01, "0.01"),
            (1.0 / 3.0, "0.3333333333333333"),
            (123456.789, "123456.789"),
            (1e16, "1e+16"),
            (1.5e300, "1.5e+300"),
            (-2.5e-7, "-2.5e-07"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (f64::NAN, "nan"),
            (1e15, "1000000000000000.0"),
        ];
        for (x, want) in cases {
            assert_eq!(python_repr(x), want, "{x:?}");
        }
    }

    #[test]
    fn nan_equals_itself() {
        let nan = DefaultValue::Float(f64::NAN);
        assert_eq!(nan, nan.clone());
        assert_eq!(
            DefaultValue::List(vec![nan.clone()]),
            DefaultValue::List(vec![nan])
        );
        assert_ne!(DefaultValue::Float(1.0), DefaultValue::Complex(1.0));
    }

    #[test]
    fn strings_are_double_quoted_and_escaped() {
        assert_eq!(
            DefaultValue::Str("a\"b\n".into()).to_string(),
            r#""a\"b\n""#
        );
        assert_eq!(DefaultValue::Complex(2.0).to_string(), "2.0j");
        assert_eq!(DefaultValue::List(vec![]).to_string(), "[]");
        assert_eq!(DefaultValue::Bool(true).to_string(), "True");
    }
}
