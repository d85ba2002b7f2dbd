//! The error path: the user's fn unchanged plus the errors, so one mistake gives one message and
//! not a cascade of "cannot find" errors about the fn itself.

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

pub fn with_errors(func: Option<&ItemFn>, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote!(#func #errors)
}
