//! [`Sample`]: one set of inputs for [`opcheck`](crate::opcheck()), with keyword arguments; and how
//! the checks call an op with a sample bound to its schema.

use crate::bind::bind;
use crate::{OpHandle, Result, Returns, Value};

/// Inputs for one opcheck run: positional arguments, and keyword arguments by name (for
/// keyword-only arguments, or to set any argument by name), bound to the schema as
/// [`OpHandle::call_kw`] binds them.
///
/// ```
/// use op_runtime::{Sample, Tensor, Value};
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).unwrap();
/// let sample = Sample::new(vec![Value::from(x)]).kwarg("eps", 1e-3);
/// assert_eq!(sample.kwargs[0].0, "eps");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Positional arguments, in schema order.
    pub args: Vec<Value>,
    /// Keyword arguments.
    pub kwargs: Vec<(String, Value)>,
}

impl Sample {
    /// A sample of positional arguments.
    pub fn new(args: Vec<Value>) -> Sample {
        Sample {
            args,
            kwargs: Vec::new(),
        }
    }

    /// The sample with one more keyword argument.
    pub fn kwarg(mut self, name: &str, value: impl Into<Value>) -> Sample {
        self.kwargs.push((name.to_string(), value.into()));
        self
    }

    /// The sample bound to the op's schema: one value per declared argument, defaults filled in
    /// and values converted as a call would convert them. What every check works on, so that a
    /// keyword-only tensor is converted, strided and compared like any other.
    pub(super) fn bind(&self, op: &OpHandle<'_>) -> Result<Vec<Value>> {
        let kwargs: Vec<(&str, Value)> = self
            .kwargs
            .iter()
            .map(|(name, value)| (name.as_str(), value.clone()))
            .collect();
        let entry = op.entry();
        Ok(bind(
            &entry.name,
            &entry.schema,
            &entry.signature,
            &self.args,
            &kwargs,
        )?
        .into_owned())
    }
}

impl From<Vec<Value>> for Sample {
    fn from(args: Vec<Value>) -> Sample {
        Sample::new(args)
    }
}

/// A bound argument list split back into what a call takes: the positional arguments, and the
/// keyword-only ones by name.
pub(super) fn split<'s>(
    op: &'s OpHandle<'_>,
    bound: &[Value],
) -> (Vec<Value>, Vec<(&'s str, Value)>) {
    let mut positional = Vec::new();
    let mut keywords = Vec::new();
    for (param, value) in op.schema().arguments().iter().zip(bound) {
        if param.kwarg_only {
            keywords.push((param.name.as_str(), value.clone()));
        } else {
            positional.push(value.clone());
        }
    }
    (positional, keywords)
}

/// Calls the op (its declared schema) with a bound argument list.
pub(super) fn call_bound(op: &OpHandle<'_>, bound: &[Value]) -> Result<Returns> {
    let (positional, keywords) = split(op, bound);
    op.call_kw(&positional, &keywords)
}

/// Calls the op's out variant with a bound argument list of the declared schema and the
/// outputs by name. Keyword arguments the out variant does not have (the TensorOptions that
/// the outputs' dtype and device replace) are left out.
pub(super) fn call_out_bound(
    op: &OpHandle<'_>,
    out: &OpHandle<'_>,
    bound: &[Value],
    outs: &[(String, Value)],
) -> Result<Returns> {
    let (positional, keywords) = split(op, bound);
    let out_params = out.schema().arguments();
    let mut kwargs: Vec<(&str, Value)> = keywords
        .into_iter()
        .filter(|(name, _)| out_params.iter().any(|p| p.name == *name))
        .collect();
    kwargs.extend(
        outs.iter()
            .map(|(name, value)| (name.as_str(), value.clone())),
    );
    out.call_kw(&positional, &kwargs)
}
