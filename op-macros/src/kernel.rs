//! `#[kernel(op, ...)]`: another implementation of an op declared elsewhere with `#[custom_op]`
//! (another device, other dtypes). The op is named by its generated module, so a typo is
//! "cannot find `mul33`", and the adapter must have the op's `Kernel` or `OutKernel` type, so a
//! signature that does not fit the schema is a type error at the kernel.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;
use syn::spanned::Spanned;

use crate::attr::KernelArgs;
use crate::check::dtypes;
use crate::register::{AdapterParam, KernelSpec, kernel_records};
use crate::sig::KernelSig;
use crate::types::{Canon, UserType};

pub fn expand(args: KernelArgs, func: &ItemFn) -> syn::Result<TokenStream> {
    let k = crate::krate(&args.options);
    let sig = KernelSig::read(func)?;
    if let Some(shape) = &args.options.shape {
        return Err(syn::Error::new(
            shape.span(),
            "`shape` belongs on the op's #[custom_op], not on a kernel",
        ));
    }
    let dtypes = dtypes(&sig, &args.options)?;
    // Without the schema, the adapter's canonical types come from the kernel's own: a view stands
    // for a tensor, everything else for itself. rustc then compares the adapter with the op's type.
    let params: Vec<AdapterParam> = sig
        .params
        .iter()
        .map(|p| {
            let canon = match &p.user {
                UserType::View(_) => Canon::Tensor.tokens(&k),
                UserType::ViewMut(_) => Canon::TensorMut.tokens(&k),
                UserType::OptView(_) => Canon::OptTensor.tokens(&k),
                UserType::Canonical(c) => c.tokens(&k),
                UserType::Other => {
                    let ty = &p.ty;
                    quote!(#ty)
                }
            };
            AdapterParam {
                ident: p.ident.clone(),
                canon,
                user: p.user.clone(),
            }
        })
        .collect();
    let op = &args.op;
    // A kernel that returns nothing writes its results into `&mut` parameters: out style.
    let (ret, fn_type, style) = match sig.ret.value().filter(|_| !sig.ret.is_unit()) {
        None => (
            quote!(()),
            quote!(#op::OutKernel),
            quote!(#k::__private::KernelStyle::Out),
        ),
        Some(t) => (
            quote!(#t),
            quote!(#op::Kernel),
            quote!(#k::__private::KernelStyle::Functional),
        ),
    };
    let records = kernel_records(
        &KernelSpec {
            func,
            sig: &sig,
            params: &params,
            ret,
            fn_type,
            style,
            op_name: quote!(#op::NAME),
            options: &args.options,
            dtypes: &dtypes,
        },
        &k,
    );
    Ok(quote! {
        #func
        #[allow(non_upper_case_globals, clippy::too_many_arguments, clippy::type_complexity)]
        const _: () = { #records };
    })
}
