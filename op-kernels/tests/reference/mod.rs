//! Shared by the SIMD and row-op tests: the instruction-set levels this CPU runs, and float64
//! references of the row ops.

#![allow(dead_code)]

use op_kernels::simd::Isa;

/// Every level this CPU supports (scalar always).
pub fn supported_isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
}

/// Softmax of one row.
pub fn softmax_ref(row: &[f64]) -> Vec<f64> {
    let m = row.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = row.iter().map(|v| (v - m).exp()).collect();
    let s: f64 = e.iter().sum();
    e.iter().map(|v| v / s).collect()
}

/// rms_norm (`center == false`) or layer_norm (`center == true`) of one row, with an optional
/// weight and bias.
pub fn norm_ref(
    row: &[f64],
    w: Option<&[f64]>,
    b: Option<&[f64]>,
    eps: f64,
    center: bool,
) -> Vec<f64> {
    let n = row.len() as f64;
    let mean = if center {
        row.iter().sum::<f64>() / n
    } else {
        0.0
    };
    let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    let rstd = 1.0 / (var + eps).sqrt();
    row.iter()
        .enumerate()
        .map(|(i, v)| (v - mean) * rstd * w.map_or(1.0, |w| w[i]) + b.map_or(0.0, |b| b[i]))
        .collect()
}
