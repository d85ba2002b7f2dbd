//! `Display` snapshots, checked against what PyTorch prints for the same tensors (dtype printed
//! without the `torch.` prefix).

use op_runtime::{DType, Device, Tensor, bf16};

fn t<T: op_runtime::Element>(data: Vec<T>, shape: &[usize]) -> Tensor {
    Tensor::from_vec(data, shape).unwrap()
}

#[test]
fn floats() {
    assert_eq!(
        t(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).to_string(),
        "tensor([[1., 2.],\n        [3., 4.]], dtype=float64)"
    );
    assert_eq!(
        t(vec![1.5f32, 2.25], &[2]).to_string(),
        "tensor([1.5000, 2.2500])"
    );
    assert_eq!(
        t(vec![1.5f32, -2.0], &[1, 2]).to_string(),
        "tensor([[ 1.5000, -2.0000]])"
    );
    assert_eq!(
        t(vec![1e-5f32, 1.0], &[2]).to_string(),
        "tensor([1.0000e-05, 1.0000e+00])"
    );
    assert_eq!(
        t(vec![1.0f32, 1e9], &[2]).to_string(),
        "tensor([1.0000e+00, 1.0000e+09])"
    );
    assert_eq!(
        t(vec![f32::NAN, 1.0, f32::NEG_INFINITY], &[3]).to_string(),
        "tensor([nan, 1., -inf])"
    );
    assert_eq!(
        Tensor::zeros(&[3], DType::F32, Device::Cpu)
            .unwrap()
            .to_string(),
        "tensor([0., 0., 0.])"
    );
    assert_eq!(Tensor::scalar(3.0f32).to_string(), "tensor(3.)");
    assert_eq!(
        Tensor::scalar(0.5f64).to_string(),
        "tensor(0.5000, dtype=float64)"
    );
    assert_eq!(
        t(vec![bf16::from_f32(1.0), bf16::from_f32(-0.5)], &[2]).to_string(),
        "tensor([ 1.0000, -0.5000], dtype=bfloat16)"
    );
    assert_eq!(
        Tensor::ones(&[2], DType::F16, Device::Cpu)
            .unwrap()
            .to_string(),
        "tensor([1., 1.], dtype=float16)"
    );
}

#[test]
fn integers_and_bools() {
    assert_eq!(
        Tensor::arange(10, DType::I64).unwrap().to_string(),
        "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"
    );
    assert_eq!(
        t(vec![1i32, -20], &[2]).to_string(),
        "tensor([  1, -20], dtype=int32)"
    );
    assert_eq!(
        t(vec![true, false, true], &[3]).to_string(),
        "tensor([ True, False,  True])"
    );
    assert_eq!(Tensor::scalar(7u8).to_string(), "tensor(7, dtype=uint8)");
    assert_eq!(
        Tensor::arange(8, DType::I8)
            .unwrap()
            .reshape(&[2, 2, 2])
            .unwrap()
            .to_string(),
        "tensor([[[0, 1],\n         [2, 3]],\n\n        [[4, 5],\n         [6, 7]]], dtype=int8)"
    );
}

#[test]
fn empty_tensors() {
    assert_eq!(
        Tensor::zeros(&[0], DType::F32, Device::Cpu)
            .unwrap()
            .to_string(),
        "tensor([])"
    );
    assert_eq!(
        Tensor::zeros(&[2, 0], DType::F32, Device::Cpu)
            .unwrap()
            .to_string(),
        "tensor([], size=(2, 0))"
    );
    assert_eq!(
        Tensor::zeros(&[0], DType::I64, Device::Cpu)
            .unwrap()
            .to_string(),
        "tensor([], dtype=int64)"
    );
}

#[test]
fn strided_views_print_their_elements() {
    let x = Tensor::arange(6, DType::I64)
        .unwrap()
        .reshape(&[2, 3])
        .unwrap();
    assert_eq!(
        x.transpose(0, 1).unwrap().to_string(),
        "tensor([[0, 3],\n        [1, 4],\n        [2, 5]])"
    );
    assert_eq!(
        x.flip(1).unwrap().to_string(),
        "tensor([[2, 1, 0],\n        [5, 4, 3]])"
    );
}

#[test]
fn long_rows_wrap() {
    let x = Tensor::arange(30, DType::F32)
        .unwrap()
        .to_dtype(DType::F64)
        .unwrap();
    let x = x.slice(0, 0, 30, 1).unwrap();
    let expected = "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        \
                    14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n        \
                    28., 29.], dtype=float64)";
    assert_eq!(x.to_string(), expected);
}

#[test]
fn large_tensors_are_elided() {
    assert_eq!(
        Tensor::arange(2000, DType::F32).unwrap().to_string(),
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"
    );
    assert_eq!(
        Tensor::arange(10000, DType::I64).unwrap().to_string(),
        "tensor([   0,    1,    2,  ..., 9997, 9998, 9999])"
    );
    let m = Tensor::arange(2000, DType::I64)
        .unwrap()
        .reshape(&[100, 20])
        .unwrap();
    let expected = "tensor([[   0,    1,    2,  ...,   17,   18,   19],
        [  20,   21,   22,  ...,   37,   38,   39],
        [  40,   41,   42,  ...,   57,   58,   59],
        ...,
        [1940, 1941, 1942,  ..., 1957, 1958, 1959],
        [1960, 1961, 1962,  ..., 1977, 1978, 1979],
        [1980, 1981, 1982,  ..., 1997, 1998, 1999]])";
    assert_eq!(m.to_string(), expected);
    // Small dims are not elided, even in a large tensor.
    let tall = Tensor::zeros(&[1001, 2], DType::I32, Device::Cpu).unwrap();
    let text = tall.to_string();
    assert!(
        text.starts_with("tensor([[0, 0],\n        [0, 0],\n        [0, 0],\n        ...,\n"),
        "{text}"
    );
    assert!(text.ends_with("[0, 0]], dtype=int32)"), "{text}");
}
