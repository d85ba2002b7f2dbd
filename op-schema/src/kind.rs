//! Schema kinds and signatures, as torchgen groups an operator's variants.
//!
//! torchgen splits an argument list into: positional arguments before `self`,
//! `self`, positional arguments after it, keyword-only arguments (with an
//! optional TensorOptions group inside), and out arguments (the keyword-only
//! arguments from the first written one on). [`Groups`] computes those splits
//! by index so the rules, [`FunctionSchema::kind`] and
//! [`FunctionSchema::signature`] agree on them.

use crate::alias::AliasInfo;
use crate::ast::{Argument, FunctionSchema, OperatorName, Return};
use crate::types::{BaseType, Type};

/// What kind of variant a schema is, exactly as torchgen's `SchemaKind`.
///
/// ```
/// use op_schema::{FunctionSchema, SchemaKind};
/// let kind = |s: &str| FunctionSchema::parse(s).unwrap().kind();
/// assert_eq!(kind("add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor"), SchemaKind::Functional);
/// assert_eq!(kind("add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)"), SchemaKind::Inplace);
/// assert_eq!(kind("add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)"), SchemaKind::Out);
/// assert_eq!(kind("_cummax_helper(Tensor self, Tensor(a!) values, Tensor(b!) indices, int dim) -> ()"), SchemaKind::Mutable);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemaKind {
    /// Returns new values and writes nothing it is given (`add`).
    Functional,
    /// Writes `self` and is named so: `add_`, `__iadd__`.
    Inplace,
    /// Writes keyword-only out arguments (`add.out`).
    Out,
    /// Writes positional arguments other than `self` without being in place
    /// (`_fused_moving_avg_obs_fq_helper`).
    Mutable,
    /// An out variant with `_scratch_` out arguments, scratch space for memory planning.
    Scratch,
}

/// The names and types of a TensorOptions group, in order.
const TENSOR_OPTIONS: [(&str, BaseType); 4] = [
    ("dtype", BaseType::ScalarType),
    ("layout", BaseType::Layout),
    ("device", BaseType::Device),
    ("pin_memory", BaseType::Bool),
];

/// torchgen's split of an argument list, by index into it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Groups {
    /// The first positional argument named `self`.
    pub self_index: Option<usize>,
    /// One past the last positional argument.
    pub positional_end: usize,
    /// The first out argument: the first keyword-only argument that is written.
    pub out_start: Option<usize>,
    /// The `dtype` argument of a TensorOptions group among the keyword-only arguments.
    pub tensor_options: Option<usize>,
}

impl Groups {
    pub fn of(args: &[Argument]) -> Groups {
        let positional_end = args.iter().position(|a| a.kwarg_only).unwrap_or(args.len());
        let self_index = args[..positional_end].iter().position(|a| a.name == "self");
        let out_start = args.iter().position(Argument::is_out);
        let kwargs_end = out_start.unwrap_or(args.len());
        let tensor_options = (positional_end..kwargs_end).find(|&i| {
            i + 4 <= kwargs_end
                && TENSOR_OPTIONS
                    .iter()
                    .zip(&args[i..])
                    .all(|(p, a)| is_option(a, p))
        });
        Groups {
            self_index,
            positional_end,
            out_start,
            tensor_options,
        }
    }

    /// Positional arguments after `self`, or all of them when there is no `self`.
    pub fn post_self(&self) -> std::ops::Range<usize> {
        self.self_index.map_or(0, |i| i + 1)..self.positional_end
    }

    /// Positional arguments before `self`.
    pub fn pre_self(&self) -> std::ops::Range<usize> {
        0..self.self_index.unwrap_or(0)
    }

    /// The out arguments.
    pub fn outs<'a>(&self, args: &'a [Argument]) -> &'a [Argument] {
        self.out_start.map_or(&[], |i| &args[i..])
    }

    /// The indices of the TensorOptions group.
    pub fn tensor_options_range(&self) -> Option<std::ops::Range<usize>> {
        self.tensor_options.map(|i| i..i + 4)
    }
}

fn is_option(a: &Argument, (name, base): &(&str, BaseType)) -> bool {
    a.name == *name && a.kwarg_only && a.ty.strip_optional() == &Type::Base(*base)
}

impl FunctionSchema {
    /// The kind of variant, by torchgen's precedence: in place (by name), then
    /// scratch, out, mutable, functional.
    pub fn kind(&self) -> SchemaKind {
        let g = Groups::of(&self.arguments);
        let outs = g.outs(&self.arguments);
        if self.name.is_inplace() {
            SchemaKind::Inplace
        } else if outs.iter().any(|a| a.name.starts_with("_scratch_")) {
            SchemaKind::Scratch
        } else if !outs.is_empty() {
            SchemaKind::Out
        } else if self.arguments[g.post_self()].iter().any(Argument::is_write) {
            SchemaKind::Mutable
        } else {
            SchemaKind::Functional
        }
    }

    /// The signature shared by an operator's functional, in-place, out and
    /// mutable variants: torchgen's `FunctionSchema.signature()` with its
    /// default flags. It:
    ///
    /// - drops the overload name and the in-place marker (`add_.Tensor` → `add`,
    ///   `__iand__` → `__and__`), keeping the namespace;
    /// - drops out arguments and the TensorOptions group (`dtype`, `layout`,
    ///   `device`, `pin_memory`), so factories pair with their out variants;
    /// - turns written arguments that no return aliases (`self`, outs,
    ///   positional ones, in that order) into extra unnamed returns;
    /// - strips every alias annotation and return name; keeps defaults.
    ///
    /// torchgen also special-cases `bernoulli.p` (adding `p=0.5`); we do not.
    ///
    /// ```
    /// use op_schema::FunctionSchema;
    /// let sig = |s: &str| FunctionSchema::parse(s).unwrap().signature().to_string();
    /// let functional = sig("aten::max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)");
    /// let out = sig("aten::max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, Tensor(b!) max_values) -> (Tensor(a!) values, Tensor(b!) indices)");
    /// assert_eq!(functional, "aten::max(Tensor self, int dim, bool keepdim=False) -> (Tensor, Tensor)");
    /// assert_eq!(functional, out);
    /// ```
    pub fn signature(&self) -> FunctionSchema {
        let args = &self.arguments;
        let g = Groups::of(args);
        let returned = |a: &Argument| {
            let alias = a
                .alias
                .as_ref()
                .expect("only written arguments are asked about");
            self.returns
                .iter()
                .any(|r| r.alias.as_ref().is_some_and(|ra| ra.same_as(alias)))
        };
        let self_arg = g.self_index.map(|i| &args[i]);
        let mutated = self_arg
            .into_iter()
            .chain(g.outs(args))
            .chain(&args[g.post_self()]);
        let extra: Vec<Return> = mutated
            .filter(|a| a.is_write() && !returned(a))
            .map(|a| Return::new(a.ty.clone()))
            .collect();

        let mut returns: Vec<Return> = self
            .returns
            .iter()
            .map(|r| Return::new(r.ty.clone()))
            .collect();
        returns.extend(extra);

        let options = g.tensor_options_range();
        let end = g.out_start.unwrap_or(args.len());
        let arguments = args[..end]
            .iter()
            .enumerate()
            .filter(|(i, _)| !options.as_ref().is_some_and(|r| r.contains(i)))
            .map(|(_, a)| Argument {
                alias: None,
                alias_site: Default::default(),
                ..a.clone()
            })
            .collect();

        let name = OperatorName {
            namespace: self.name.namespace.clone(),
            name: self.name.functional_base(),
            overload: None,
        };
        FunctionSchema::new(name, arguments, returns).with_varargs(self.is_vararg, self.is_varret)
    }
}

/// True when `a` and `b` are the same annotation (see [`AliasInfo::same_as`]).
pub(crate) fn same_alias(a: Option<&AliasInfo>, b: Option<&AliasInfo>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.same_as(b),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> FunctionSchema {
        FunctionSchema::parse_unvalidated(s).unwrap()
    }

    #[test]
    fn kinds_follow_torchgen_precedence() {
        assert_eq!(
            parse("__iand__.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)").kind(),
            SchemaKind::Inplace
        );
        assert_eq!(
            parse("f.out(Tensor x, *, Tensor(a!) _scratch_y, Tensor(b!) out) -> Tensor(b!)").kind(),
            SchemaKind::Scratch
        );
        // Writing `self` without an in-place name is not "mutable": torchgen
        // looks at positional arguments after `self` only.
        assert_eq!(
            parse("set_data(Tensor(a!) self, Tensor new_data) -> ()").kind(),
            SchemaKind::Functional
        );
        assert_eq!(parse("f(Tensor(a!) x) -> ()").kind(), SchemaKind::Mutable);
    }

    #[test]
    fn groups_find_tensor_options_and_outs() {
        let s = parse(
            "empty.out(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, MemoryFormat? memory_format=None, Tensor(a!) out) -> Tensor(a!)",
        );
        let g = Groups::of(&s.arguments);
        assert_eq!(g.tensor_options, Some(1));
        assert_eq!(g.out_start, Some(6));
        assert_eq!(g.self_index, None);
        assert_eq!(g.post_self(), 0..1);
    }

    #[test]
    fn signature_turns_unreturned_writes_into_returns() {
        let s = parse(
            "split_with_sizes_copy.out(Tensor self, SymInt[] split_sizes, int dim=0, *, Tensor(a!)[] out) -> ()",
        );
        assert_eq!(
            s.signature().to_string(),
            "split_with_sizes_copy(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]"
        );
        let f = parse(
            "split_with_sizes_copy(Tensor self, SymInt[] split_sizes, int dim=0) -> Tensor[]",
        );
        assert_eq!(f.signature(), s.signature());
        let factory = parse(
            "zeros(SymInt[] size, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        );
        let out = parse("zeros.out(SymInt[] size, *, Tensor(a!) out) -> Tensor(a!)");
        assert_eq!(factory.signature(), out.signature());
        assert_eq!(
            out.signature().to_string(),
            "zeros(SymInt[] size) -> Tensor"
        );
    }
}
