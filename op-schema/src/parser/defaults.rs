//! Default values: `None`, `True`, numbers, `-inf`, strings, named
//! constants and flat lists, each kept with its text as written.

use super::{Parser, Result};
use crate::default::DefaultValue;
use crate::error::ErrorKind;
use crate::lexer::{Tok, Token, unescape};

impl Parser<'_> {
    /// A default value and its normalised text. Lists are allowed at the top only.
    pub(super) fn default_value(&mut self, top: bool) -> Result<(DefaultValue, String)> {
        let tok = self.cur;
        let text = self.slice(tok);
        match tok.kind {
            Tok::Ident => {
                self.bump()?;
                let value = match text {
                    "None" => DefaultValue::None,
                    "True" => DefaultValue::Bool(true),
                    "False" => DefaultValue::Bool(false),
                    "inf" => DefaultValue::Float(f64::INFINITY),
                    "nan" => DefaultValue::Float(f64::NAN),
                    _ => DefaultValue::Named(text.to_owned()),
                };
                Ok((value, text.to_owned()))
            }
            Tok::Str => {
                self.bump()?;
                Ok((DefaultValue::Str(unescape(text)), text.to_owned()))
            }
            Tok::Number => {
                self.bump()?;
                Ok((self.number(tok, false)?, text.to_owned()))
            }
            Tok::Punct(b'-') => {
                self.bump()?;
                let t = self.cur;
                if t.kind == Tok::Number {
                    self.bump()?;
                    return Ok((self.number(t, true)?, format!("-{}", self.slice(t))));
                }
                if self.is_ident("inf") {
                    self.bump()?;
                    return Ok((DefaultValue::Float(f64::NEG_INFINITY), "-inf".into()));
                }
                Err(self.unexpected(ErrorKind::UnexpectedToken, "a number after `-`"))
            }
            Tok::Punct(b'[') if top => self.list_default(),
            _ => {
                let what = if top {
                    "a default value after `=`"
                } else {
                    "a list element"
                };
                let err = self.unexpected(ErrorKind::UnexpectedToken, what);
                Err(if tok.is(b'[') {
                    err.with_hint("list defaults cannot be nested")
                } else {
                    err
                })
            }
        }
    }

    pub(super) fn list_default(&mut self) -> Result<(DefaultValue, String)> {
        let open = self.bump()?;
        let mut items = Vec::new();
        let mut texts = Vec::new();
        let mut spaced = false;
        if !self.eat(b']')? {
            loop {
                let (v, t) = self.default_value(false)?;
                items.push(v);
                texts.push(t);
                if self.cur.is(b',') {
                    let comma = self.bump()?;
                    // Keep the writer's separator style: `[0, 1]` or `[-2,-1]`.
                    spaced |= self.text[comma.end..].starts_with(|c: char| c.is_ascii_whitespace());
                    continue;
                }
                if self.eat(b']')? {
                    break;
                }
                return Err(match self.cur.kind {
                    Tok::Eof => self.unclosed(open, ']', "the list"),
                    _ => self.unexpected(ErrorKind::UnexpectedToken, "`,` or `]` in the list"),
                });
            }
        }
        let sep = if spaced { ", " } else { "," };
        Ok((DefaultValue::List(items), format!("[{}]", texts.join(sep))))
    }

    pub(super) fn number(&self, tok: Token, negative: bool) -> Result<DefaultValue> {
        let text = self.slice(tok);
        let sign = if negative { -1.0 } else { 1.0 };
        let bad = || {
            self.error(
                ErrorKind::InvalidNumber,
                tok,
                format!("invalid number `{text}`"),
            )
        };
        if let Some(im) = text.strip_suffix('j') {
            return im
                .parse::<f64>()
                .map(|v| DefaultValue::Complex(sign * v))
                .map_err(|_| bad());
        }
        if text.contains(['.', 'e', 'E']) {
            return text
                .parse::<f64>()
                .map(|v| DefaultValue::Float(sign * v))
                .map_err(|_| bad());
        }
        // Parse the magnitude unsigned so that `-9223372036854775808` fits.
        let value = text.parse::<u64>().ok().and_then(|m| {
            if negative {
                0i64.checked_sub_unsigned(m)
            } else {
                i64::try_from(m).ok()
            }
        });
        value.map(DefaultValue::Int).ok_or_else(|| {
            let sign = if negative { "-" } else { "" };
            self.error(
                ErrorKind::InvalidNumber,
                tok,
                format!("integer `{sign}{text}` does not fit in 64 bits"),
            )
        })
    }
}
