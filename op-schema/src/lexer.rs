//! A hand-written lexer over bytes.
//!
//! It runs inside a proc macro for every operator, so it allocates nothing and
//! produces tokens on demand; the parser keeps one token of lookahead (two for
//! `[` `]`). Whitespace, newlines included, only separates tokens: `->` and
//! `...` must be contiguous, but the parser also takes `- >` as an arrow.

use crate::error::{ErrorKind, SchemaError};

/// The kinds of token the schema grammar needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_]*`
    Ident,
    /// Digits with optional fraction, exponent and a `j` suffix (c10's complex literal).
    Number,
    /// A quoted string, either quote, with backslash escapes; the span includes the quotes.
    Str,
    /// `->`
    Arrow,
    /// `...`
    Ellipsis,
    /// Any other single ASCII punctuation character.
    Punct(u8),
    /// The end of the text.
    Eof,
}

/// A token and its byte range in the text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub kind: Tok,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn is(&self, b: u8) -> bool {
        self.kind == Tok::Punct(b)
    }
}

/// Produces [`Token`]s from schema text.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str) -> Self {
        Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    pub fn next_token(&mut self) -> Result<Token, SchemaError> {
        let b = self.bytes;
        while self.pos < b.len() && b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
        let start = self.pos;
        let Some(&c) = b.get(start) else {
            return Ok(Token {
                kind: Tok::Eof,
                start,
                end: start,
            });
        };
        let kind = match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => {
                self.pos += 1;
                while self.pos < b.len()
                    && (b[self.pos].is_ascii_alphanumeric() || b[self.pos] == b'_')
                {
                    self.pos += 1;
                }
                Tok::Ident
            }
            b'0'..=b'9' => {
                self.number();
                Tok::Number
            }
            b'.' if b.get(start + 1).is_some_and(u8::is_ascii_digit) => {
                self.number();
                Tok::Number
            }
            b'.' if b[start..].starts_with(b"...") => {
                self.pos += 3;
                Tok::Ellipsis
            }
            b'-' if b.get(start + 1) == Some(&b'>') => {
                self.pos += 2;
                Tok::Arrow
            }
            b'"' | b'\'' => {
                self.string(c)?;
                Tok::Str
            }
            c if c.is_ascii_graphic() => {
                self.pos += 1;
                Tok::Punct(c)
            }
            _ => {
                let ch = self.text[start..].chars().next().unwrap_or('\0');
                let end = start + ch.len_utf8();
                return Err(SchemaError::new(
                    ErrorKind::UnexpectedCharacter,
                    self.text,
                    start..end,
                    format!("unexpected character {}", describe_char(ch)),
                )
                .with_hint("schemas are ASCII: identifiers, types, `(`, `)`, `[`, `]`, `,`, `?`, `!`, `*`, `|`, `=` and `->`"));
            }
        };
        Ok(Token {
            kind,
            start,
            end: self.pos,
        })
    }

    /// Scans what C's `strtod` would read as a number, plus c10's `j` suffix.
    fn number(&mut self) {
        let b = self.bytes;
        let digits = |p: &mut usize| {
            while *p < b.len() && b[*p].is_ascii_digit() {
                *p += 1;
            }
        };
        digits(&mut self.pos);
        if b.get(self.pos) == Some(&b'.') && !b[self.pos..].starts_with(b"...") {
            self.pos += 1;
            digits(&mut self.pos);
        }
        if matches!(b.get(self.pos), Some(b'e' | b'E')) {
            let mut p = self.pos + 1;
            if matches!(b.get(p), Some(b'+' | b'-')) {
                p += 1;
            }
            if b.get(p).is_some_and(u8::is_ascii_digit) {
                digits(&mut p);
                self.pos = p;
            }
        }
        if b.get(self.pos) == Some(&b'j') {
            self.pos += 1;
        }
    }

    fn string(&mut self, quote: u8) -> Result<(), SchemaError> {
        let start = self.pos;
        self.pos += 1;
        while let Some(&c) = self.bytes.get(self.pos) {
            self.pos += 1;
            if c == b'\\' {
                self.pos += 1;
            } else if c == quote {
                return Ok(());
            } else if c == b'\n' {
                break;
            }
        }
        let q = quote as char;
        Err(SchemaError::new(
            ErrorKind::UnterminatedString,
            self.text,
            start..start + 1,
            "unterminated string literal",
        )
        .with_hint(format!("close the string with {q}")))
    }
}

fn describe_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("{:?}", c)
    } else {
        format!("`{c}`")
    }
}

/// Decodes the escapes of a string literal token (quotes included in `raw`),
/// the way c10's `parseStringLiteral` does for the common escapes.
pub(crate) fn unescape(raw: &str) -> String {
    let inner = &raw[1..raw.len() - 1];
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('v') => out.push('\u{b}'),
            Some('a') => out.push('\u{7}'),
            Some('b') => out.push('\u{8}'),
            Some('0') => out.push('\0'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Tok, &str)> {
        let mut lx = Lexer::new(text);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token().unwrap();
            if t.kind == Tok::Eof {
                return out;
            }
            out.push((t.kind, &text[t.start..t.end]));
        }
    }

    #[test]
    fn splits_a_schema() {
        let toks = kinds("aten::add.Tensor(Tensor(a!) self, *, Scalar alpha=1e-05) -> Tensor(a!)");
        let texts: Vec<&str> = toks.iter().map(|t| t.1).collect();
        assert_eq!(
            texts,
            [
                "aten", ":", ":", "add", ".", "Tensor", "(", "Tensor", "(", "a", "!", ")", "self",
                ",", "*", ",", "Scalar", "alpha", "=", "1e-05", ")", "->", "Tensor", "(", "a", "!",
                ")"
            ]
        );
        assert_eq!(toks[19].0, Tok::Number);
    }

    #[test]
    fn numbers_strings_and_dots() {
        assert_eq!(
            kinds("1e-05 0.5 3 2j 1.e"),
            [
                (Tok::Number, "1e-05"),
                (Tok::Number, "0.5"),
                (Tok::Number, "3"),
                (Tok::Number, "2j"),
                (Tok::Number, "1."),
                (Tok::Ident, "e")
            ]
        );
        assert_eq!(
            kinds(r#"'a\'b' "x""#),
            [(Tok::Str, r"'a\'b'"), (Tok::Str, "\"x\"")]
        );
        assert_eq!(
            kinds("f(...) -> ..."),
            [
                (Tok::Ident, "f"),
                (Tok::Punct(b'('), "("),
                (Tok::Ellipsis, "..."),
                (Tok::Punct(b')'), ")"),
                (Tok::Arrow, "->"),
                (Tok::Ellipsis, "...")
            ]
        );
        assert_eq!(
            kinds("- >"),
            [(Tok::Punct(b'-'), "-"), (Tok::Punct(b'>'), ">")]
        );
    }

    #[test]
    fn rejects_strange_characters() {
        let err = Lexer::new("f(Tensor x) → Tensor")
            .next_token()
            .and_then(|_| {
                let mut lx = Lexer::new("f(Tensor x) → Tensor");
                loop {
                    if lx.next_token()?.kind == Tok::Eof {
                        return Ok(());
                    }
                }
            });
        let err = err.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnexpectedCharacter);
        assert_eq!(err.span(), 12..15);
        let err = Lexer::new("'abc").next_token().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnterminatedString);
    }

    #[test]
    fn unescapes_like_c10() {
        assert_eq!(unescape(r"' \n\t\f\v'"), " \n\t\u{c}\u{b}");
        assert_eq!(unescape(r#""a\"b""#), "a\"b");
    }
}
