//! Dispatch: from the device and dtype of a call's tensors to one kernel.
//!
//! Resolution is decided once, when the registry is built, and stored as a small table per op
//! indexed by (backend, dtype), so a call costs one array lookup:
//! exact kernel → dtype-generic kernel of the backend → composite kernel (exact dtype, then
//! generic) → [`Error::NoKernel`] listing what is registered.

use crate::error::KernelSite;
use crate::record::{KernelDTypes, KernelDef};
use crate::registry::OpEntry;
use crate::{DType, Device, DeviceKind, Error, Result, Tensor};

/// The device kinds, in dispatch-table order.
const KINDS: [DeviceKind; 3] = [DeviceKind::Cpu, DeviceKind::Cuda, DeviceKind::Ascend];

fn kind_index(kind: DeviceKind) -> usize {
    match kind {
        DeviceKind::Cpu => 0,
        DeviceKind::Cuda => 1,
        DeviceKind::Ascend => 2,
    }
}

/// Slots per device kind: one per dtype, and one for calls without tensors (no dtype).
const SLOTS: usize = DType::ALL.len() + 1;
const NO_DTYPE: usize = DType::ALL.len();

/// The dispatch key of a call: where its tensors live and the dtype of the first one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DispatchKey {
    /// The device of every tensor argument.
    pub device: Device,
    /// The dtype of the first tensor argument; `None` when the call has no tensors.
    pub dtype: Option<DType>,
}

/// Per-op resolution table: `[backend][dtype slot]` → index into the op's kernels.
#[derive(Clone, Debug, Default)]
pub(crate) struct DispatchTable {
    slots: [[Option<u16>; SLOTS]; KINDS.len()],
}

fn slot(dtype: Option<DType>) -> usize {
    // `DType`'s variants are declared in `DType::ALL`'s order (a test below holds it to that), so
    // the discriminant is the index.
    dtype.map_or(NO_DTYPE, |d| d as usize)
}

fn accepts(kernel: &KernelDef, dtype: Option<DType>, exact: bool) -> bool {
    match (kernel.dtypes, dtype) {
        (KernelDTypes::Any, _) => !exact,
        (KernelDTypes::Only(list), Some(d)) => exact && list.contains(&d),
        (KernelDTypes::Only(_), None) => false,
    }
}

impl DispatchTable {
    /// Resolves every slot, and reports kernels that claim the same (backend, dtype).
    pub(crate) fn build(kernels: &[&'static KernelDef]) -> Result<DispatchTable, Vec<Error>> {
        let mut problems = Vec::new();
        for (i, a) in kernels.iter().enumerate() {
            for b in &kernels[i + 1..] {
                if a.backend == b.backend
                    && let Some(key) = overlap(a.dtypes, b.dtypes)
                {
                    let backend = a.backend.map_or("composite".to_string(), |b| b.to_string());
                    problems.push(Error::DuplicateKernel {
                        op: a.op,
                        key: format!("({backend}, {key})").into(),
                        first: Box::new(KernelSite {
                            name: a.name,
                            location: a.location,
                        }),
                        second: Box::new(KernelSite {
                            name: b.name,
                            location: b.location,
                        }),
                    });
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut table = DispatchTable::default();
        for backend in KINDS {
            for s in 0..SLOTS {
                let dtype = DType::ALL.get(s).copied();
                let find = |on: Option<DeviceKind>, exact: bool| {
                    kernels
                        .iter()
                        .position(|k| k.backend == on && accepts(k, dtype, exact))
                };
                let chosen = find(Some(backend), true)
                    .or_else(|| find(Some(backend), false))
                    .or_else(|| find(None, true))
                    .or_else(|| find(None, false));
                // An op has far fewer than 65536 kernels; the narrow index keeps the table small.
                table.slots[kind_index(backend)][s] = chosen.map(|i| i as u16);
            }
        }
        Ok(table)
    }
}

fn overlap(a: KernelDTypes, b: KernelDTypes) -> Option<String> {
    match (a, b) {
        (KernelDTypes::Any, KernelDTypes::Any) => Some("any dtype".to_string()),
        (KernelDTypes::Only(x), KernelDTypes::Only(y)) => {
            x.iter().find(|d| y.contains(d)).map(|d| d.to_string())
        }
        _ => None,
    }
}

impl OpEntry {
    /// The kernel for a dispatch key.
    #[inline]
    pub(crate) fn kernel(&self, key: DispatchKey) -> Result<&'static KernelDef> {
        match self.table.slots[kind_index(key.device.kind())][slot(key.dtype)] {
            Some(i) => Ok(self.kernels[i as usize]),
            None => Err(self.no_kernel(key)),
        }
    }

    #[cold]
    fn no_kernel(&self, key: DispatchKey) -> Error {
        Error::NoKernel {
            op: self.name.clone(),
            device: key.device,
            dtype: key.dtype,
            registered: self
                .kernels
                .iter()
                .map(|k| {
                    let backend = k.backend.map_or("composite".to_string(), |b| b.to_string());
                    match k.dtypes {
                        KernelDTypes::Any => format!("{backend} (any dtype)"),
                        KernelDTypes::Only(ds) => format!(
                            "{backend} ({})",
                            ds.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    }
                })
                .collect(),
        }
    }
}

/// Accumulates the dispatch key over a call's tensor arguments without allocating, and checks
/// that they share one device.
#[derive(Debug)]
pub struct KeyBuilder<'n> {
    first: Option<(&'n str, Device, DType)>,
    conflict: Option<(&'n str, Device)>,
}

impl Default for KeyBuilder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'n> KeyBuilder<'n> {
    /// An empty builder.
    #[inline]
    pub const fn new() -> Self {
        KeyBuilder {
            first: None,
            conflict: None,
        }
    }

    /// Adds one tensor argument, named for error messages.
    #[inline]
    pub fn add(&mut self, name: &'n str, tensor: &Tensor) {
        let device = tensor.device();
        match self.first {
            None => self.first = Some((name, device, tensor.dtype())),
            Some((_, d, _)) if d == device => {}
            Some(_) => {
                if self.conflict.is_none() {
                    self.conflict = Some((name, device));
                }
            }
        }
    }

    /// The key, or [`Error::ArgumentsOnDifferentDevices`]. A call without tensors runs on the CPU
    /// with no dtype.
    #[inline]
    pub fn finish(self, op: &str) -> Result<DispatchKey> {
        match (self.first, self.conflict) {
            (None, _) => Ok(DispatchKey {
                device: Device::Cpu,
                dtype: None,
            }),
            (Some((_, device, dtype)), None) => Ok(DispatchKey {
                device,
                dtype: Some(dtype),
            }),
            (Some((first_arg, first_device, _)), Some((arg, device))) => Err(different_devices(
                op,
                (first_arg, first_device),
                (arg, device),
            )),
        }
    }
}

/// The error for tensors on two devices; out of line, since `finish` is inlined into every typed
/// call.
#[cold]
#[inline(never)]
fn different_devices(op: &str, first: (&str, Device), other: (&str, Device)) -> Error {
    Error::ArgumentsOnDifferentDevices {
        op: op.to_string(),
        first_arg: first.0.to_string(),
        first_device: first.1,
        arg: other.0.to_string(),
        device: other.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_dtype_all() {
        for (i, d) in DType::ALL.iter().enumerate() {
            assert_eq!(slot(Some(*d)), i);
        }
        assert_eq!(slot(None), NO_DTYPE);
    }
}
