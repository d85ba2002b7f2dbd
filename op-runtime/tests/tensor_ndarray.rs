//! ndarray interop: zero-copy `From<Array>`, views for every element type, negative and zero
//! strides, and the errors.

use half::{bf16, f16};
use ndarray::{Array, ArrayD, Axis, IxDyn, array, s};
use op_runtime::{DType, Device, Element, Error, Tensor};

fn values<T: Element>(n: usize) -> Vec<T> {
    (0..n as i64).map(|i| T::from_i64(i % 2 + i / 3)).collect()
}

fn round_trip<T: Element + Pick>() {
    let data = values::<T>(24);
    let a = ArrayD::from_shape_vec(IxDyn(&[2, 3, 4]), data.clone()).unwrap();
    let moved = a.clone();
    let ptr = moved.as_ptr();
    let t = Tensor::from(moved);
    assert_eq!(t.dtype(), T::DTYPE);
    assert_eq!(
        t.storage().host_ptr().unwrap(),
        ptr.cast::<u8>(),
        "{}: no copy",
        T::DTYPE
    );
    assert_eq!(t.shape(), &[2, 3, 4]);
    assert_eq!(*t.view::<T>().unwrap(), a.view());
    assert_eq!(t.to_array::<T>().unwrap(), a);
    assert_eq!(t.to_vec::<T>().unwrap(), data);

    // Reversed and strided: the buffer is adopted with negative strides intact.
    let mut rev = a.clone();
    rev.invert_axis(Axis(2));
    let rev = rev.slice_move(s![.., ..;2, ..]).into_dyn();
    let t = Tensor::from_array(rev.clone());
    assert!(t.strides()[2] < 0);
    assert_eq!(*t.view::<T>().unwrap(), rev.view());
    assert_eq!(t.clone().into_array::<T>().unwrap(), rev);

    // Mutation through view_mut lands in the tensor.
    let mut t = Tensor::zeros(&[2, 2], T::DTYPE, Device::Cpu).unwrap();
    t.view_mut::<T>().unwrap()[[1, 0]] = T::from_i64(1);
    assert_eq!(t.to_vec_f64().unwrap(), vec![0.0, 0.0, 1.0, 0.0]);
    assert!(matches!(
        t.view::<Other<T>>(),
        Err(Error::DTypeMismatch { .. })
    ));
}

/// Some element type other than `T`, for the dtype-mismatch check.
type Other<T> = <T as Pick>::Other;
trait Pick {
    type Other: Element;
}
macro_rules! pick {
    ($($t:ty => $o:ty),*) => {$(impl Pick for $t { type Other = $o; })*};
}
pick!(bool => u8, u8 => i8, i8 => u8, i16 => i32, i32 => i16, i64 => f64, f16 => bf16, bf16 => f16, f32 => f64, f64 => f32);

#[test]
fn round_trips_every_element_type() {
    round_trip::<bool>();
    round_trip::<u8>();
    round_trip::<i8>();
    round_trip::<i16>();
    round_trip::<i32>();
    round_trip::<i64>();
    round_trip::<f16>();
    round_trip::<bf16>();
    round_trip::<f32>();
    round_trip::<f64>();
}

#[test]
fn sliced_arrays_keep_their_offset() {
    let a = Array::from_shape_vec((4, 5), (0..20).map(|i| i as f32).collect()).unwrap();
    let sliced = a.slice_move(s![1..3, 2..;2]);
    let t = Tensor::from(sliced.clone());
    assert_eq!((t.offset(), t.strides()), (7, &[5, 2][..]));
    assert_eq!(t.to_array::<f32>().unwrap(), sliced.into_dyn());
    let empty = Array::<f64, _>::zeros((0, 3));
    let t = Tensor::from(empty);
    assert_eq!((t.shape(), t.numel()), (&[0, 3][..], 0));
    assert_eq!(t.view::<f64>().unwrap().shape(), &[0, 3]);
    let scalar = Tensor::from(ndarray::arr0(5i32));
    assert_eq!(scalar.item::<i32>().unwrap(), 5);
}

#[test]
fn views_of_tensor_views() {
    let t = Tensor::from(array![[1.0f64, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let f = t.flip(0).unwrap().flip(1).unwrap();
    assert_eq!(
        *f.view::<f64>().unwrap(),
        array![[6.0, 5.0, 4.0], [3.0, 2.0, 1.0]].into_dyn()
    );
    let e = t
        .select(0, 1)
        .unwrap()
        .unsqueeze(0)
        .unwrap()
        .expand(&[3, 3])
        .unwrap();
    let v = e.view::<f64>().unwrap();
    assert_eq!(v.strides(), &[0, 1]);
    assert_eq!(
        *v,
        array![[4.0, 5.0, 6.0], [4.0, 5.0, 6.0], [4.0, 5.0, 6.0]].into_dyn()
    );
    drop(v);
    let tt = t.transpose(0, 1).unwrap();
    assert_eq!(
        *tt.view::<f64>().unwrap(),
        array![[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]].into_dyn()
    );
    let empty_flip = t.narrow(1, 0, 0).unwrap().flip(0).unwrap();
    assert_eq!(empty_flip.view::<f64>().unwrap().len(), 0);
}

#[test]
fn view_mut_through_negative_strides() {
    let base = Tensor::zeros(&[2, 3], DType::I32, Device::Cpu).unwrap();
    let mut f = base.flip(1).unwrap().transpose(0, 1).unwrap();
    {
        let mut v = f.view_mut::<i32>().unwrap();
        assert_eq!(v.shape(), &[3, 2]);
        for (i, x) in v.iter_mut().enumerate() {
            *x = i as i32;
        }
    }
    // f[i][j] = base[j][2 - i]
    assert_eq!(base.to_vec::<i32>().unwrap(), vec![4, 2, 0, 5, 3, 1]);
}

#[test]
fn view_mut_refuses_overlap() {
    let mut e = Tensor::zeros(&[1, 4], DType::F32, Device::Cpu)
        .unwrap()
        .expand(&[3, 4])
        .unwrap();
    let err = e.view_mut::<f32>().unwrap_err();
    assert_eq!(
        err,
        Error::OverlappingWrite {
            shape: vec![3, 4],
            strides: vec![0, 1]
        }
    );
    assert!(err.to_string().contains("overlap in memory"));
    // Reading the broadcast view is fine.
    assert_eq!(e.view::<f32>().unwrap().len(), 12);
    // Size-1 dims with stride 0 are no overlap.
    let mut one = Tensor::zeros(&[4], DType::F32, Device::Cpu)
        .unwrap()
        .expand(&[1, 4])
        .unwrap();
    assert!(one.view_mut::<f32>().is_ok());
}

#[test]
fn view_errors() {
    let t = Tensor::from(array![1u8, 2]);
    assert_eq!(
        t.view::<i8>().unwrap_err(),
        Error::DTypeMismatch {
            expected: DType::I8,
            found: DType::U8
        }
    );
    assert!(t.to_array::<i8>().is_err());
}
