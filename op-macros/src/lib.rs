//! The attributes of opkit: [`macro@custom_op`] declares an operator from a PyTorch-style schema
//! and registers its first kernel; [`macro@kernel`] registers more kernels for it (other devices,
//! other dtypes).
//!
//! Use them through the `opkit` facade (`opkit::custom_op`, `opkit::kernel`).
//!
//! # Declaring an op
//!
//! ```ignore
//! use opkit::{custom_op, Result, Tensor};
//! use ndarray::{ArrayViewD, ArrayViewMutD};
//!
//! // Functional style: the kernel returns its result.
//! #[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
//! fn mul3(x: &Tensor) -> Result<Tensor> { /* ... */ }
//!
//! // Out style, generic over the element type: the kernel writes into `out`.
//! #[custom_op("my_ops::mul4(Tensor x) -> Tensor", dtypes(f32, f64))]
//! fn mul4<T: num_traits::Float>(x: ArrayViewD<T>, mut out: ArrayViewMutD<T>) { /* ... */ }
//!
//! // In place: the schema marks `self` as written, so the kernel takes `&mut Tensor`.
//! #[custom_op("my_ops::scale_(Tensor(a!) self, float alpha=1.0) -> Tensor(a!)")]
//! fn scale_(self_: &mut Tensor, alpha: f64) -> Result<()> { /* ... */ }
//! ```
//!
//! Each generates, beside the fn, a module of the same name: `mul3::call(&x)` (typed call,
//! dispatched by device and dtype), `mul3::out(&x, &mut out)` (the out variant),
//! `mul3::shape(&meta)`, `mul3::handle()`, `mul3::SCHEMA`, `mul3::OUT_SCHEMA`, and the fn-pointer
//! types `mul3::Kernel` / `mul3::OutKernel` that other kernels of the op must match.
//!
//! # Type mapping
//!
//! | schema | kernel parameter |
//! |---|---|
//! | `Tensor` | `&Tensor` or `ArrayViewD<T>` |
//! | `Tensor(a!)` | `&mut Tensor` or `ArrayViewMutD<T>` |
//! | `Tensor?` | `Option<&Tensor>` or `Option<ArrayViewD<T>>` |
//! | `Tensor[]` / `Tensor?[]` | `&[Tensor]` / `&[Option<Tensor>]` |
//! | `int`, `SymInt` / `float` / `bool` / `str` | `i64` / `f64` / `bool` / `&str` |
//! | `int[]`, `int[N]` / `float[]` / `bool[]` | `&[i64]` / `&[f64]` / `&[bool]` |
//! | `Scalar` / `ScalarType` / `Device` | `Scalar` / `DType` / `Device` |
//! | `T?` (non-tensor) | `Option<T>` |
//!
//! Parameters carry the schema's argument names, in the schema's order (`self` is `self_`).
//! A functional kernel returns `Result<R>` (or `R`), where `R` is the schema's results (`Tensor`,
//! a tuple, `Vec<Tensor>` for `Tensor[]`, `i64`, …), leaving out mutated arguments it returns. An
//! out-style kernel takes one more parameter per result, named as in the out variant (`out`, or
//! the result names), and returns `Result<()>` or nothing.
//!
//! # Options
//!
//! - `dtypes(f32, f64, f16, bf16, ...)`: the dtypes to instantiate a generic kernel for (required
//!   when the fn has a type parameter), or to restrict a `&Tensor` kernel to;
//! - `shape = path`: the shape function, required unless the op is pointwise (all arguments plain
//!   tensors, one tensor result: broadcasting is inferred); its signature is the op's with each
//!   tensor replaced by `&Meta`, returning `Result<Meta>` (a tuple for several results);
//! - `device = cpu | cuda | ascend` (default `cpu`);
//! - `composite`: the kernel is written with other ops and runs on every device;
//! - `crate = path`: where opkit is, for crates that re-export it (default `::opkit`).
//!
//! Every mismatch between the schema and the fn is a compile error on the offending tokens.

mod attr;
mod boxed;
mod check;
mod dtype;
mod expand;
mod fallback;
mod kernel;
mod register;
mod sig;
mod types;

use proc_macro::TokenStream;
use quote::quote;
use syn::ItemFn;

/// Declares an operator from a PyTorch-style schema; see the [crate docs](crate).
#[proc_macro_attribute]
pub fn custom_op(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse::<ItemFn>(item) {
        Ok(func) => func,
        Err(e) => {
            return fallback::with_errors(
                None,
                syn::Error::new(e.span(), "#[custom_op] goes on a fn: the op's kernel"),
            )
            .into();
        }
    };
    match custom_op_impl(args, &func) {
        Ok(tokens) => {
            if std::env::var_os("OPKIT_DEBUG_EXPAND").is_some() {
                eprintln!("{tokens}");
            }
            tokens.into()
        }
        Err(e) => fallback::with_errors(Some(&func), e).into(),
    }
}

fn custom_op_impl(args: TokenStream, func: &ItemFn) -> syn::Result<proc_macro2::TokenStream> {
    let args: attr::OpArgs = syn::parse(args)?;
    let schema = check::schema(&args.schema)?;
    let sig = sig::KernelSig::read(func)?;
    let plan = check::plan(&args.schema, schema, func, &sig, &args.options)?;
    let k = krate(&args.options);
    Ok(expand::custom_op(func, &sig, &plan, &args.options, &k))
}

/// Registers another kernel for an op declared with `#[custom_op]`; see the [crate docs](crate).
///
/// ```ignore
/// #[kernel(mul3, dtypes(f32))]
/// fn mul3_f32(x: ArrayViewD<f32>, mut out: ArrayViewMutD<f32>) { /* ... */ }
/// ```
#[proc_macro_attribute]
pub fn kernel(args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse::<ItemFn>(item) {
        Ok(func) => func,
        Err(e) => {
            return fallback::with_errors(
                None,
                syn::Error::new(e.span(), "#[kernel] goes on a fn"),
            )
            .into();
        }
    };
    let result = syn::parse::<attr::KernelArgs>(args).and_then(|args| kernel::expand(args, &func));
    match result {
        Ok(tokens) => tokens.into(),
        Err(e) => fallback::with_errors(Some(&func), e).into(),
    }
}

/// The path of the opkit crate in generated code.
fn krate(options: &attr::Options) -> proc_macro2::TokenStream {
    match &options.krate {
        Some(path) => quote!(#path),
        None => quote!(::opkit),
    }
}
