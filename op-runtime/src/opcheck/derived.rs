//! Checks on inputs derived from a sample: strided copies, and for pointwise ops (whose shape rule
//! is known) zero-size, single-element and broadcast inputs.

use op_schema::Type;

use super::sample::call_bound;
use super::{compare_exact, map_tensors, result_tensors};
use crate::opcheck::Outcome;
use crate::{Error, OpHandle, Result, Tensor, Value};

fn tensor_args(op: &OpHandle<'_>) -> bool {
    op.schema()
        .arguments()
        .iter()
        .any(|a| matches!(a.ty, Type::Base(op_schema::BaseType::Tensor)))
}

/// Strided copies of the tensor arguments (same values, every other element of a buffer twice
/// as long) must give the same results.
pub(super) fn non_contiguous(op: &OpHandle<'_>, args: &[Value], results: &[Value]) -> Outcome {
    if !tensor_args(op) || op.schema().arguments().iter().any(|a| a.is_write()) {
        return Outcome::Skipped("no read-only tensor arguments".into());
    }
    let strided = map_tensors(args, &|t: &Tensor| {
        if t.numel() == 0 || t.dim() == 0 {
            return Ok(t.clone());
        }
        let last = t.dim() - 1;
        let mut wide = t.shape().to_vec();
        wide[last] *= 2;
        let buffer = Tensor::zeros(&wide, t.dtype(), t.device())?;
        let mut view = buffer.slice(last as isize, 0, wide[last] as isize, 2)?;
        view.copy_from(t)?;
        Ok(view)
    });
    match strided.and_then(|a| call_bound(op, &a)) {
        Ok(r) => compare_exact(
            &result_tensors(results),
            &result_tensors(&r),
            "contiguous inputs",
            "strided inputs",
        ),
        Err(e) => Outcome::Failed(format!("strided inputs failed: {e}")),
    }
}

pub(super) fn derive_zero_size(t: &Tensor) -> Result<Tensor> {
    Tensor::empty(&[0], t.dtype(), t.device())
}

pub(super) fn derive_single_element(t: &Tensor) -> Result<Tensor> {
    let flat = t.contiguous()?.reshape(&[-1])?;
    if flat.numel() == 0 {
        Ok(flat)
    } else {
        flat.narrow(0, 0, 1)
    }
}

/// Pointwise ops only: derived inputs, compared with a result computed element by element.
pub(super) fn pointwise_variant(
    op: &OpHandle<'_>,
    args: &[Value],
    derive: fn(&Tensor) -> Result<Tensor>,
) -> Outcome {
    if !op.is_pointwise() {
        return Outcome::Skipped("derived shapes are checked for pointwise ops only".into());
    }
    let derived = match map_tensors(args, &derive) {
        Ok(d) => d,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let expected_len = derived
        .iter()
        .filter_map(Value::as_tensor)
        .map(Tensor::numel)
        .max()
        .unwrap_or(0);
    match call_bound(op, &derived) {
        Ok(r) => match result_tensors(&r).first() {
            Some(t) if t.numel() == expected_len => {
                // Each element must equal the op on the full sample at the same position.
                match call_bound(op, args) {
                    Ok(full) => {
                        let full = result_tensors(&full);
                        let prefix = full.first().map(derive);
                        match prefix {
                            Some(Ok(p)) => compare_exact(
                                &[p],
                                std::slice::from_ref(t),
                                "the full sample's first elements",
                                "derived inputs",
                            ),
                            Some(Err(e)) => Outcome::Failed(e.to_string()),
                            None => Outcome::Failed("no result".into()),
                        }
                    }
                    Err(e) => Outcome::Failed(e.to_string()),
                }
            }
            Some(t) => Outcome::Failed(format!(
                "derived inputs gave {} elements, expected {expected_len}",
                t.numel()
            )),
            None => Outcome::Failed("no tensor result".into()),
        },
        Err(e) => Outcome::Failed(format!("derived inputs failed: {e}")),
    }
}

/// Pointwise ops with several tensors: one argument replaced by a broadcast view of its first
/// element must equal the same values materialised.
pub(super) fn broadcast(op: &OpHandle<'_>, args: &[Value]) -> Outcome {
    if !op.is_pointwise() {
        return Outcome::Skipped("broadcasting is checked for pointwise ops only".into());
    }
    let Some(shape) = args
        .iter()
        .filter_map(Value::as_tensor)
        .map(|t| t.shape().to_vec())
        .max_by_key(|s| s.len())
    else {
        return Outcome::Skipped("no tensors".into());
    };
    let last = args
        .iter()
        .rposition(|v| v.as_tensor().is_some_and(|t| t.numel() > 0));
    let Some(index) = last else {
        return Outcome::Skipped("no non-empty tensors".into());
    };
    let run = || -> Result<Outcome> {
        let t = args[index]
            .as_tensor()
            .ok_or_else(|| Error::Internal("not a tensor".into()))?;
        let first = derive_single_element(t)?;
        let broadcast = first.reshape(&vec![1; shape.len()])?.broadcast_to(&shape)?;
        let materialised = broadcast.contiguous()?;
        let mut with_view = args.to_vec();
        with_view[index] = Value::Tensor(broadcast);
        let mut with_copy = args.to_vec();
        with_copy[index] = Value::Tensor(materialised);
        let a = result_tensors(&call_bound(op, &with_view)?);
        let b = result_tensors(&call_bound(op, &with_copy)?);
        Ok(compare_exact(
            &b,
            &a,
            "materialised inputs",
            "broadcast inputs",
        ))
    };
    run().unwrap_or_else(|e| Outcome::Failed(format!("broadcast inputs failed: {e}")))
}
