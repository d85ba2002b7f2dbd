//! [`Returns`]: the values a boxed call returns, with room for one inline.
//!
//! Most ops return one value. Returning it in a `Vec<Value>` cost a heap allocation and a free
//! per boxed call (about 10 ns, a sixth of a boxed call); `Returns` keeps a single value inline
//! and only allocates for two or more. It reads like a slice (`returns[0]`, `.len()`, `.iter()`)
//! and converts to and from `Vec<Value>`.

use std::fmt;
use std::ops::{Deref, DerefMut};

use crate::Value;

/// The results of a boxed call (`OpHandle::call`, `Registry::call`): one value per schema return
/// (a `Tensor[]` return is one [`Value::TensorList`]).
///
/// ```
/// use op_runtime::{Returns, Value};
/// let one = Returns::one(Value::Int(3));
/// assert_eq!(one.len(), 1);
/// assert!(matches!(one[0], Value::Int(3)));
/// let many: Returns = vec![Value::Int(1), Value::Bool(true)].into();
/// assert_eq!(many.into_vec().len(), 2);
/// ```
#[derive(Clone, Default)]
pub struct Returns(Repr);

#[derive(Clone)]
enum Repr {
    One(Value),
    /// Zero values (an empty `Vec` does not allocate) or two and more.
    List(Vec<Value>),
}

impl Default for Repr {
    fn default() -> Self {
        Repr::List(Vec::new())
    }
}

impl Returns {
    /// No values (an op without returns).
    #[inline]
    pub const fn new() -> Returns {
        Returns(Repr::List(Vec::new()))
    }

    /// One value, held inline.
    #[inline]
    pub fn one(value: Value) -> Returns {
        Returns(Repr::One(value))
    }

    /// Drops the values, inline and without a call for the empty list that an out-style boxed
    /// kernel returns (the drop glue of `Returns` is a call of about 30 instructions).
    #[inline(always)]
    pub(crate) fn discard(self) {
        if let Repr::List(values) = &self.0
            && values.capacity() == 0
        {
            // No values and no allocation: nothing to free.
            std::mem::forget(self);
            return;
        }
        drop(self)
    }

    /// The values as a `Vec` (allocates for a single value).
    pub fn into_vec(self) -> Vec<Value> {
        match self.0 {
            Repr::One(v) => vec![v],
            Repr::List(vs) => vs,
        }
    }

    /// The values as a slice.
    #[inline]
    pub fn as_slice(&self) -> &[Value] {
        match &self.0 {
            Repr::One(v) => std::slice::from_ref(v),
            Repr::List(vs) => vs,
        }
    }

    /// The values as a mutable slice.
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [Value] {
        match &mut self.0 {
            Repr::One(v) => std::slice::from_mut(v),
            Repr::List(vs) => vs,
        }
    }
}

impl Deref for Returns {
    type Target = [Value];

    #[inline]
    fn deref(&self) -> &[Value] {
        self.as_slice()
    }
}

impl DerefMut for Returns {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Value] {
        self.as_mut_slice()
    }
}

impl fmt::Debug for Returns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl From<Vec<Value>> for Returns {
    /// Keeps the `Vec` as it is; a single value stays in its allocation.
    fn from(values: Vec<Value>) -> Returns {
        Returns(Repr::List(values))
    }
}

impl From<Returns> for Vec<Value> {
    fn from(returns: Returns) -> Vec<Value> {
        returns.into_vec()
    }
}

impl FromIterator<Value> for Returns {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Returns {
        let mut iter = iter.into_iter();
        let Some(first) = iter.next() else {
            return Returns::new();
        };
        let Some(second) = iter.next() else {
            return Returns::one(first);
        };
        let mut values = Vec::with_capacity(2 + iter.size_hint().0);
        values.extend([first, second]);
        values.extend(iter);
        Returns(Repr::List(values))
    }
}

impl IntoIterator for Returns {
    type Item = Value;
    type IntoIter = IntoIter;

    fn into_iter(self) -> IntoIter {
        IntoIter(match self.0 {
            Repr::One(v) => IterRepr::One(Some(v)),
            Repr::List(vs) => IterRepr::List(vs.into_iter()),
        })
    }
}

impl<'a> IntoIterator for &'a Returns {
    type Item = &'a Value;
    type IntoIter = std::slice::Iter<'a, Value>;

    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// The owning iterator of [`Returns`].
#[derive(Debug)]
pub struct IntoIter(IterRepr);

#[derive(Debug)]
enum IterRepr {
    One(Option<Value>),
    List(std::vec::IntoIter<Value>),
}

impl Iterator for IntoIter {
    type Item = Value;

    fn next(&mut self) -> Option<Value> {
        match &mut self.0 {
            IterRepr::One(v) => v.take(),
            IterRepr::List(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            IterRepr::One(v) => usize::from(v.is_some()),
            IterRepr::List(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl DoubleEndedIterator for IntoIter {
    fn next_back(&mut self) -> Option<Value> {
        match &mut self.0 {
            IterRepr::One(v) => v.take(),
            IterRepr::List(it) => it.next_back(),
        }
    }
}

impl ExactSizeIterator for IntoIter {}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(r: &Returns) -> Vec<i64> {
        r.iter()
            .map(|v| match v {
                Value::Int(i) => *i,
                other => panic!("not an int: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn collects_zero_one_and_many_values() {
        for n in 0..5 {
            let r: Returns = (0..n).map(Value::Int).collect();
            assert_eq!(r.len(), n as usize);
            assert_eq!(ints(&r), (0..n).collect::<Vec<_>>());
            let back: Vec<i64> = r
                .into_iter()
                .rev()
                .map(|v| match v {
                    Value::Int(i) => i,
                    _ => unreachable!(),
                })
                .collect();
            assert_eq!(back, (0..n).rev().collect::<Vec<_>>());
        }
    }

    #[test]
    fn one_value_is_inline_and_mutable() {
        let mut r = Returns::one(Value::Int(1));
        assert!(matches!(r.0, Repr::One(_)));
        r[0] = Value::Int(2);
        assert_eq!(ints(&r), [2]);
        assert_eq!(format!("{r:?}"), "[Int(2)]");
        let mut it = r.into_iter();
        assert_eq!(it.len(), 1);
        assert!(matches!(it.next(), Some(Value::Int(2))));
        assert!(it.next().is_none());
    }

    #[test]
    fn vec_conversions_keep_every_value() {
        let r = Returns::from(vec![Value::Int(7), Value::Int(8)]);
        assert_eq!(ints(&r), [7, 8]);
        assert_eq!(Vec::from(r).len(), 2);
        assert!(Returns::new().is_empty());
        assert_eq!(Returns::default().into_vec().len(), 0);
        assert_eq!(Returns::one(Value::None).into_vec().len(), 1);
    }
}
