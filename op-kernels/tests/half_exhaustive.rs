//! Every f16 and every bf16 input through the transcendental activations, against the f64 ops
//! rounded once to the half type: within 1 ULP (the documented bound for halves, which compute in
//! f32 lanes with [`Simd::exp_half`]-based math). Runs at the detected level; the per-level tests
//! elsewhere check that every level gives the same bits.
//!
//! [`Simd::exp_half`]: op_kernels::simd::Simd::exp_half

use half::{bf16, f16};
use op_kernels::simd::{Element, SimdError, ops};

type Op<T> = fn(&[T], &mut [T]) -> Result<(), SimdError>;

/// Total order of a half's bit pattern (sign-magnitude to integer), for ULP distances.
fn ord(b: u16) -> i64 {
    if b >> 15 == 1 {
        -((b & 0x7fff) as i64)
    } else {
        b as i64
    }
}

fn check<T: Element>(
    name: &str,
    op: Op<T>,
    reference: Op<f64>,
    bits: fn(T) -> u16,
    from: fn(u16) -> T,
) {
    let xs: Vec<T> = (0..=u16::MAX).map(from).collect();
    let mut y = xs.clone();
    op(&xs, &mut y).unwrap();
    let x64: Vec<f64> = xs.iter().map(|v| v.to_f64()).collect();
    let mut y64 = x64.clone();
    reference(&x64, &mut y64).unwrap();
    for i in 0..xs.len() {
        let want = T::from_f64(y64[i]);
        if want.to_f64().is_nan() {
            assert!(
                y[i].to_f64().is_nan(),
                "{name} {}({:e}): {:e}, want NaN",
                T::DTYPE,
                x64[i],
                y[i].to_f64()
            );
            continue;
        }
        // Below -5 the f64 reference of gelu cancels (1 + erf or 1 + tanh near -1): no reference.
        if name.starts_with("gelu") && x64[i] < -5.0 {
            continue;
        }
        let d = (ord(bits(y[i])) - ord(bits(want))).abs();
        assert!(
            d <= 1,
            "{name} {}({:e}) = {:e}, want {:e}: {d} ULP",
            T::DTYPE,
            x64[i],
            y[i].to_f64(),
            want.to_f64()
        );
    }
}

macro_rules! every_op {
    ($t:ty, $bits:expr, $from:expr) => {
        let cases: [(&str, Op<$t>, Op<f64>); 6] = [
            ("exp", ops::exp::<$t>, ops::exp::<f64>),
            ("tanh", ops::tanh::<$t>, ops::tanh::<f64>),
            ("sigmoid", ops::sigmoid::<$t>, ops::sigmoid::<f64>),
            ("silu", ops::silu::<$t>, ops::silu::<f64>),
            ("gelu_tanh", ops::gelu_tanh::<$t>, ops::gelu_tanh::<f64>),
            ("gelu_erf", ops::gelu_erf::<$t>, ops::gelu_erf::<f64>),
        ];
        for (name, op, reference) in cases {
            check(name, op, reference, $bits, $from);
        }
    };
}

#[test]
fn every_f16_within_one_ulp() {
    every_op!(f16, |v: f16| v.to_bits(), f16::from_bits);
}

#[test]
fn every_bf16_within_one_ulp() {
    every_op!(bf16, |v: bf16| v.to_bits(), bf16::from_bits);
}
