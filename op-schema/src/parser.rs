//! Recursive-descent parser: c10's `function_schema_parser.cpp` and
//! `schema_type_parser.cpp` grammar, with torchgen's type forms.
//!
//! ```text
//! schema    := name '(' [item (',' item)*] ')' '->' returns
//! name      := IDENT ['::' IDENT] ['.' IDENT]
//! item      := '*' | '...' | type IDENT ['=' default]
//! returns   := '...' | '(' [ret (',' ret)*] ')' | ret        ret := '...' | type [IDENT]
//! type      := primary [annot] ('[' [NUMBER] ']' [annot] | '?')*
//! primary   := IDENT | '(' type,* ')' | Dict(type, type) | Union(type,+)
//!            | Future(type) | Await(type) | RRef(type) | __torch__.torch.classes.NS.CLASS
//! annot     := '!' | '(' sets ['!'] ['->' sets] ')'        sets := (IDENT | '*') ('|' ...)*
//! default   := None | True | False | ['-'] NUMBER | ['-'] inf | nan | STRING | IDENT | '[' ... ']'
//! ```
//!
//! c10 only allows `[N]` once, after the other suffixes; torchgen nests list
//! types freely. We take the union. Alias annotations inside tuple, dict or
//! union elements are rejected: c10 parses and then drops them, so they could
//! not print back.
//!
//! This file reads the schema's frame: the name, the argument and return
//! lists. [`types`] reads types and alias annotations, [`defaults`] default
//! values.

mod defaults;
mod types;

use std::sync::Arc;

use crate::alias::{AliasInfo, AliasSite};
use crate::ast::{Argument, FunctionSchema, ItemSpans, OperatorName, Return, Source, Spans};
use crate::error::{ErrorKind, SchemaError};
use crate::lexer::{Lexer, Tok, Token};
use crate::types::Type;

type Result<T> = std::result::Result<T, SchemaError>;

/// Parses `text` into a schema carrying its source spans.
pub(crate) fn parse(text: &str) -> Result<FunctionSchema> {
    let mut p = Parser::new(text)?;
    p.schema()
}

/// A parsed alias annotation with where it was written.
struct Annotation {
    info: AliasInfo,
    site: AliasSite,
    span: std::ops::Range<usize>,
}

struct Parser<'a> {
    text: &'a str,
    lexer: Lexer<'a>,
    cur: Token,
    ahead: Option<Token>,
    /// End of the last consumed token, for spans.
    prev_end: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Result<Self> {
        let mut lexer = Lexer::new(text);
        let cur = lexer.next_token()?;
        Ok(Parser {
            text,
            lexer,
            cur,
            ahead: None,
            prev_end: 0,
        })
    }

    fn bump(&mut self) -> Result<Token> {
        let tok = self.cur;
        self.prev_end = tok.end;
        self.cur = match self.ahead.take() {
            Some(t) => t,
            None => self.lexer.next_token()?,
        };
        Ok(tok)
    }

    fn peek2(&mut self) -> Result<Token> {
        if self.ahead.is_none() {
            self.ahead = Some(self.lexer.next_token()?);
        }
        Ok(self.ahead.expect("just filled"))
    }

    fn slice(&self, tok: Token) -> &'a str {
        &self.text[tok.start..tok.end]
    }

    fn is_ident(&self, word: &str) -> bool {
        self.cur.kind == Tok::Ident && self.slice(self.cur) == word
    }

    fn describe(&self, tok: Token) -> String {
        match tok.kind {
            Tok::Eof => "end of input".into(),
            Tok::Str => "a string literal".into(),
            _ => format!("`{}`", self.slice(tok)),
        }
    }

    fn error(&self, kind: ErrorKind, tok: Token, message: impl Into<String>) -> SchemaError {
        SchemaError::new(kind, self.text, tok.start..tok.end, message)
    }

    /// "expected X, found Y" at the current token.
    fn unexpected(&self, kind: ErrorKind, expected: &str) -> SchemaError {
        let found = self.describe(self.cur);
        self.error(
            kind,
            self.cur,
            format!("expected {expected}, found {found}"),
        )
        .expected_found(expected, found)
    }

    /// The error for a missing closing delimiter, pointing where it belongs.
    fn unclosed(&self, open: Token, close: char, what: &str) -> SchemaError {
        let col = self.text[..open.start].chars().count() + 1;
        let found = self.describe(self.cur);
        self.error(
            ErrorKind::UnbalancedParen,
            self.cur,
            format!("expected `{close}` to close {what}, found {found}"),
        )
        .expected_found(format!("`{close}`"), found)
        .with_note(format!(
            "the `{}` at column {col} is never closed",
            self.slice(open)
        ))
    }

    fn eat(&mut self, b: u8) -> Result<bool> {
        if self.cur.is(b) {
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// `->`, also written with space between, `- >`.
    fn eat_arrow(&mut self) -> Result<bool> {
        if self.cur.kind == Tok::Arrow {
            self.bump()?;
            return Ok(true);
        }
        if self.cur.is(b'-') && self.peek2()?.is(b'>') {
            self.bump()?;
            self.bump()?;
            return Ok(true);
        }
        Ok(false)
    }

    fn schema(&mut self) -> Result<FunctionSchema> {
        if self.cur.kind == Tok::Eof {
            return Err(self
                .error(ErrorKind::EmptySchema, self.cur, "empty schema")
                .with_hint("a schema looks like `my_ops::mul3(Tensor x) -> Tensor`"));
        }
        let (name, mut spans) = self.name()?;
        let (arguments, is_vararg) = self.arguments(&mut spans)?;
        if !self.eat_arrow()? {
            let mut err = self.unexpected(ErrorKind::MissingArrow, "`->` after the argument list");
            err = match self.cur.kind {
                Tok::Eof => err.with_hint("add the return type: `-> Tensor`, or `-> ()` for none"),
                Tok::Punct(b':') => {
                    err.with_hint("schemas give the return type after `->`, not `:`")
                }
                _ => err,
            };
            return Err(err);
        }
        if self.cur.kind == Tok::Eof {
            return Err(self
                .error(
                    ErrorKind::MissingReturnType,
                    self.cur,
                    "expected a return type after `->`",
                )
                .expected_found("a return type", "end of input")
                .with_hint("write `-> ()` for an operator that returns nothing"));
        }
        spans.returns = self.cur.start..self.text.len();
        let (returns, is_varret) = self.returns(&mut spans)?;
        if self.cur.kind != Tok::Eof {
            let tok = self.cur;
            if tok.is(b')') || tok.is(b']') {
                return Err(self.error(
                    ErrorKind::UnbalancedParen,
                    tok,
                    format!("unmatched `{}`", self.slice(tok)),
                ));
            }
            return Err(self
                .error(ErrorKind::TrailingInput, tok, format!("unexpected {} after the schema", self.describe(tok)))
                .expected_found("end of input", self.describe(tok))
                .with_hint("a schema ends after its return type; wrap several returns in parentheses: `-> (Tensor a, Tensor b)`"));
        }
        Ok(FunctionSchema {
            name,
            arguments,
            returns,
            is_vararg,
            is_varret,
            source: Some(Arc::new(Source {
                text: self.text.into(),
                spans,
            })),
        })
    }

    fn name(&mut self) -> Result<(OperatorName, Spans)> {
        if self.cur.kind != Tok::Ident {
            return Err(self
                .unexpected(ErrorKind::MissingOperatorName, "an operator name")
                .with_hint(
                    "a schema starts with the operator's name: `my_ops::mul3(Tensor x) -> Tensor`",
                ));
        }
        let first = self.bump()?;
        let mut base = first;
        let mut namespace = None;
        if self.cur.is(b':') {
            self.bump()?;
            if !self.eat(b':')? {
                return Err(
                    self.unexpected(ErrorKind::MissingOperatorName, "`::` after the namespace")
                );
            }
            if self.cur.kind != Tok::Ident {
                return Err(self.unexpected(
                    ErrorKind::MissingOperatorName,
                    "an operator name after `::`",
                ));
            }
            namespace = Some(self.slice(first).to_owned());
            base = self.bump()?;
        }
        let mut overload = None;
        if self.eat(b'.')? {
            if self.cur.kind != Tok::Ident {
                return Err(
                    self.unexpected(ErrorKind::MissingOperatorName, "an overload name after `.`")
                );
            }
            overload = Some(self.bump()?);
        }
        if !self.cur.is(b'(') {
            let err = self.unexpected(ErrorKind::UnexpectedToken, "`(` after the operator name");
            return Err(if self.cur.kind == Tok::Eof {
                err.with_hint("a schema needs arguments and returns: `name(Tensor x) -> Tensor`")
            } else {
                err
            });
        }
        let name = OperatorName {
            namespace,
            name: self.slice(base).to_owned(),
            overload: overload.map(|t| self.slice(t).to_owned()),
        };
        let spans = Spans {
            name: first.start..self.prev_end,
            base: base.start..base.end,
            overload: overload.map(|t| t.start..t.end),
            ..Spans::default()
        };
        Ok((name, spans))
    }

    fn arguments(&mut self, spans: &mut Spans) -> Result<(Vec<Argument>, bool)> {
        let open = self.bump()?;
        // One argument per comma, give or take: saves the regrowths.
        let estimate = self.text.bytes().filter(|&b| b == b',').count() + 1;
        let mut args = Vec::with_capacity(estimate);
        spans.args.reserve(estimate);
        let mut kwarg_only = false;
        let mut star: Option<Token> = None;
        let mut star_used = false;
        let mut vararg = false;
        if self.eat(b')')? {
            return Ok((args, false));
        }
        loop {
            if vararg {
                return Err(self
                    .error(
                        ErrorKind::VarargNotLast,
                        self.cur,
                        "`...` must be the last item of the argument list",
                    )
                    .with_hint("move `...` to the end"));
            }
            if self.cur.is(b'*') {
                if let Some(first) = star {
                    let col = self.text[..first.start].chars().count() + 1;
                    return Err(self
                        .error(
                            ErrorKind::DuplicateKwargMarker,
                            self.cur,
                            "`*` appears twice in the argument list",
                        )
                        .with_note(format!(
                            "arguments after the first `*` (column {col}) are already keyword-only"
                        ))
                        .with_hint("remove this `*`"));
                }
                star = Some(self.bump()?);
                kwarg_only = true;
            } else if self.cur.kind == Tok::Ellipsis {
                self.bump()?;
                vararg = true;
            } else if self.cur.is(b')') || self.cur.kind == Tok::Eof {
                return Err(self
                    .unexpected(ErrorKind::UnexpectedToken, "an argument after `,`")
                    .with_hint("remove the trailing comma"));
            } else {
                let (arg, item) = self.argument(kwarg_only)?;
                star_used |= kwarg_only;
                args.push(arg);
                spans.args.push(item);
            }
            if self.eat(b',')? {
                continue;
            }
            if self.eat(b')')? {
                break;
            }
            return Err(self.after_item(
                open,
                "argument",
                "`)` or `,` after argument",
                "the argument list",
            ));
        }
        if let (Some(star), false) = (star, star_used) {
            return Err(self
                .error(
                    ErrorKind::DanglingKwargMarker,
                    star,
                    "`*` is not followed by any argument",
                )
                .with_hint("remove the `*`, or put the keyword-only arguments after it"));
        }
        Ok((args, vararg))
    }

    /// The error after a list item that is followed by neither `,` nor the closing paren.
    fn after_item(&self, open: Token, item: &str, expected: &str, list: &str) -> SchemaError {
        match self.cur.kind {
            Tok::Eof | Tok::Arrow => self.unclosed(open, ')', list),
            Tok::Ident | Tok::Number => self
                .unexpected(ErrorKind::UnexpectedToken, expected)
                .with_hint(format!("separate {item}s with `,`")),
            Tok::Punct(b'=') if item == "return" => self
                .unexpected(ErrorKind::UnexpectedToken, expected)
                .with_hint("returns cannot have default values"),
            _ => self.unexpected(ErrorKind::UnexpectedToken, expected),
        }
    }

    fn argument(&mut self, kwarg_only: bool) -> Result<(Argument, ItemSpans)> {
        let start = self.cur.start;
        let (ty, annotation) = self.top_type()?;
        let ty_span = start..self.prev_end;
        if self.cur.kind != Tok::Ident {
            return Err(self.missing_name(&ty));
        }
        let name_tok = self.bump()?;
        let mut default = None;
        let mut default_text = None;
        let mut default_span = None;
        if self.eat(b'=')? {
            let d_start = self.cur.start;
            let (value, text) = self.default_value(true)?;
            default = Some(value);
            default_text = Some(text);
            default_span = Some(d_start..self.prev_end);
        }
        let (alias, alias_site, alias_span) = split_annotation(annotation);
        let arg = Argument {
            name: self.slice(name_tok).to_owned(),
            ty,
            default,
            kwarg_only,
            alias,
            alias_site,
            default_text,
        };
        let item = ItemSpans {
            whole: start..self.prev_end,
            ty: ty_span,
            alias: alias_span,
            name: Some(name_tok.start..name_tok.end),
            default: default_span,
        };
        Ok((arg, item))
    }

    fn missing_name(&self, ty: &Type) -> SchemaError {
        let tok = self.cur;
        match tok.kind {
            Tok::Punct(b'&') | Tok::Punct(b'*') => self
                .error(ErrorKind::ReferenceType, tok, format!("schemas have no C++ {}s", if tok.is(b'&') { "reference" } else { "pointer" }))
                .with_hint(format!(
                    "to let the operator write to an argument, give it a mutable alias annotation: `{}(a!) x`, and return `{0}(a!)` if you return it",
                    ty.primary()
                )),
            Tok::Punct(b'<') => self
                .error(ErrorKind::ForeignTypeName, tok, "schemas have no C++ templates")
                .with_hint("write lists as `T[]`, fixed-size lists as `T[N]` and optional types as `T?`"),
            Tok::Punct(b'(') => self
                .unexpected(ErrorKind::InvalidAliasAnnotation, "an argument name")
                .with_hint("an alias annotation goes right after the base type or a list suffix, before `?`: `Tensor(a!)?`"),
            Tok::Punct(b'[') => self
                .unexpected(ErrorKind::UnexpectedToken, "`]` or a list size")
                .with_hint("write lists as `T[]` or `T[N]`"),
            Tok::Punct(b',') | Tok::Punct(b')') | Tok::Punct(b'=') => self
                .unexpected(ErrorKind::MissingArgumentName, "an argument name")
                .with_hint(format!("every argument needs a name: `{ty} x`")),
            _ => self.unexpected(ErrorKind::MissingArgumentName, "an argument name after the type"),
        }
    }

    fn returns(&mut self, spans: &mut Spans) -> Result<(Vec<Return>, bool)> {
        let mut rets = Vec::new();
        if self.cur.kind == Tok::Ellipsis {
            self.bump()?;
            return Ok((rets, true));
        }
        if !self.cur.is(b'(') {
            let (ret, item) = self.return_value()?;
            rets.push(ret);
            spans.rets.push(item);
            return Ok((rets, false));
        }
        let open = self.bump()?;
        let mut varret = false;
        if self.eat(b')')? {
            return Ok((rets, false));
        }
        loop {
            if varret {
                return Err(self
                    .error(
                        ErrorKind::VarargNotLast,
                        self.cur,
                        "`...` must be the last item of the return list",
                    )
                    .with_hint("move `...` to the end"));
            }
            if self.cur.kind == Tok::Ellipsis {
                self.bump()?;
                varret = true;
            } else if self.cur.is(b')') || self.cur.kind == Tok::Eof {
                return Err(self
                    .unexpected(ErrorKind::UnexpectedToken, "a return type after `,`")
                    .with_hint("remove the trailing comma"));
            } else {
                let (ret, item) = self.return_value()?;
                rets.push(ret);
                spans.rets.push(item);
            }
            if self.eat(b',')? {
                continue;
            }
            if self.eat(b')')? {
                return Ok((rets, varret));
            }
            return Err(self.after_item(
                open,
                "return",
                "`)` or `,` after return",
                "the return list",
            ));
        }
    }

    fn return_value(&mut self) -> Result<(Return, ItemSpans)> {
        let start = self.cur.start;
        let (ty, annotation) = self.top_type()?;
        let ty_span = start..self.prev_end;
        if self.cur.is(b'&') || self.cur.is(b'*') {
            return Err(self.missing_name(&ty));
        }
        let name = if self.cur.kind == Tok::Ident {
            Some(self.bump()?)
        } else {
            None
        };
        let (alias, alias_site, alias_span) = split_annotation(annotation);
        let ret = Return {
            name: name.map(|t| self.slice(t).to_owned()),
            ty,
            alias,
            alias_site,
        };
        let item = ItemSpans {
            whole: start..self.prev_end,
            ty: ty_span,
            alias: alias_span,
            name: name.map(|t| t.start..t.end),
            default: None,
        };
        Ok((ret, item))
    }
}

fn split_annotation(
    a: Option<Annotation>,
) -> (Option<AliasInfo>, AliasSite, Option<std::ops::Range<usize>>) {
    match a {
        Some(a) => (Some(a.info), a.site, Some(a.span)),
        None => (None, AliasSite::Base, None),
    }
}
