//! The registration beside the user's fn: `const _: () = { ... };` holding the kernel adapters
//! (one per dtype of a generic kernel), the statics typed as the op's fn-pointer types, and the
//! `inventory` records. Shared by `#[custom_op]` and `#[kernel]`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ItemFn;
use syn::spanned::Spanned;

use crate::attr::{DeviceName, Options};
use crate::check::{DTypes, Plan, Slot, Style};
use crate::sig::{KernelSig, Ret};
use crate::types::{UserType, tuple_tokens};

/// The `const _: () = { ... };` beside the user's fn: adapters, the typed statics, and the
/// `inventory` records.
pub fn registration(
    func: &ItemFn,
    sig: &KernelSig,
    plan: &Plan,
    options: &Options,
    k: &TokenStream,
) -> TokenStream {
    let p = quote!(#k::__private);
    let module = &sig.ident;
    let location = location(k);
    let has_out = plan.out.is_some();
    let (shape_static, shape_field) = match &options.shape {
        Some(path) => {
            let path_tokens = quote_spanned!(path.span()=> #path);
            (
                quote_spanned!(path.span()=> static __SHAPE: #module::ShapeFn = #path_tokens;),
                quote!(::core::option::Option::Some(&__SHAPE)),
            )
        }
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    let out_schema = if has_out {
        quote!(::core::option::Option::Some(#module::OUT_SCHEMA))
    } else {
        quote!(::core::option::Option::None)
    };
    let boxed_shape = if has_out {
        quote!(::core::option::Option::Some(#module::__boxed_shape))
    } else {
        quote!(::core::option::Option::None)
    };
    let pointwise = plan.pointwise;

    // The adapter's canonical parameters: the op's arguments, then (out style) its outputs.
    let mut slots: Vec<&Slot> = plan.args.iter().collect();
    if plan.style == Style::Out {
        slots.extend(plan.out.iter().flat_map(|(_, o)| o));
    }
    let params: Vec<AdapterParam> = sig
        .params
        .iter()
        .zip(&slots)
        .map(|(param, slot)| AdapterParam {
            ident: param.ident.clone(),
            canon: slot.canon.tokens(k),
            user: param.user.clone(),
        })
        .collect();
    let kernel_ret = match plan.style {
        Style::Out => quote!(()),
        Style::Functional => tuple_tokens(
            &plan
                .returns
                .iter()
                .filter(|r| r.alias_of.is_none())
                .map(|r| r.canon.tokens(k))
                .collect::<Vec<_>>(),
        ),
    };
    let fn_type = match plan.style {
        Style::Out => quote!(#module::OutKernel),
        Style::Functional => quote!(#module::Kernel),
    };
    let style = match plan.style {
        Style::Out => quote!(#p::KernelStyle::Out),
        Style::Functional => quote!(#p::KernelStyle::Functional),
    };
    let kernels = kernel_records(
        &KernelSpec {
            func,
            sig,
            params: &params,
            ret: kernel_ret,
            fn_type,
            style,
            op_name: quote!(#module::NAME),
            options,
            dtypes: &plan.dtypes,
        },
        k,
    );
    quote! {
        #[allow(non_upper_case_globals, clippy::too_many_arguments, clippy::type_complexity)]
        const _: () = {
            #shape_static
            #p::inventory::submit! {
                #p::OpDef {
                    schema: #module::SCHEMA,
                    out_schema: #out_schema,
                    location: #location,
                    shape_fn: #shape_field,
                    boxed_shape: #boxed_shape,
                    boxed: #module::__boxed,
                    pointwise: #pointwise,
                }
            }
            #kernels
        };
    }
}

pub fn location(k: &TokenStream) -> TokenStream {
    quote!(#k::__private::SourceLocation { file: ::core::file!(), line: ::core::line!(), column: ::core::column!() })
}

/// One parameter of a kernel adapter.
pub struct AdapterParam {
    pub ident: syn::Ident,
    /// The canonical type it takes.
    pub canon: TokenStream,
    /// The user's type, which decides the conversion.
    pub user: UserType,
}

/// What `kernel_records` needs to know of a kernel.
pub struct KernelSpec<'a> {
    pub func: &'a ItemFn,
    pub sig: &'a KernelSig,
    pub params: &'a [AdapterParam],
    /// The adapter's `Result` value type.
    pub ret: TokenStream,
    /// The op module's fn-pointer type the adapter must have.
    pub fn_type: TokenStream,
    pub style: TokenStream,
    pub op_name: TokenStream,
    pub options: &'a Options,
    pub dtypes: &'a DTypes,
}

/// Adapters (one per dtype of a generic kernel), their typed statics, and the `KernelDef`s.
pub fn kernel_records(spec: &KernelSpec<'_>, k: &TokenStream) -> TokenStream {
    let p = quote!(#k::__private);
    let location = location(k);
    let backend = match (&spec.options.composite, &spec.options.device) {
        (Some(_), _) => quote!(::core::option::Option::None),
        (None, Some((_, DeviceName::Cuda))) => {
            quote!(::core::option::Option::Some(#p::DeviceKind::Cuda))
        }
        (None, Some((_, DeviceName::Ascend))) => {
            quote!(::core::option::Option::Some(#p::DeviceKind::Ascend))
        }
        (None, _) => quote!(::core::option::Option::Some(#p::DeviceKind::Cpu)),
    };
    let user_fn = &spec.sig.ident;
    let kernel_name = quote!(::core::concat!(
        ::core::module_path!(),
        "::",
        ::core::stringify!(#user_fn)
    ));
    let (op_name, fn_type, style) = (&spec.op_name, &spec.fn_type, &spec.style);
    let instances: Vec<(Option<&crate::dtype::DTypeName>, TokenStream)> = match spec.dtypes {
        DTypes::Any => vec![(None, quote!(#p::KernelDTypes::Any))],
        DTypes::Fixed(list) => {
            let variants = list.iter().map(|d| d.variant(k));
            vec![(None, quote!(#p::KernelDTypes::Only(&[#(#variants),*])))]
        }
        DTypes::Generic(list) => list
            .iter()
            .map(|d| {
                let v = d.variant(k);
                (Some(d), quote!(#p::KernelDTypes::Only(&[#v])))
            })
            .collect(),
    };
    let mut out = TokenStream::new();
    for (i, (dtype, dtypes)) in instances.into_iter().enumerate() {
        let adapter = format_ident!("__adapter_{}", i, span = user_fn.span());
        let stat = format_ident!("__KERNEL_{}", i);
        let body = adapter_body(spec, dtype, k);
        let params = spec.params.iter().map(|a| {
            let (i, t) = (&a.ident, &a.canon);
            quote!(#i: #t)
        });
        let ret = &spec.ret;
        let adapter_ref = quote_spanned!(spec.func.sig.ident.span()=> #adapter);
        out.extend(quote! {
            #[allow(unused_mut, non_snake_case, clippy::needless_lifetimes)]
            fn #adapter(#(#params),*) -> #p::Result<#ret> { #body }
            static #stat: #fn_type = #adapter_ref;
            #p::inventory::submit! {
                #p::KernelDef {
                    op: #op_name,
                    backend: #backend,
                    dtypes: #dtypes,
                    style: #style,
                    typed: &#stat,
                    name: #kernel_name,
                    location: #location,
                }
            }
        });
    }
    out
}

/// The adapter's body: convert each canonical argument to the user's type, call, wrap the result.
fn adapter_body(
    spec: &KernelSpec<'_>,
    dtype: Option<&crate::dtype::DTypeName>,
    k: &TokenStream,
) -> TokenStream {
    let p = quote!(#k::__private);
    let user_fn = &spec.sig.ident;
    let mut prelude = TokenStream::new();
    let mut args = Vec::new();
    // A generic kernel's element type becomes a local alias of the concrete dtype, spanned at the
    // dtype's name in the attribute, so a dtype the kernel's bounds reject is reported there.
    let turbofish = match (dtype, &spec.sig.elem_param) {
        (Some(d), Some(elem)) => {
            let rust = d.rust_type(k);
            prelude.extend(quote!(#[allow(non_camel_case_types, dead_code)] type #elem = #rust;));
            let mut elem = elem.clone();
            elem.set_span(d.span);
            quote_spanned!(d.span=> ::<#elem>)
        }
        _ => quote!(),
    };
    for a in spec.params {
        let i = &a.ident;
        let guard = format_ident!("__guard_{}", i.to_string().trim_start_matches("r#"));
        match &a.user {
            UserType::View(e) => {
                prelude.extend(quote!(let #guard = #i.view::<#e>()?;));
                args.push(quote!(#p::ArrayViewD::view(&*#guard)));
            }
            UserType::ViewMut(e) => {
                prelude.extend(quote!(let mut #guard = #i.view_mut::<#e>()?;));
                args.push(quote!(#p::ArrayViewMutD::view_mut(&mut *#guard)));
            }
            UserType::OptView(e) => {
                prelude.extend(quote!(let #guard = match #i { ::core::option::Option::Some(__t) => ::core::option::Option::Some(__t.view::<#e>()?), ::core::option::Option::None => ::core::option::Option::None };));
                args.push(quote!(#guard.as_ref().map(|__v| #p::ArrayViewD::view(&**__v))));
            }
            _ => args.push(quote!(#i)),
        }
    }
    let call = quote!(#user_fn #turbofish (#(#args),*));
    let wrapped = match spec.sig.ret {
        Ret::Unit => quote!(#call; ::core::result::Result::Ok(())),
        // The kernel's `Result` is opkit's own, as the adapter's is: returned as it is.
        Ret::Result(_) => quote!(#call),
        Ret::Plain(_) => quote!(::core::result::Result::Ok(#call)),
    };
    quote!(#prelude #wrapped)
}
