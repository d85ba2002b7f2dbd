//! Types and alias annotations: `Tensor(a!)[]`, `int[2]?`, `Dict(str, t)`,
//! `__torch__.torch.classes.ns.Class`, and the hints for C++ spellings.

use super::{Annotation, Parser, Result};
use crate::alias::{AliasInfo, AliasSite};
use crate::error::{ErrorKind, SchemaError};
use crate::lexer::{Tok, Token};
use crate::suggest::{COMMON_TYPES, foreign_qualified, foreign_type, similar_type};
use crate::types::{BaseType, Type};

impl Parser<'_> {
    /// A type at argument or return level, where an alias annotation may appear.
    pub(super) fn top_type(&mut self) -> Result<(Type, Option<Annotation>)> {
        self.ty()
    }

    /// A type inside a tuple, dict, union or future, where annotations are not kept.
    pub(super) fn inner_type(&mut self) -> Result<Type> {
        let start = self.cur.start;
        let (ty, annotation) = self.ty()?;
        if let Some(a) = annotation {
            return Err(SchemaError::new(
                ErrorKind::UnsupportedAliasPosition,
                self.text,
                a.span,
                "alias annotations inside a compound type are not supported",
            )
            .with_note(format!(
                "PyTorch parses and then ignores this annotation on `{}`",
                &self.text[start..self.prev_end]
            ))
            .with_hint(
                "annotate the whole argument instead, after its type: `Dict(str, Tensor)(a)`",
            ));
        }
        Ok(ty)
    }

    pub(super) fn ty(&mut self) -> Result<(Type, Option<Annotation>)> {
        let mut ty = self.primary()?;
        let mut annotation = None;
        self.annotation(&mut annotation, AliasSite::Base)?;
        let mut lists: u8 = 0;
        loop {
            if self.cur.is(b'?') {
                self.bump()?;
                ty = Type::Optional(Box::new(ty));
            } else if self.cur.is(b'[') {
                let next = self.peek2()?;
                let size = if next.is(b']') {
                    self.bump()?;
                    None
                } else if next.kind == Tok::Number {
                    self.bump()?;
                    Some(self.list_size()?)
                } else {
                    self.bump()?;
                    let err = self.unexpected(ErrorKind::UnexpectedToken, "`]` or a list size");
                    return Err(err.with_hint("write lists as `T[]`, fixed-size lists as `T[N]`"));
                };
                self.bump()?; // `]`
                ty = Type::List {
                    elem: Box::new(ty),
                    size,
                };
                lists = lists.checked_add(1).ok_or_else(|| {
                    self.error(
                        ErrorKind::UnexpectedToken,
                        self.cur,
                        "too many nested lists",
                    )
                })?;
                self.annotation(&mut annotation, AliasSite::List(lists))?;
            } else {
                break;
            }
        }
        Ok((ty, annotation))
    }

    /// `[N]`: the current token is the size; leaves `]` current.
    pub(super) fn list_size(&mut self) -> Result<usize> {
        let tok = self.cur;
        let text = self.slice(tok);
        let size = text.parse::<usize>().map_err(|_| {
            self.error(
                ErrorKind::InvalidNumber,
                tok,
                format!("list size `{text}` is not a whole number"),
            )
            .with_hint("write fixed-size lists as `T[N]`, such as `int[2]`")
        })?;
        self.bump()?;
        if !self.cur.is(b']') {
            return Err(self.unexpected(ErrorKind::UnbalancedParen, "`]` after the list size"));
        }
        Ok(size)
    }

    pub(super) fn primary(&mut self) -> Result<Type> {
        let tok = self.cur;
        match tok.kind {
            Tok::Punct(b'(') => {
                let open = self.bump()?;
                let mut elems = Vec::new();
                if !self.eat(b')')? {
                    loop {
                        elems.push(self.inner_type()?);
                        if self.eat(b',')? {
                            continue;
                        }
                        if self.eat(b')')? {
                            break;
                        }
                        return Err(self.after_item(
                            open,
                            "tuple element",
                            "`)` or `,` in the tuple type",
                            "the tuple type",
                        ));
                    }
                }
                Ok(Type::Tuple(elems))
            }
            Tok::Ident => self.named_type(),
            _ => Err(self.unexpected(ErrorKind::UnexpectedToken, "a type")),
        }
    }

    pub(super) fn named_type(&mut self) -> Result<Type> {
        let tok = self.cur;
        let name = self.slice(tok);
        let next = self.peek2()?;
        let call = next.is(b'(');
        match name {
            "Tensor" => {
                self.bump()?;
                return Ok(Type::Base(BaseType::Tensor));
            }
            "Future" | "Await" | "RRef" if call => {
                self.bump()?;
                let open = self.bump()?;
                let inner = Box::new(self.inner_type()?);
                self.close(open, name)?;
                return Ok(match name {
                    "Future" => Type::Future(inner),
                    "Await" => Type::Await(inner),
                    _ => Type::RRef(inner),
                });
            }
            "Dict" if call => {
                self.bump()?;
                let open = self.bump()?;
                let key = Box::new(self.inner_type()?);
                if !self.eat(b',')? {
                    return Err(self.unexpected(
                        ErrorKind::UnexpectedToken,
                        "`,` between the key and value types",
                    ));
                }
                let value = Box::new(self.inner_type()?);
                self.close(open, "Dict")?;
                return Ok(Type::Dict { key, value });
            }
            "Union" if call => {
                self.bump()?;
                let open = self.bump()?;
                let mut elems = vec![self.inner_type()?];
                while self.eat(b',')? {
                    elems.push(self.inner_type()?);
                }
                self.close(open, "Union")?;
                return Ok(Type::Union(elems));
            }
            "__torch__" => return self.class_type(),
            _ => {}
        }
        if next.is(b':') {
            return Err(self.qualified_cpp_type());
        }
        if name == "torch" && next.is(b'.') {
            return Err(self
                .error(
                    ErrorKind::ForeignTypeName,
                    tok,
                    "schemas use their own type names, not Python's",
                )
                .with_hint("write `Tensor` for `torch.Tensor`, `ScalarType` for `torch.dtype`"));
        }
        if let Some(b) = BaseType::from_name(name) {
            self.bump()?;
            return Ok(Type::Base(b));
        }
        if let Some(hint) = foreign_type(name) {
            return Err(self
                .error(
                    ErrorKind::ForeignTypeName,
                    tok,
                    format!("`{name}` is not a schema type"),
                )
                .with_hint(hint));
        }
        let lowercase = name.as_bytes()[0].is_ascii_lowercase();
        // c10 reads unknown lowercase names as type variables (`t`, `t1`,
        // `tVal`). Longer ones that are one slip away from a real type are
        // almost always typos, so we say so instead.
        // Short lowercase names (`t`, `t1`) are type variables without asking.
        let suggestion = if lowercase && name.len() < 4 {
            None
        } else {
            similar_type(name)
        };
        if lowercase && (name.len() < 4 || suggestion.is_none()) {
            self.bump()?;
            return Ok(Type::Var(name.to_owned()));
        }
        let err = self.error(
            ErrorKind::UnknownType,
            tok,
            format!("unknown type `{name}`"),
        );
        Err(match suggestion {
            Some(s) => err.with_hint(format!("did you mean `{s}`?")),
            None => err.with_hint(format!(
                "schema types include {COMMON_TYPES}; lowercase names such as `t` are type variables"
            )),
        })
    }

    /// `std::string`, `at::Tensor`, `c10::optional<T>`: C++ names in a schema.
    pub(super) fn qualified_cpp_type(&mut self) -> SchemaError {
        let tok = self.cur;
        let namespace = self.slice(tok);
        let mut end = tok.end;
        let mut name = "";
        // Look past `::` for the name, without giving up the error position.
        let rest = &self.text[tok.end..];
        if let Some(after) = rest.trim_start().strip_prefix("::") {
            let trimmed = after.trim_start();
            let len = trimmed
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            name = &trimmed[..len];
            end = self.text.len() - trimmed.len() + len;
        }
        SchemaError::new(
            ErrorKind::ForeignTypeName,
            self.text,
            tok.start..end,
            format!(
                "`{}` is a C++ type, not a schema type",
                &self.text[tok.start..end]
            ),
        )
        .with_hint(foreign_qualified(namespace, name))
    }

    pub(super) fn class_type(&mut self) -> Result<Type> {
        let start = self.bump()?.start;
        let mut path = Vec::new();
        while self.eat(b'.')? {
            if self.cur.kind != Tok::Ident {
                return Err(self.unexpected(ErrorKind::InvalidClassType, "a name after `.`"));
            }
            let t = self.bump()?;
            path.push(self.slice(t));
        }
        if path.len() != 4 || path[0] != "torch" || path[1] != "classes" {
            return Err(SchemaError::new(
                ErrorKind::InvalidClassType,
                self.text,
                start..self.prev_end,
                "a custom class type must be `__torch__.torch.classes.<namespace>.<Class>`",
            ));
        }
        Ok(Type::Class(path.join(".")))
    }

    pub(super) fn close(&mut self, open: Token, what: &str) -> Result<()> {
        if self.eat(b')')? {
            return Ok(());
        }
        Err(match self.cur.kind {
            Tok::Eof => self.unclosed(open, ')', &format!("`{what}(`")),
            _ => self.unexpected(
                ErrorKind::UnexpectedToken,
                &format!("`)` to close `{what}(`"),
            ),
        })
    }

    /// An optional alias annotation at `site`; a second one on the same type is an error.
    pub(super) fn annotation(
        &mut self,
        slot: &mut Option<Annotation>,
        site: AliasSite,
    ) -> Result<()> {
        let start = self.cur.start;
        let info = if self.cur.is(b'!') {
            self.bump()?;
            AliasInfo {
                before: Vec::new(),
                after: Vec::new(),
                is_write: true,
            }
        } else if self.cur.is(b'(') {
            let open = self.bump()?;
            let before = self.alias_sets()?;
            let is_write = self.eat(b'!')?;
            let after = if self.eat_arrow()? {
                self.alias_sets()?
            } else {
                Vec::new()
            };
            if !self.eat(b')')? {
                return Err(match self.cur.kind {
                    Tok::Eof => self.unclosed(open, ')', "the alias annotation"),
                    _ => self
                        .unexpected(ErrorKind::InvalidAliasAnnotation, "`)` to close the alias annotation")
                        .with_hint("alias annotations look like `(a)`, `(a!)`, `(a -> *)` or `(a! -> a|b)`"),
                });
            }
            AliasInfo {
                before,
                after,
                is_write,
            }
        } else {
            return Ok(());
        };
        let span = start..self.prev_end;
        if slot.is_some() {
            return Err(SchemaError::new(
                ErrorKind::UnsupportedAliasPosition,
                self.text,
                span,
                "a second alias annotation on one type is not supported",
            )
            .with_hint("annotate either the elements, `Tensor(a)[]`, or the list, `Tensor[](a)`"));
        }
        *slot = Some(Annotation { info, site, span });
        Ok(())
    }

    /// `a|b|*`: one or more set names separated by `|`.
    pub(super) fn alias_sets(&mut self) -> Result<Vec<String>> {
        let mut sets = Vec::new();
        loop {
            if self.cur.is(b'*') {
                self.bump()?;
                sets.push(crate::alias::WILDCARD.to_owned());
            } else if self.cur.kind == Tok::Ident {
                let t = self.bump()?;
                sets.push(self.slice(t).to_owned());
            } else {
                return Err(self
                    .unexpected(
                        ErrorKind::InvalidAliasAnnotation,
                        "an alias set name or `*`",
                    )
                    .with_hint(
                        "alias annotations look like `(a)`, `(a!)`, `(a -> *)` or `(a! -> a|b)`",
                    ));
            }
            if !self.eat(b'|')? {
                return Ok(sets);
            }
        }
    }
}
