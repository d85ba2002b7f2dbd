//! Parsing the attribute arguments: `#[custom_op("schema", options...)]` and
//! `#[kernel(op, options...)]`.

use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Path, Token};

use crate::dtype::DTypeName;

/// `#[custom_op(...)]`'s arguments.
pub struct OpArgs {
    pub schema: LitStr,
    pub options: Options,
}

/// `#[kernel(...)]`'s arguments.
pub struct KernelArgs {
    /// The op's generated module (the name of the fn that carries `#[custom_op]`).
    pub op: Path,
    pub options: Options,
}

/// The options both attributes share. Which ones each accepts is checked by the caller.
#[derive(Default)]
pub struct Options {
    pub dtypes: Option<(Span, Vec<DTypeName>)>,
    pub shape: Option<Path>,
    pub device: Option<(Ident, DeviceName)>,
    pub composite: Option<Ident>,
    pub krate: Option<Path>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum DeviceName {
    Cpu,
    Cuda,
    Ascend,
}

impl Parse for OpArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[custom_op] needs a schema: #[custom_op(\"my_ops::name(Tensor x) -> Tensor\")]",
            ));
        }
        let schema: LitStr = input.parse().map_err(|e| {
            syn::Error::new(e.span(), "expected the schema as a string literal: #[custom_op(\"my_ops::name(Tensor x) -> Tensor\")]")
        })?;
        let options = if input.is_empty() {
            Options::default()
        } else {
            input.parse::<Token![,]>()?;
            input.parse()?
        };
        Ok(OpArgs { schema, options })
    }
}

impl Parse for KernelArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            return Err(syn::Error::new(
                Span::call_site(),
                "#[kernel] needs the op it implements: #[kernel(mul3, device = cuda)], where `mul3` is the fn that carries #[custom_op]",
            ));
        }
        let op: Path = input.parse()?;
        let options = if input.is_empty() {
            Options::default()
        } else {
            input.parse::<Token![,]>()?;
            input.parse()?
        };
        Ok(KernelArgs { op, options })
    }
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options::default();
        while !input.is_empty() {
            let key: Ident = if input.peek(Token![crate]) {
                let token: Token![crate] = input.parse()?;
                Ident::new("crate", token.span)
            } else {
                input.parse()?
            };
            let name = key.to_string();
            let duplicate = || syn::Error::new(key.span(), format!("`{name}` is given twice"));
            match name.as_str() {
                "dtypes" => {
                    if options.dtypes.is_some() {
                        return Err(duplicate());
                    }
                    let content;
                    syn::parenthesized!(content in input);
                    let names = Punctuated::<Ident, Token![,]>::parse_terminated(&content)?;
                    if names.is_empty() {
                        return Err(syn::Error::new(
                            key.span(),
                            "`dtypes()` is empty: list at least one, e.g. `dtypes(f32, f64)`",
                        ));
                    }
                    let mut dtypes = Vec::new();
                    for ident in names {
                        let dtype = DTypeName::parse(&ident)?;
                        if dtypes.iter().any(|d: &DTypeName| d.rust == dtype.rust) {
                            return Err(syn::Error::new(
                                ident.span(),
                                format!("dtype `{ident}` is listed twice"),
                            ));
                        }
                        dtypes.push(dtype);
                    }
                    options.dtypes = Some((key.span(), dtypes));
                }
                "shape" => {
                    if options.shape.is_some() {
                        return Err(duplicate());
                    }
                    input.parse::<Token![=]>()?;
                    options.shape = Some(input.parse()?);
                }
                "device" => {
                    if options.device.is_some() {
                        return Err(duplicate());
                    }
                    input.parse::<Token![=]>()?;
                    let ident: Ident = input.parse()?;
                    let device = match ident.to_string().as_str() {
                        "cpu" => DeviceName::Cpu,
                        "cuda" => DeviceName::Cuda,
                        "ascend" | "npu" => DeviceName::Ascend,
                        other => {
                            return Err(syn::Error::new(
                                ident.span(),
                                format!(
                                    "unknown device `{other}`; expected `cpu`, `cuda` or `ascend`"
                                ),
                            ));
                        }
                    };
                    options.device = Some((ident, device));
                }
                "composite" => {
                    if options.composite.is_some() {
                        return Err(duplicate());
                    }
                    options.composite = Some(key.clone());
                }
                "crate" => {
                    if options.krate.is_some() {
                        return Err(duplicate());
                    }
                    input.parse::<Token![=]>()?;
                    options.krate = Some(if input.peek(LitStr) {
                        input.parse::<LitStr>()?.parse()?
                    } else {
                        input.parse()?
                    });
                }
                _ => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{name}`; expected `dtypes(...)`, `shape = path`, `device = cpu|cuda|ascend`, `composite` or `crate = path`"
                        ),
                    ));
                }
            }
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if let (Some(composite), Some((device, _))) = (&options.composite, &options.device) {
            let mut e = syn::Error::new(
                device.span(),
                "a composite kernel runs on every device; remove `device = ...`",
            );
            e.combine(syn::Error::new(composite.span(), "`composite` given here"));
            return Err(e);
        }
        Ok(options)
    }
}
