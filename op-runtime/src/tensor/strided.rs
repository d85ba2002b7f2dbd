//! Walking the elements of one or more layouts of the same shape in row-major order: the loop
//! under every strided copy, gather and comparison.

use super::dims::Dims;

/// Calls `f` with the storage index of each element, for `N` layouts of one `shape` at once
/// (`strides[k]` and `offsets[k]` describe layout `k`), in row-major order of `shape`.
///
/// Dimensions of size 1 are skipped and neighbouring dimensions that are evenly strided in every
/// layout are merged first, so a contiguous walk is a single flat loop.
///
/// The caller guarantees that every layout fits its storage (`Layout::fits`): then every index
/// passed to `f` is non-negative and the `as usize` conversions are exact. Positions one step past
/// the end are computed but never used, so the arithmetic wraps instead of checking.
pub(crate) fn walk<const N: usize>(
    shape: &[usize],
    strides: [&[isize]; N],
    offsets: [usize; N],
    mut f: impl FnMut([usize; N]),
) {
    if shape.contains(&0) {
        return;
    }
    let mut sizes = Dims::<usize>::filled(shape.len());
    let mut steps: [Dims<isize>; N] = std::array::from_fn(|_| Dims::filled(shape.len()));
    let mut ndim = 0;
    for (d, &size) in shape.iter().enumerate() {
        if size == 1 {
            continue;
        }
        let mergeable = ndim > 0
            && (0..N)
                .all(|k| (size as isize).checked_mul(strides[k][d]) == Some(steps[k][ndim - 1]));
        if mergeable {
            sizes[ndim - 1] *= size;
            for k in 0..N {
                steps[k][ndim - 1] = strides[k][d];
            }
        } else {
            sizes[ndim] = size;
            for k in 0..N {
                steps[k][ndim] = strides[k][d];
            }
            ndim += 1;
        }
    }
    let mut base: [isize; N] = std::array::from_fn(|k| offsets[k] as isize);
    if ndim == 0 {
        f(base.map(|i| i as usize));
        return;
    }
    let inner = ndim - 1;
    let inner_len = sizes[inner];
    let inner_step: [isize; N] = std::array::from_fn(|k| steps[k][inner]);
    let mut counters = Dims::<usize>::filled(inner);
    loop {
        let mut at = base;
        for _ in 0..inner_len {
            f(at.map(|i| i as usize));
            for k in 0..N {
                at[k] = at[k].wrapping_add(inner_step[k]);
            }
        }
        // Advance the outer dimensions like an odometer.
        let mut d = inner;
        loop {
            if d == 0 {
                return;
            }
            d -= 1;
            counters[d] += 1;
            for k in 0..N {
                base[k] = base[k].wrapping_add(steps[k][d]);
            }
            if counters[d] < sizes[d] {
                break;
            }
            for k in 0..N {
                base[k] = base[k].wrapping_sub(steps[k][d].wrapping_mul(sizes[d] as isize));
            }
            counters[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn indices(shape: &[usize], strides: &[isize], offset: usize) -> Vec<usize> {
        let mut out = Vec::new();
        walk(shape, [strides], [offset], |[i]| out.push(i));
        out
    }

    #[test]
    fn walks_row_major() {
        assert_eq!(indices(&[2, 3], &[3, 1], 0), vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(indices(&[2, 3], &[1, 2], 0), vec![0, 2, 4, 1, 3, 5]);
        assert_eq!(indices(&[3], &[-1], 2), vec![2, 1, 0]);
        assert_eq!(indices(&[2, 2], &[0, 1], 0), vec![0, 1, 0, 1]);
        assert_eq!(indices(&[], &[], 4), vec![4]);
        assert_eq!(indices(&[2, 0], &[1, 1], 0), Vec::<usize>::new());
        assert_eq!(indices(&[2, 1, 2], &[2, 7, 1], 1), vec![1, 2, 3, 4]);
        assert_eq!(
            indices(&[2, 2, 2], &[4, 2, 1], 0),
            (0..8).collect::<Vec<_>>()
        );
    }

    #[test]
    fn pairs_walk_together() {
        let mut pairs = Vec::new();
        walk(&[2, 2], [&[2, 1][..], &[1, 2][..]], [0, 10], |[a, b]| {
            pairs.push((a, b))
        });
        assert_eq!(pairs, vec![(0, 10), (1, 12), (2, 11), (3, 13)]);
    }
}
