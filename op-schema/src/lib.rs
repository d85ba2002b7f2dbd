//! PyTorch's function-schema language: parser, canonical printer, validation
//! and out-variant derivation.
//!
//! A schema names an operator and types its arguments and returns:
//!
//! ```text
//! my_ops::mul3.out(Tensor x, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)
//! ```
//!
//! This crate reads every schema PyTorch reads — the grammar of c10's
//! `function_schema_parser.cpp` and `schema_type_parser.cpp` and of torchgen's
//! `model.py` — and prints it back exactly as torchgen does, so
//! `s.parse::<FunctionSchema>()?.to_string() == s` for every schema in
//! canonical form. Non-canonical whitespace is accepted and normalised.
//!
//! ```
//! use op_schema::{FunctionSchema, SchemaKind, Type, BaseType};
//!
//! let s: FunctionSchema = "my_ops::mul3(Tensor x, float scale=1e-05) -> Tensor".parse()?;
//! assert_eq!(s.name().to_string(), "my_ops::mul3");
//! assert_eq!(s.arguments()[1].ty, Type::Base(BaseType::Float));
//! assert_eq!(s.kind(), SchemaKind::Functional);
//!
//! let out = s.out_variant()?;
//! assert_eq!(out.to_string(), "my_ops::mul3.out(Tensor x, float scale=1e-05, *, Tensor(a!) out) -> Tensor(a!)");
//! assert_eq!(out.kind(), SchemaKind::Out);
//! # Ok::<(), op_schema::SchemaError>(())
//! ```
//!
//! [`FunctionSchema::parse`] also applies the semantic rules of c10 and
//! torchgen (out arguments, in-place names, defaults that fit their types...)
//! and reports the first broken one as a [`SchemaError`] that points at the
//! culprit and suggests a fix:
//!
//! ```
//! use op_schema::{ErrorKind, FunctionSchema};
//!
//! let err = FunctionSchema::parse("my_ops::mul3(Tensr x) -> Tensor").unwrap_err();
//! assert_eq!(err.kind(), ErrorKind::UnknownType);
//! assert_eq!(
//!     err.to_string(),
//!     "unknown type `Tensr`
//!   |
//!   | my_ops::mul3(Tensr x) -> Tensor
//!   |              ^^^^^
//!   = help: did you mean `Tensor`?"
//! );
//! ```
//!
//! [`FunctionSchema::parse_unvalidated`] checks syntax only, and
//! [`FunctionSchema::validate`] runs the rules on their own.
//!
//! # What is c10-only
//!
//! c10 (the C++ registration API and TorchScript) accepts more than torchgen:
//! type variables (`t`, `t1`), tuples, `Dict`, `Future`, `Await`, `RRef`,
//! `Union`, `__torch__.torch.classes` types, `...` for variadic arguments or
//! returns, alias annotations on lists (`t[](a!)`) and the `Tensor!`
//! shorthand. All of them parse and print back. Unknown lowercase names are
//! type variables as in c10, except common C++/numpy spellings such as
//! `double` or `int64_t`, which are errors with a hint.

#![warn(missing_docs)]

mod alias;
mod ast;
mod default;
mod error;
mod kind;
mod lexer;
mod out_variant;
mod parser;
mod print;
mod suggest;
mod types;
mod valid;

pub use alias::{AliasInfo, AliasSite, WILDCARD};
pub use ast::{Argument, FunctionSchema, OperatorName, Return};
pub use default::DefaultValue;
pub use error::{ErrorKind, SchemaError};
pub use kind::SchemaKind;
pub use suggest::edit_distance;
pub use types::{BaseType, Type};
