//! `Display` for [`Tensor`], following PyTorch's `torch/_tensor_str.py` with its default print
//! options (precision 4, threshold 1000 elements, 3 edge items, line width 80).
//!
//! ```text
//! tensor([[1., 2.],
//!         [3., 4.]], dtype=float64)
//! ```
//!
//! One formatter is chosen per tensor from the values shown: integer-valued floats print as `1.`,
//! others with four decimals, and scientific notation is used when the non-zero magnitudes span
//! more than a factor of 1000, exceed 1e8, or (for non-integers) go below 1e-4. The dtype is shown
//! unless it is `float32`, `int64` or `bool`; the device unless it is the CPU. Tensors of more than
//! 1000 elements show three items at each end of every long dimension, with `...` between.

use std::fmt;

use crate::{DType, Device, Element, Result, Tensor};

const PRECISION: usize = 4;
const THRESHOLD: usize = 1000;
const EDGE_ITEMS: usize = 3;
const LINE_WIDTH: usize = 80;

/// One shown element, widened so each kind formats the way Python prints it.
#[derive(Clone, Copy)]
enum Shown {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = "tensor(";
        let indent = prefix.len();
        let mut suffixes = Vec::new();
        if self.device() != Device::Cpu {
            suffixes.push(format!("device='{}'", self.device()));
        }
        let body = if self.numel() == 0 {
            if self.dim() != 1 {
                suffixes.push(format!("size={}", python_tuple(self.shape())));
            }
            if self.dtype() != DType::F32 {
                suffixes.push(format!("dtype={}", self.dtype()));
            }
            "[]".to_string()
        } else {
            if !matches!(self.dtype(), DType::F32 | DType::I64 | DType::Bool) {
                suffixes.push(format!("dtype={}", self.dtype()));
            }
            match Summary::of(self) {
                Ok(summary) => summary.render(indent),
                Err(err) => format!("<elements not readable: {err}>"),
            }
        };
        f.write_str(&add_suffixes(format!("{prefix}{body}"), &suffixes, indent))
    }
}

/// Python's `str(tuple(shape))`.
fn python_tuple(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            shape
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// PyTorch's `_add_suffixes`: `, suffix` on the last line while it fits, else on a new line.
fn add_suffixes(mut text: String, suffixes: &[String], indent: usize) -> String {
    // Python: len(s) - s.rfind("\n") + 1, where rfind gives -1 when there is no newline.
    let mut last_line_len = match text.rfind('\n') {
        Some(i) => text.len() - i + 1,
        None => text.len() + 2,
    };
    for suffix in suffixes {
        if last_line_len + suffix.len() + 2 > LINE_WIDTH {
            text.push_str(",\n");
            text.push_str(&" ".repeat(indent));
            text.push_str(suffix);
            last_line_len = indent + suffix.len();
        } else {
            text.push_str(", ");
            text.push_str(suffix);
            last_line_len += suffix.len() + 2;
        }
    }
    text.push(')');
    text
}

/// The elements that will be shown (all, or the edges of each long dimension), in row-major
/// order of the shown shape.
struct Summary {
    /// Sizes of the shown block.
    shape: Vec<usize>,
    /// Per dimension, whether `...` stands between the leading and trailing edge items.
    elided: Vec<bool>,
    values: Vec<Shown>,
    formatter: Formatter,
}

impl Summary {
    fn of(t: &Tensor) -> Result<Summary> {
        let host = t.to(Device::Cpu)?;
        let summarize = host.numel() > THRESHOLD;
        let picks: Vec<Vec<usize>> = host
            .shape()
            .iter()
            .map(|&n| {
                if summarize && n > 2 * EDGE_ITEMS {
                    (0..EDGE_ITEMS).chain(n - EDGE_ITEMS..n).collect()
                } else {
                    (0..n).collect()
                }
            })
            .collect();
        let elided = host
            .shape()
            .iter()
            .map(|&n| summarize && n > 2 * EDGE_ITEMS)
            .collect();
        let indices = storage_indices(&host, &picks);
        let values = crate::dispatch_dtype!(host.dtype(), T => gather::<T>(&host, &indices)?);
        let formatter = Formatter::new(host.dtype(), &values);
        Ok(Summary {
            shape: picks.iter().map(Vec::len).collect(),
            elided,
            values,
            formatter,
        })
    }

    fn render(&self, indent: usize) -> String {
        if self.shape.is_empty() {
            return self
                .values
                .first()
                .map_or_else(String::new, |&v| self.formatter.format(v));
        }
        self.block(0, 0, indent)
    }

    /// The text of the sub-block at dimension `depth` whose first value is `values[start]`.
    fn block(&self, depth: usize, start: usize, indent: usize) -> String {
        let n = self.shape[depth];
        let elided = self.elided[depth];
        if depth + 1 == self.shape.len() {
            let mut items: Vec<String> = self.values[start..start + n]
                .iter()
                .map(|&v| self.formatter.format(v))
                .collect();
            if elided {
                items.insert(EDGE_ITEMS, " ...".to_string());
            }
            let per_line = (LINE_WIDTH.saturating_sub(indent) / (self.formatter.width + 2)).max(1);
            let lines: Vec<String> = items.chunks(per_line).map(|line| line.join(", ")).collect();
            return format!(
                "[{}]",
                lines.join(&format!(",\n{}", " ".repeat(indent + 1)))
            );
        }
        let inner: usize = self.shape[depth + 1..].iter().product();
        let mut parts: Vec<String> = (0..n)
            .map(|i| self.block(depth + 1, start + i * inner, indent + 1))
            .collect();
        if elided {
            parts.insert(EDGE_ITEMS, "...".to_string());
        }
        let remaining = self.shape.len() - depth;
        let separator = format!(",{}{}", "\n".repeat(remaining - 1), " ".repeat(indent + 1));
        format!("[{}]", parts.join(&separator))
    }
}

/// Storage indices of the picked elements, in row-major order of the picks.
fn storage_indices(t: &Tensor, picks: &[Vec<usize>]) -> Vec<usize> {
    let mut indices = vec![t.offset() as isize];
    for (pick, &stride) in picks.iter().zip(t.strides()) {
        indices = indices
            .iter()
            .flat_map(|&base| pick.iter().map(move |&i| base + i as isize * stride))
            .collect();
    }
    indices.into_iter().map(|i| i as usize).collect()
}

fn gather<T: Element>(t: &Tensor, indices: &[usize]) -> Result<Vec<Shown>> {
    let data = t.storage().read::<T>()?;
    crate::tensor::check_fits(t, data.len())?;
    // In bounds: the layout fits the storage and every index is one of its elements.
    Ok(indices.iter().map(|&i| shown(data[i])).collect())
}

fn shown<T: Element>(v: T) -> Shown {
    match T::DTYPE {
        DType::Bool => Shown::Bool(v.to_i64() != 0),
        d if d.is_floating_point() => Shown::Float(v.to_f64()),
        _ => Shown::Int(v.to_i64()),
    }
}

/// PyTorch's `_Formatter`: one style and width for every element of a tensor.
struct Formatter {
    style: Style,
    width: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    /// Integers and bools: Python's `str(value)`.
    Plain,
    /// Floats that are all whole numbers: `1.`.
    WholeFloat,
    /// Floats with `PRECISION` decimals: `1.5000`.
    Fixed,
    /// Floats in scientific notation: `1.5000e+03`.
    Scientific,
}

impl Formatter {
    fn new(dtype: DType, values: &[Shown]) -> Formatter {
        if !dtype.is_floating_point() {
            let width = values
                .iter()
                .map(|&v| plain(v).len())
                .max()
                .unwrap_or(1)
                .max(1);
            return Formatter {
                style: Style::Plain,
                width,
            };
        }
        let finite: Vec<f64> = values
            .iter()
            .filter_map(|&v| match v {
                Shown::Float(x) if x.is_finite() && x != 0.0 => Some(x),
                _ => None,
            })
            .collect();
        if finite.is_empty() {
            return Formatter {
                style: Style::WholeFloat,
                width: 1,
            };
        }
        let min = finite.iter().fold(f64::INFINITY, |m, x| m.min(x.abs()));
        let max = finite.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let whole = finite.iter().all(|x| x.ceil() == *x);
        let wide_range = max / min > 1000.0 || max > 1.0e8;
        let style = match (whole, wide_range || (!whole && min < 1.0e-4)) {
            (_, true) => Style::Scientific,
            (true, false) => Style::WholeFloat,
            (false, false) => Style::Fixed,
        };
        let probe = Formatter { style, width: 0 };
        let width = finite
            .iter()
            .map(|&x| probe.format(Shown::Float(x)).len())
            .max()
            .unwrap_or(1);
        Formatter {
            style,
            width: width.max(1),
        }
    }

    /// The element's text, right-aligned to the common width.
    fn format(&self, v: Shown) -> String {
        let text = match (v, self.style) {
            (Shown::Float(x), _) if !x.is_finite() => non_finite(x).to_string(),
            (Shown::Float(x), Style::WholeFloat) => format!("{x:.0}."),
            (Shown::Float(x), Style::Fixed) => format!("{x:.PRECISION$}"),
            (Shown::Float(x), Style::Scientific) => scientific(x),
            (other, _) => plain(other),
        };
        format!("{text:>width$}", width = self.width)
    }
}

fn plain(v: Shown) -> String {
    match v {
        Shown::Bool(true) => "True".to_string(),
        Shown::Bool(false) => "False".to_string(),
        Shown::Int(i) => i.to_string(),
        Shown::Float(x) => format!("{x}"),
    }
}

fn non_finite(x: f64) -> &'static str {
    match x {
        x if x.is_nan() => "nan",
        x if x > 0.0 => "inf",
        _ => "-inf",
    }
}

/// Python's `f"{x:.4e}"`: the exponent has a sign and at least two digits (`1.0000e+08`).
fn scientific(x: f64) -> String {
    let text = format!("{x:.PRECISION$e}");
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_matches_python() {
        assert_eq!(scientific(1.0e8), "1.0000e+08");
        assert_eq!(scientific(-1.5e-5), "-1.5000e-05");
        assert_eq!(scientific(1.0e100), "1.0000e+100");
    }

    #[test]
    fn suffix_wraps_like_pytorch() {
        assert_eq!(
            add_suffixes("tensor([1.]".into(), &["dtype=float64".into()], 7),
            "tensor([1.], dtype=float64)"
        );
        let long = format!("tensor([{}]", "1".repeat(70));
        assert_eq!(
            add_suffixes(long.clone(), &["dtype=int8".into()], 7),
            format!("{long},\n       dtype=int8)")
        );
    }
}
