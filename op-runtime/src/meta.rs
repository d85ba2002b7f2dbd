//! [`Meta`]: what shape inference works on (shape, dtype, device — no data), and PyTorch's
//! broadcasting, the default shape rule for pointwise ops.

use std::fmt;

use crate::tensor::checked_numel;
use crate::{DType, Device, Error, Result, Tensor};

/// A tensor's metadata: shape, dtype and device, without storage.
///
/// Shape functions map the `Meta` of the inputs to the `Meta` of the outputs; the functional call
/// allocates its outputs from them.
///
/// ```
/// use op_runtime::{DType, Device, Meta};
/// let a = Meta::new(&[4, 1], DType::F32, Device::Cpu);
/// let b = Meta::new(&[3], DType::F32, Device::Cpu);
/// assert_eq!(Meta::broadcast(&[&a, &b]).unwrap().shape, vec![4, 3]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Meta {
    /// Sizes, outermost first.
    pub shape: Vec<usize>,
    /// Element type.
    pub dtype: DType,
    /// Where the data lives.
    pub device: Device,
}

impl Meta {
    /// A `Meta` from its parts.
    pub fn new(shape: &[usize], dtype: DType, device: Device) -> Self {
        Meta {
            shape: shape.to_vec(),
            dtype,
            device,
        }
    }

    /// The same shape and device with another dtype.
    pub fn with_dtype(mut self, dtype: DType) -> Self {
        self.dtype = dtype;
        self
    }

    /// Number of elements, overflow-checked.
    pub fn numel(&self) -> Result<usize> {
        checked_numel(&self.shape)
    }

    /// PyTorch's broadcasting of several inputs: the shapes are aligned at their last dimension and
    /// each pair of sizes must be equal or one of them 1. All inputs must share one dtype and one
    /// device (this is the rule of the default pointwise shape function; ops that promote dtypes
    /// supply a shape function of their own).
    pub fn broadcast(inputs: &[&Meta]) -> Result<Meta> {
        let Some(first) = inputs.first() else {
            return Err(Error::InvalidArgument(
                "broadcasting needs at least one input".to_string(),
            ));
        };
        for other in &inputs[1..] {
            if other.dtype != first.dtype {
                return Err(Error::DTypeMismatch {
                    expected: first.dtype,
                    found: other.dtype,
                });
            }
            if other.device != first.device {
                return Err(Error::DeviceMismatch {
                    expected: first.device,
                    found: other.device,
                });
            }
        }
        let shapes: Vec<&[usize]> = inputs.iter().map(|m| m.shape.as_slice()).collect();
        Ok(Meta {
            shape: broadcast_shapes(&shapes)?,
            dtype: first.dtype,
            device: first.device,
        })
    }
}

impl From<&Tensor> for Meta {
    fn from(t: &Tensor) -> Self {
        Meta::new(t.shape(), t.dtype(), t.device())
    }
}

impl fmt::Display for Meta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {} on {}", self.shape, self.dtype, self.device)
    }
}

/// PyTorch's broadcasting of shapes (no dtype or device involved).
///
/// ```
/// assert_eq!(op_runtime::broadcast_shapes(&[&[2, 1, 3], &[4, 1]]).unwrap(), vec![2, 4, 3]);
/// assert!(op_runtime::broadcast_shapes(&[&[2], &[3]]).is_err());
/// ```
pub fn broadcast_shapes(shapes: &[&[usize]]) -> Result<Vec<usize>> {
    let ndim = shapes.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![1usize; ndim];
    for shape in shapes {
        let lead = ndim - shape.len();
        for (i, &size) in shape.iter().enumerate() {
            let slot = &mut out[lead + i];
            if *slot == size || size == 1 {
                continue;
            }
            if *slot == 1 {
                *slot = size;
            } else {
                return Err(Error::ShapeMismatch {
                    context: format!(
                        "cannot broadcast shapes {}: size {} and size {} at dimension {} (sizes must be equal or one of them 1)",
                        shapes
                            .iter()
                            .map(|s| format!("{s:?}"))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        *slot,
                        size,
                        lead + i
                    ),
                });
            }
        }
    }
    checked_numel(&out)?;
    Ok(out)
}
