//! [`Signature`]: what a boxed call needs to know of a schema, worked out once when the registry is
//! built, so that a call does not walk the schema's types again.
//!
//! Binding the common call (every argument positional, each already of its schema type) is then one
//! bit test per argument, and the dispatch key visits only the arguments that can hold tensors.

use op_schema::{BaseType, FunctionSchema, Type};

use crate::Value;
use crate::value::ValueKind as K;

/// The per-schema facts a boxed call uses.
#[derive(Clone, Debug, Default)]
pub(crate) struct Signature {
    /// Per argument: the bits of the value kinds it accepts as they are (no conversion).
    exact: Box<[u16]>,
    /// How many arguments may be given positionally (those before the keyword-only ones).
    pub(crate) positional: usize,
    /// The arguments whose type can hold tensors (`Tensor`, `Tensor?`, `Tensor[]`, `Tensor?[]`).
    pub(crate) tensor_args: Box<[usize]>,
}

impl Signature {
    pub(crate) fn of(schema: &FunctionSchema) -> Signature {
        let params = schema.arguments();
        let exact: Box<[u16]> = params.iter().map(|p| exact_kinds(&p.ty)).collect();
        Signature {
            positional: params.iter().take_while(|p| !p.kwarg_only).count(),
            tensor_args: params
                .iter()
                .enumerate()
                .filter(|(_, p)| holds_tensors(&p.ty))
                .map(|(i, _)| i)
                .collect(),
            exact,
        }
    }

    /// Whether every argument may be given positionally (none is keyword-only).
    #[inline]
    pub(crate) fn is_all_positional(&self) -> bool {
        self.positional == self.exact.len()
    }

    /// Whether `args`, one per argument, all have their schema type exactly, so that binding can
    /// borrow them as they are.
    #[inline]
    pub(crate) fn fits_exactly(&self, args: &[Value]) -> bool {
        args.len() == self.exact.len()
            && args
                .iter()
                .zip(&*self.exact)
                .all(|(value, &kinds)| kinds & value.kind().bit() != 0)
    }
}

/// The value kinds a value of `ty` has without conversion: what binding leaves as it is.
fn exact_kinds(ty: &Type) -> u16 {
    use BaseType as B;
    match ty {
        Type::Optional(inner) => K::None.bit() | exact_kinds(inner),
        Type::Base(base) => match base {
            B::Tensor => K::Tensor.bit(),
            B::Int | B::SymInt => K::Int.bit(),
            B::Float => K::Float.bit(),
            B::Bool => K::Bool.bit(),
            B::Str => K::Str.bit(),
            B::Scalar => K::Scalar.bit(),
            B::ScalarType => K::ScalarType.bit(),
            B::Device => K::Device.bit(),
            _ => 0,
        },
        Type::List { elem, .. } => match &**elem {
            Type::Base(B::Tensor) => K::TensorList.bit(),
            Type::Optional(_) => K::OptionalTensorList.bit(),
            Type::Base(B::Int | B::SymInt) => K::IntList.bit(),
            Type::Base(B::Float) => K::FloatList.bit(),
            Type::Base(B::Bool) => K::BoolList.bit(),
            _ => 0,
        },
        _ => 0,
    }
}

fn holds_tensors(ty: &Type) -> bool {
    match ty {
        Type::Base(BaseType::Tensor) => true,
        Type::Optional(inner) => holds_tensors(inner),
        Type::List { elem, .. } => holds_tensors(elem),
        _ => false,
    }
}
