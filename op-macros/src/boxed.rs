//! The boxed entry points of an op's module: `__boxed` (bound `Value`s → typed kernel call →
//! `Value`s) and `__boxed_shape` (bound `Value`s → result `Meta`s), which the runtime calls for
//! boxed calls, by handle or by name.

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::Options;
use crate::check::{Plan, Slot};
use crate::expand::{assemble_returns, call_args, meta_args};
use crate::types::Canon;

/// `__boxed`: bound `Value`s → typed kernel call → `Value`s.
pub fn boxed_adapter(plan: &Plan, outs: &[Slot], k: &TokenStream) -> TokenStream {
    let p = quote!(#k::__private);
    let n = plan.args.len();
    let idents: Vec<_> = plan.args.iter().map(|a| &a.ident).collect();
    // A written argument becomes a new handle on the caller's storage: the kernel's writes land
    // where the caller sees them, and the bound values themselves stay shared and unchanged.
    let reads = plan.args.iter().map(|a| {
        let i = &a.ident;
        let ty = a.canon.tokens(k);
        match a.canon {
            Canon::TensorMut => quote! {
                let mut #i: #p::Tensor = #p::Tensor::clone(#p::FromValue::from_value(#i)?);
                let #i: &mut #p::Tensor = &mut #i;
            },
            Canon::TensorListMut => quote! {
                let mut #i: ::std::vec::Vec<#p::Tensor> = <&[#p::Tensor] as #p::FromValue>::from_value(#i)?.to_vec();
                let #i: &mut [#p::Tensor] = &mut #i;
            },
            _ => quote!(let #i: #ty = #p::FromValue::from_value(#i)?;),
        }
    });
    let call_args = call_args(&plan.args);
    let body = if plan.out.is_some() {
        let out_idents: Vec<_> = outs.iter().map(|o| &o.ident).collect();
        let bind_outs = match outs {
            [single] if single.canon == Canon::TensorListMut => {
                let i = &single.ident;
                quote!(let #i = __outs;)
            }
            _ => {
                let m = outs.len();
                quote!(let [#(#out_idents),*] = __outs else { return ::core::result::Result::Err(#p::arity(self::NAME, #m, __outs.len())); };)
            }
        };
        quote! {
            match __style {
                #p::KernelStyle::Out => {
                    #bind_outs
                    let __f = #p::typed::<self::OutKernel>(__typed)?;
                    __f(#(#call_args,)* #(#out_idents),*)?;
                    ::core::result::Result::Ok(#p::Returns::new())
                }
                #p::KernelStyle::Functional => {
                    let __f = #p::typed::<self::Kernel>(__typed)?;
                    ::core::result::Result::Ok(#p::IntoReturns::into_returns(__f(#(#call_args),*)?))
                }
            }
        }
    } else {
        let assemble = assemble_returns(plan, quote!(__r), k, true);
        quote! {
            let _ = (__style, __outs);
            let __f = #p::typed::<self::Kernel>(__typed)?;
            let __r = __f(#(#call_args),*)?;
            ::core::result::Result::Ok(#assemble)
        }
    };
    quote! {
        #[doc(hidden)]
        pub fn __boxed(
            __typed: &'static (dyn ::core::any::Any + ::core::marker::Send + ::core::marker::Sync),
            __style: #p::KernelStyle,
            __args: &[#p::Value],
            __outs: &mut [#p::Tensor],
        ) -> #p::Result<#p::Returns> {
            let [#(#idents),*] = __args else {
                return ::core::result::Result::Err(#p::arity(self::NAME, #n, __args.len()));
            };
            #(#reads)*
            #body
        }
    }
}

/// `__boxed_shape`: bound `Value`s → the `Meta` of each result.
pub fn boxed_shape(plan: &Plan, options: &Options, k: &TokenStream) -> TokenStream {
    let p = quote!(#k::__private);
    let n = plan.args.len();
    let idents: Vec<_> = plan.args.iter().map(|a| &a.ident).collect();
    let reads = plan.args.iter().map(|a| {
        let i = &a.ident;
        let ty = match a.canon {
            Canon::TensorMut => Canon::Tensor.tokens(k),
            Canon::TensorListMut => Canon::TensorList.tokens(k),
            _ => a.canon.tokens(k),
        };
        quote!(let #i: #ty = #p::FromValue::from_value(#i)?;)
    });
    let metas = meta_args(&plan.args, k);
    let body = if options.shape.is_none() {
        quote! {
            let _ = __def;
            ::core::result::Result::Ok(::std::vec![#p::Meta::broadcast(&[#(#metas),*])?])
        }
    } else {
        quote! {
            let __f = __def.shape_fn.ok_or_else(|| #p::Error::Internal(::std::format!("`{}` has no shape function", self::NAME)))?;
            let __f = #p::typed::<self::ShapeFn>(__f)?;
            ::core::result::Result::Ok(#p::IntoMetas::into_metas(__f(#(#metas),*)?))
        }
    };
    quote! {
        #[doc(hidden)]
        pub fn __boxed_shape(__def: &#p::OpDef, __args: &[#p::Value]) -> #p::Result<::std::vec::Vec<#p::Meta>> {
            let [#(#idents),*] = __args else {
                return ::core::result::Result::Err(#p::arity(self::NAME, #n, __args.len()));
            };
            #(#reads)*
            #body
        }
    }
}
