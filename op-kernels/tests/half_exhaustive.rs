//! Every f16 and every bf16 input through the transcendental activations, against the f64 ops
//! rounded to the half type (through f32, as `Element::from_f64` rounds): within 1 ULP (the documented bound for halves, which compute in
//! f32 lanes with [`Simd::exp_half`]-based math) at the detected level; and at every level this
//! CPU has, the same bits as the scalar level for every input.
//!
//! [`Simd::exp_half`]: op_kernels::simd::Simd::exp_half

use half::{bf16, f16};
use op_kernels::simd::{self, Element, Isa, SimdError, ops};

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

/// Every input through `op` at each supported level: the same bits as at the scalar level (the
/// backends evaluate the same operations, whatever the vector width or the clamping instruction),
/// except that a NaN may carry another payload.
fn same_bits_at_every_level<T: Element>(
    name: &str,
    op: Op<T>,
    bits: fn(T) -> u16,
    from: fn(u16) -> T,
) {
    let xs: Vec<T> = (0..=u16::MAX).map(from).collect();
    let at = |isa| {
        let mut y = xs.clone();
        simd::with_isa(isa, || op(&xs, &mut y)).unwrap().unwrap();
        y
    };
    let scalar = at(Isa::Scalar);
    for isa in Isa::ALL.into_iter().filter(|i| i.is_supported()) {
        let got = at(isa);
        for i in 0..xs.len() {
            let (g, w) = (got[i].to_f64(), scalar[i].to_f64());
            assert!(
                bits(got[i]) == bits(scalar[i]) || (g.is_nan() && w.is_nan()),
                "{name} {}({:e}) at {isa}: {g:e}, scalar {w:e}",
                T::DTYPE,
                xs[i].to_f64(),
            );
        }
    }
}

/// The transcendental activations and their f64 references.
fn activations<T: Element>() -> [(&'static str, Op<T>, Op<f64>); 6] {
    [
        ("exp", ops::exp::<T>, ops::exp::<f64>),
        ("tanh", ops::tanh::<T>, ops::tanh::<f64>),
        ("sigmoid", ops::sigmoid::<T>, ops::sigmoid::<f64>),
        ("silu", ops::silu::<T>, ops::silu::<f64>),
        ("gelu_tanh", ops::gelu_tanh::<T>, ops::gelu_tanh::<f64>),
        ("gelu_erf", ops::gelu_erf::<T>, ops::gelu_erf::<f64>),
    ]
}

fn f16_bits(v: f16) -> u16 {
    v.to_bits()
}

fn bf16_bits(v: bf16) -> u16 {
    v.to_bits()
}

#[test]
fn every_f16_within_one_ulp() {
    for (name, op, reference) in activations::<f16>() {
        check(name, op, reference, f16_bits, f16::from_bits);
    }
}

#[test]
fn every_bf16_within_one_ulp() {
    for (name, op, reference) in activations::<bf16>() {
        check(name, op, reference, bf16_bits, bf16::from_bits);
    }
}

#[test]
fn every_f16_the_same_bits_at_every_level() {
    for (name, op, _) in activations::<f16>() {
        same_bits_at_every_level(name, op, f16_bits, f16::from_bits);
    }
}

#[test]
fn every_bf16_the_same_bits_at_every_level() {
    for (name, op, _) in activations::<bf16>() {
        same_bits_at_every_level(name, op, bf16_bits, bf16::from_bits);
    }
}
