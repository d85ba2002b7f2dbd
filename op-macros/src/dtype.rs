//! The dtype names accepted in `dtypes(...)`, and their Rust element types.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;

/// One entry of `dtypes(...)`.
#[derive(Clone)]
pub struct DTypeName {
    /// The Rust element type's name (`f32`, `f16`, …), as written.
    pub rust: &'static str,
    /// The `DType` variant.
    variant: &'static str,
    /// Where it was written, so a bound the dtype does not meet is reported there.
    pub span: Span,
}

/// (name in `dtypes(...)`, `DType` variant, path under `__private` or primitive).
const TABLE: [(&str, &str, bool); 10] = [
    ("f32", "F32", false),
    ("f64", "F64", false),
    ("f16", "F16", true),
    ("bf16", "BF16", true),
    ("i8", "I8", false),
    ("i16", "I16", false),
    ("i32", "I32", false),
    ("i64", "I64", false),
    ("u8", "U8", false),
    ("bool", "Bool", false),
];

impl DTypeName {
    pub fn parse(ident: &Ident) -> syn::Result<DTypeName> {
        let name = ident.to_string();
        let alias = match name.as_str() {
            "float32" | "float" => "f32",
            "float64" | "double" => "f64",
            "float16" | "half" => "f16",
            "bfloat16" => "bf16",
            "int64" | "long" => "i64",
            "int32" | "int" => "i32",
            "int16" => "i16",
            "int8" => "i8",
            "uint8" => "u8",
            other => other,
        };
        match TABLE.iter().find(|(n, _, _)| *n == alias) {
            Some(&(rust, variant, _)) => Ok(DTypeName {
                rust,
                variant,
                span: ident.span(),
            }),
            None => Err(syn::Error::new(
                ident.span(),
                format!(
                    "unknown dtype `{name}`; expected one of f32, f64, f16, bf16, i8, i16, i32, i64, u8, bool"
                ),
            )),
        }
    }

    /// The dtype of a Rust element type written in a kernel signature (`ArrayViewD<f32>`).
    pub fn of_rust_type(ty: &syn::Type) -> Option<DTypeName> {
        let syn::Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?.ident.to_string();
        TABLE
            .iter()
            .find(|(n, _, _)| *n == last)
            .map(|&(rust, variant, _)| DTypeName {
                rust,
                variant,
                span: p
                    .path
                    .segments
                    .last()
                    .map_or_else(Span::call_site, |s| s.ident.span()),
            })
    }

    /// `DType::F32` etc.
    pub fn variant(&self, krate: &TokenStream) -> TokenStream {
        let v = Ident::new(self.variant, self.span);
        quote!(#krate::__private::DType::#v)
    }

    /// The Rust type, spanned at the dtype's name.
    pub fn rust_type(&self, krate: &TokenStream) -> TokenStream {
        let half = TABLE.iter().any(|(n, _, h)| *n == self.rust && *h);
        let ident = Ident::new(self.rust, self.span);
        if half {
            quote_spanned!(self.span=> #krate::__private::#ident)
        } else {
            quote_spanned!(self.span=> #ident)
        }
    }
}
