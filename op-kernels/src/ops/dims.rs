//! Dimension arguments as PyTorch reads them: negative dims count from the end, a 0-dimensional
//! tensor accepts `0` and `-1`, and a dim listed twice is an error.

use op_runtime::{Error, Result, Tensor};

/// `dim` wrapped into `0..ndim` (`0..1` for a 0-dimensional tensor).
pub(crate) fn wrap_dim(dim: i64, ndim: usize) -> Result<usize> {
    let n = ndim.max(1) as i64;
    let d = if dim < 0 { dim + n } else { dim };
    if (0..n).contains(&d) {
        Ok(d as usize)
    } else {
        Err(Error::DimOutOfRange {
            dim: dim as isize,
            ndim,
        })
    }
}

/// Which dims of a `ndim`-dimensional tensor a reduction over `dims` reduces (`None` or an empty
/// list: all of them, as PyTorch's `sum`/`mean`). A 0-dimensional tensor has nothing to reduce.
pub(crate) fn reduced_dims(op: &str, dims: Option<&[i64]>, ndim: usize) -> Result<Vec<bool>> {
    let mut reduced = vec![false; ndim];
    match dims {
        None | Some([]) => reduced.fill(true),
        Some(list) => {
            // A 0-dimensional tensor takes dim 0 (or -1) once, like a 1-dimensional one.
            let mut seen = vec![false; ndim.max(1)];
            for &d in list {
                let w = wrap_dim(d, ndim)?;
                if seen[w] {
                    return Err(Error::InvalidArgument(format!(
                        "{op}: dim {w} appears multiple times in the list of dims"
                    )));
                }
                seen[w] = true;
                if ndim > 0 {
                    reduced[w] = true;
                }
            }
        }
    }
    Ok(reduced)
}

/// `t` with `dim` moved last (a view), and whether a move was needed.
pub(crate) fn dim_last(t: &Tensor, dim: usize) -> Result<(Tensor, bool)> {
    if t.dim() == 0 || dim + 1 == t.dim() {
        Ok((t.clone(), false))
    } else {
        Ok((t.transpose(dim as isize, -1)?, true))
    }
}

/// `t` itself when it is contiguous (no copy), else a contiguous copy.
pub(crate) fn contiguous(t: &Tensor) -> Result<Tensor> {
    if t.is_contiguous() {
        Ok(t.clone())
    } else {
        t.contiguous()
    }
}

/// The product of some of a tensor's sizes, without overflow: 0 when any is 0, else their product.
/// That divides the tensor's element count, and so fits, unless the tensor is empty through a zero
/// among its other sizes (`[2^40, 2^40]` of `[0, 2^40, 2^40]`): then it saturates at `usize::MAX`,
/// and callers return before using it, since an empty tensor has nothing to compute.
pub(crate) fn size_product<'a>(sizes: impl IntoIterator<Item = &'a usize>) -> usize {
    let (product, zero) = sizes.into_iter().fold((1usize, false), |(p, z), &s| {
        (p.saturating_mul(s), z || s == 0)
    });
    if zero { 0 } else { product }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dims_wrap_like_pytorch() {
        assert_eq!(wrap_dim(-1, 3).unwrap(), 2);
        assert_eq!(wrap_dim(0, 0).unwrap(), 0);
        assert_eq!(wrap_dim(-1, 0).unwrap(), 0);
        assert!(wrap_dim(3, 3).is_err());
        assert!(wrap_dim(-4, 3).is_err());
        assert_eq!(
            reduced_dims("t", Some(&[0, -1]), 3).unwrap(),
            vec![true, false, true]
        );
        assert_eq!(reduced_dims("t", None, 2).unwrap(), vec![true, true]);
        assert_eq!(reduced_dims("t", Some(&[]), 2).unwrap(), vec![true, true]);
        assert!(reduced_dims("t", Some(&[1, -1]), 2).is_err());
        assert_eq!(
            reduced_dims("t", Some(&[-1]), 0).unwrap(),
            Vec::<bool>::new()
        );
        assert!(reduced_dims("t", Some(&[0, -1]), 0).is_err());
    }

    #[test]
    fn size_products_never_overflow() {
        let big = 1usize << 40;
        assert_eq!(size_product(&[]), 1);
        assert_eq!(size_product(&[2, 3]), 6);
        assert_eq!(size_product(&[big, big, 0]), 0);
        assert_eq!(size_product(&[big, big]), usize::MAX);
    }
}
