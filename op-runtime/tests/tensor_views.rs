//! Every view op against hand-computed expectations and against ndarray doing the same.

use ndarray::{Array, ArrayD, Axis, Dimension, IxDyn, Slice, s};
use op_runtime::{DType, Device, Error, Tensor};

/// `[0, 1, ..., n-1]` as f64 in `shape`, and the same as an ndarray array.
fn pair(shape: &[usize]) -> (Tensor, ArrayD<f64>) {
    let n: usize = shape.iter().product();
    let data: Vec<f64> = (0..n).map(|i| i as f64).collect();
    let t = Tensor::from_vec(data.clone(), shape).unwrap();
    let a = ArrayD::from_shape_vec(IxDyn(shape), data).unwrap();
    (t, a)
}

/// The tensor's elements agree with the array's, read both through `to_array` (strided gather)
/// and through the zero-copy `view`.
fn same<D: Dimension>(t: &Tensor, a: &Array<f64, D>) {
    let a = a.view().into_dyn();
    assert_eq!(t.shape(), a.shape());
    assert_eq!(t.to_array::<f64>().unwrap(), a);
    assert_eq!(*t.view::<f64>().unwrap(), a);
}

#[test]
fn transpose_and_permute() {
    let (t, a) = pair(&[2, 3, 4]);
    let tt = t.transpose(0, 2).unwrap();
    assert_eq!(
        (tt.shape(), tt.strides()),
        (&[4, 3, 2][..], &[1, 4, 12][..])
    );
    assert!(tt.same_storage(&t) && !tt.is_contiguous());
    same(&tt, &a.clone().permuted_axes(IxDyn(&[2, 1, 0])));
    same(
        &t.transpose(-1, -2).unwrap(),
        &a.clone().permuted_axes(IxDyn(&[0, 2, 1])),
    );
    let p = t.permute(&[1, -1, 0]).unwrap();
    assert_eq!((p.shape(), p.strides()), (&[3, 4, 2][..], &[4, 1, 12][..]));
    same(&p, &a.clone().permuted_axes(IxDyn(&[1, 2, 0])));
    assert!(matches!(
        t.permute(&[0, 0, 1]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(t.permute(&[0, 1]), Err(Error::InvalidArgument(_))));
    assert_eq!(
        t.transpose(0, 3).unwrap_err(),
        Error::DimOutOfRange { dim: 3, ndim: 3 }
    );
}

#[test]
fn narrow_select_slice() {
    let (t, a) = pair(&[4, 5]);
    let n = t.narrow(1, 1, 3).unwrap();
    assert_eq!(
        (n.shape(), n.strides(), n.offset()),
        (&[4, 3][..], &[5, 1][..], 1)
    );
    same(&n, &a.slice(s![.., 1..4]).to_owned());
    same(
        &t.narrow(0, -2, 2).unwrap(),
        &a.slice(s![2..4, ..]).to_owned(),
    );
    assert!(t.narrow(1, 3, 3).is_err());
    assert!(t.narrow(1, 6, 0).is_err());
    assert_eq!(t.narrow(1, 5, 0).unwrap().numel(), 0);

    let r = t.select(0, -1).unwrap();
    assert_eq!((r.shape(), r.offset()), (&[5][..], 15));
    same(&r, &a.index_axis(Axis(0), 3).to_owned());
    same(
        &t.select(1, 2).unwrap(),
        &a.index_axis(Axis(1), 2).to_owned(),
    );
    let err = t.select(0, 4).unwrap_err();
    assert_eq!(
        err,
        Error::IndexOutOfRange {
            index: 4,
            dim: 0,
            size: 4
        }
    );
    assert!(
        err.to_string()
            .starts_with("index 4 is out of bounds for dimension 0 with size 4")
    );
    assert!(t.select(0, -5).is_err());

    // PyTorch's slice semantics: wrap negatives once, clamp, empty when end <= start.
    let cases: [(isize, isize, isize, Slice); 6] = [
        (1, 4, 2, Slice::new(1, Some(4), 2)),
        (-3, isize::MAX, 1, Slice::new(2, None, 1)),
        (0, -1, 3, Slice::new(0, Some(4), 3)),
        (-100, 100, 2, Slice::new(0, None, 2)),
        (3, 1, 1, Slice::new(3, Some(3), 1)),
        (5, 9, 1, Slice::new(5, Some(5), 1)),
    ];
    for (start, end, step, slice) in cases {
        let v = t.slice(1, start, end, step).unwrap();
        same(&v, &a.slice_axis(Axis(1), slice).to_owned());
    }
    assert!(matches!(
        t.slice(0, 0, 4, 0),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        t.slice(0, 0, 4, -1),
        Err(Error::InvalidArgument(_))
    ));
    // A huge step leaves one element and must not overflow.
    assert_eq!(t.slice(0, 0, 4, isize::MAX).unwrap().shape(), &[1, 5]);
}

#[test]
fn flip_uses_negative_strides() {
    let (t, a) = pair(&[3, 4]);
    let f = t.flip(1).unwrap();
    assert_eq!((f.strides(), f.offset()), (&[4, -1][..], 3));
    assert!(f.same_storage(&t));
    let mut expected = a.clone();
    expected.invert_axis(Axis(1));
    same(&f, &expected);
    let ff = f.flip(0).unwrap();
    assert_eq!((ff.strides(), ff.offset()), (&[-4, -1][..], 11));
    expected.invert_axis(Axis(0));
    same(&ff, &expected);
    assert_eq!(
        ff.to_vec::<f64>().unwrap(),
        (0..12).rev().map(f64::from).collect::<Vec<_>>()
    );
    // Flipping back restores the original layout.
    let back = ff.flip(0).unwrap().flip(1).unwrap();
    assert_eq!((back.strides(), back.offset()), (t.strides(), 0));
    // Views of flipped views: narrow, slice, select, transpose.
    same(
        &ff.narrow(1, 1, 2).unwrap(),
        &expected.slice(s![.., 1..3]).to_owned(),
    );
    same(
        &ff.slice(0, 1, 3, 1).unwrap(),
        &expected.slice(s![1..3, ..]).to_owned(),
    );
    same(
        &ff.select(1, 0).unwrap(),
        &expected.index_axis(Axis(1), 0).to_owned(),
    );
    same(&ff.transpose(0, 1).unwrap(), &expected.t().to_owned());
    // Empty slices of flipped dims stay valid.
    let e = ff.slice(0, 3, 3, 1).unwrap();
    assert_eq!(
        (e.shape(), e.to_vec::<f64>().unwrap()),
        (&[0, 4][..], vec![])
    );
    assert_eq!(ff.narrow(0, 3, 0).unwrap().numel(), 0);
}

#[test]
fn expand_and_broadcast_use_zero_strides() {
    let (t, a) = pair(&[3, 1]);
    let e = t.expand(&[2, 3, 4]).unwrap();
    assert_eq!((e.shape(), e.strides()), (&[2, 3, 4][..], &[0, 1, 0][..]));
    same(&e, &a.broadcast(IxDyn(&[2, 3, 4])).unwrap().to_owned());
    let k = t.expand(&[-1, 5]).unwrap();
    assert_eq!(k.shape(), &[3, 5]);
    let b = t.broadcast_to(&[2, 3, 4]).unwrap();
    assert_eq!(b.strides(), e.strides());
    assert!(!e.is_contiguous());

    let err = t.expand(&[4, 4]).unwrap_err();
    assert!(matches!(err, Error::InvalidShape { .. }));
    assert!(
        err.to_string().contains("must match the existing size (3)"),
        "{err}"
    );
    assert!(t.expand(&[5]).is_err());
    assert!(t.expand(&[-1, 3, 1]).is_err());
    let err = t.broadcast_to(&[4, 4]).unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("cannot broadcast shape [3, 1] to [4, 4]"),
        "{err}"
    );
    assert!(matches!(
        t.expand(&[1 << 40, 1 << 40, 3, 1]),
        Err(Error::ShapeOverflow { .. })
    ));
}

#[test]
fn squeeze_and_unsqueeze() {
    let (t, a) = pair(&[1, 3, 1, 2]);
    let s = t.squeeze();
    assert_eq!((s.shape(), s.strides()), (&[3, 2][..], &[2, 1][..]));
    assert_eq!(t.squeeze_dim(0).unwrap().shape(), &[3, 1, 2]);
    assert_eq!(t.squeeze_dim(1).unwrap().shape(), &[1, 3, 1, 2]);
    assert_eq!(t.squeeze_dim(-2).unwrap().shape(), &[1, 3, 2]);
    let u = s.unsqueeze(1).unwrap();
    assert_eq!((u.shape(), u.strides()), (&[3, 1, 2][..], &[2, 2, 1][..]));
    let u = s.unsqueeze(-1).unwrap();
    assert_eq!((u.shape(), u.strides()), (&[3, 2, 1][..], &[2, 1, 1][..]));
    same(
        &u,
        &a.clone().into_shape_with_order(IxDyn(&[3, 2, 1])).unwrap(),
    );
    assert!(s.unsqueeze(3).is_err());
    assert_eq!(Tensor::scalar(1i32).unsqueeze(0).unwrap().shape(), &[1]);
    assert_eq!(Tensor::scalar(1i32).unsqueeze(-1).unwrap().shape(), &[1]);
}

#[test]
fn reshape_views_when_possible_and_copies_otherwise() {
    let (t, a) = pair(&[2, 3, 4]);
    let r = t.reshape(&[6, -1]).unwrap();
    assert!(r.same_storage(&t));
    same(
        &r,
        &a.clone().into_shape_with_order(IxDyn(&[6, 4])).unwrap(),
    );
    let v = t.view_shape(&[4, 6]).unwrap();
    assert_eq!(v.strides(), &[6, 1]);

    let tt = t.transpose(1, 2).unwrap(); // [2, 4, 3]
    // Merging the first two dims of the transpose is impossible without a copy...
    let err = tt.view_shape(&[8, 3]).unwrap_err();
    assert!(matches!(err, Error::ViewNotPossible { .. }));
    assert!(err.to_string().contains("use .reshape"), "{err}");
    let r = tt.reshape(&[8, 3]).unwrap();
    assert!(!r.same_storage(&t) && r.is_contiguous());
    let expected = a.clone().permuted_axes(IxDyn(&[0, 2, 1]));
    let expected = expected
        .as_standard_layout()
        .into_owned()
        .into_shape_with_order(IxDyn(&[8, 3]));
    same(&r, &expected.unwrap());
    // ...but splitting a dim of it is a view.
    let split = tt.view_shape(&[2, 2, 2, 3]).unwrap();
    assert_eq!(split.strides(), &[12, 2, 1, 4]);

    assert!(matches!(
        t.reshape(&[5, -1]),
        Err(Error::InvalidShape { .. })
    ));
    assert!(matches!(
        t.reshape(&[-1, -1]),
        Err(Error::InvalidShape { .. })
    ));
    assert!(
        t.reshape(&[-1, 5])
            .unwrap_err()
            .to_string()
            .contains("input of size 24")
    );
    assert_eq!(t.reshape(&[24]).unwrap().strides(), &[1]);
    assert_eq!(
        Tensor::scalar(3.0f32).reshape(&[1, 1]).unwrap().strides(),
        &[1, 1]
    );
    assert_eq!(
        t.narrow(0, 0, 1).unwrap().reshape(&[-1]).unwrap().shape(),
        &[12]
    );
    let empty = Tensor::zeros(&[0, 3], DType::F32, Device::Cpu).unwrap();
    let err = empty.reshape(&[3, 0, -1]).unwrap_err();
    assert!(err.to_string().contains("invalid"), "{err}");
    assert_eq!(empty.reshape(&[3, 0]).unwrap().strides(), &[1, 1]);
}

#[test]
fn contiguity_follows_pytorch() {
    let (t, _) = pair(&[3, 1, 2]);
    assert!(t.is_contiguous());
    // The stride of a size-1 dim does not matter.
    assert!(
        t.transpose(0, 1)
            .unwrap()
            .transpose(0, 1)
            .unwrap()
            .is_contiguous()
    );
    assert!(t.unsqueeze(0).unwrap().is_contiguous());
    assert!(!t.flip(0).unwrap().is_contiguous());
    assert!(t.narrow(0, 1, 2).unwrap().is_contiguous());
    assert!(!t.narrow(2, 0, 1).unwrap().is_contiguous());
    assert!(t.narrow(0, 0, 0).unwrap().is_contiguous());
}

#[test]
fn overlap_checks() {
    let (t, _) = pair(&[4, 4]);
    let top = t.narrow(0, 0, 2).unwrap();
    let bottom = t.narrow(0, 2, 2).unwrap();
    assert!(!top.overlaps(&bottom));
    assert!(top.same_storage(&bottom));
    assert!(top.overlaps(&t) && t.overlaps(&bottom));
    // Interleaved columns overlap conservatively (min/max address ranges intersect).
    let even = t.slice(1, 0, 4, 2).unwrap();
    let odd = t.slice(1, 1, 4, 2).unwrap();
    assert!(even.overlaps(&odd));
    let other = Tensor::zeros(&[4, 4], DType::F64, Device::Cpu).unwrap();
    assert!(!t.overlaps(&other) && !t.same_storage(&other));
    assert!(!t.narrow(0, 0, 0).unwrap().overlaps(&t));
    assert!(t.flip(0).unwrap().overlaps(&top));
}

/// PyTorch lets `transpose`, `flip` and `squeeze(dim)` take dim 0 or -1 of a 0-d tensor (a no-op);
/// `narrow`, `select` and `size` refuse it, as PyTorch does.
#[test]
fn zero_dim_tensors_take_dim_0_where_pytorch_does() {
    let t = Tensor::from_vec(vec![5i64], &[]).unwrap();
    for v in [
        t.transpose(0, -1).unwrap(),
        t.flip(0).unwrap(),
        t.squeeze_dim(-1).unwrap(),
        t.squeeze_dim(0).unwrap(),
    ] {
        assert_eq!((v.shape(), v.to_vec::<i64>().unwrap()), (&[][..], vec![5]));
    }
    assert!(matches!(t.flip(1), Err(Error::DimOutOfRange { .. })));
    assert!(matches!(
        t.transpose(0, -2),
        Err(Error::DimOutOfRange { .. })
    ));
    assert!(t.narrow(0, 0, 1).is_err());
    assert!(t.select(0, 0).is_err());
    assert!(t.size(0).is_err());
}

/// Every empty tensor is contiguous (PyTorch), whatever the strides of its other dims.
#[test]
fn empty_views_are_contiguous() {
    let z = Tensor::zeros(&[2, 0, 3], DType::F32, Device::Cpu).unwrap();
    let t = z.transpose(0, 2).unwrap();
    assert_eq!(t.shape(), &[3, 0, 2]);
    assert!(t.is_contiguous());
    assert!(t.as_slice::<f32>().unwrap().is_empty());
    let e = Tensor::zeros(&[1], DType::F32, Device::Cpu)
        .unwrap()
        .expand(&[0, 3])
        .unwrap();
    assert!(e.is_contiguous());
}
