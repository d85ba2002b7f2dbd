//! The one error type of the crate, and its rustc-style rendering.
//!
//! Every error points at a byte range of the schema text it was found in. For
//! a schema that was built in code rather than parsed, the text is the
//! schema's canonical printing, so the snippet still shows the culprit.

use std::fmt;
use std::ops::Range;

/// What went wrong, one variant per rule, so that callers and tests can tell
/// errors apart without matching on message text.
///
/// Variants up to [`ErrorKind::NoOutVariant`] are grouped as they are checked:
/// lexing, syntax, names and types (raised by every parse), then the semantic
/// rules of [`FunctionSchema::validate`](crate::FunctionSchema::validate), then
/// derivations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // --- lexing ---
    /// A character that cannot start any token, such as `@` or `é`.
    UnexpectedCharacter,
    /// A string literal that is not closed before the end of the text.
    UnterminatedString,
    /// A number that does not fit its type (for example an integer beyond `i64`).
    InvalidNumber,

    // --- syntax ---
    /// The text is empty or only whitespace.
    EmptySchema,
    /// A token that the grammar does not allow at this point.
    UnexpectedToken,
    /// The operator name is missing or malformed.
    MissingOperatorName,
    /// An argument has a type but no name.
    MissingArgumentName,
    /// An opening parenthesis or bracket without its closing partner, or the reverse.
    UnbalancedParen,
    /// The argument list is not followed by `->`.
    MissingArrow,
    /// Nothing follows `->`.
    MissingReturnType,
    /// Text remains after a complete schema.
    TrailingInput,
    /// `*` appears twice in the argument list.
    DuplicateKwargMarker,
    /// `*` is the last item of the argument list, so it marks nothing.
    DanglingKwargMarker,
    /// `...` is not the last item of the argument or return list.
    VarargNotLast,

    // --- types and annotations ---
    /// A type name that is neither a schema type nor a type variable.
    UnknownType,
    /// A C++, numpy or Python spelling of a type (`double`, `int64_t`, `std::string`, `List[int]`).
    ForeignTypeName,
    /// A C++ reference or pointer (`Tensor&`, `Tensor*`).
    ReferenceType,
    /// A malformed alias annotation, such as `Tensor()` or `Tensor(a!!)`.
    InvalidAliasAnnotation,
    /// An alias annotation where this crate cannot keep it: inside a tuple,
    /// dict or union element, or a second annotation on one argument.
    UnsupportedAliasPosition,
    /// A `__torch__` class type that is not `__torch__.torch.classes.<ns>.<Class>`.
    InvalidClassType,

    // --- semantic rules (validate) ---
    /// The overload name is `default` or starts with `__`.
    InvalidOverloadName,
    /// The operator name ends in `_out`, a suffix reserved for out overloads.
    ReservedOutSuffix,
    /// Two arguments share a name.
    DuplicateArgumentName,
    /// Two returns share a name.
    DuplicateReturnName,
    /// A positional argument without a default follows one with a default.
    NonDefaultAfterDefault,
    /// A default value that does not fit the argument's type.
    DefaultTypeMismatch,
    /// A schema with `...` in its arguments also has default values.
    VarargWithDefault,
    /// An alias annotation on a type that cannot alias, such as `int(a)`.
    AliasOnNonTensor,
    /// A written (`!`) alias annotation names more than one alias set.
    MutableAliasSetTooLarge,
    /// An alias annotation with more than one set both before and after `->`.
    AmbiguousAliasSets,
    /// A keyword-only argument that is not written follows an out argument.
    OutArgumentOrder,
    /// The i-th out argument and the i-th return do not carry the same alias annotation.
    OutReturnMismatch,
    /// An out schema does not return exactly one value per out argument.
    OutReturnCount,
    /// An out schema whose out arguments are not all plain `Tensor` returns something.
    OutListReturns,
    /// An in-place operator (`foo_`, `__iadd__`) does not write to `self`.
    InplaceSelfNotMutable,
    /// An in-place operator does not return `self` (or returns something for a non-Tensor `self`).
    InplaceReturn,
    /// A written return is aliased to neither an out argument nor `self`.
    MutableReturnNotAliased,
    /// Some returns are written and some are not.
    MixedMutableReturns,
    /// A written positional argument (other than `self`) is also returned.
    MutablePositionalReturned,
    /// A written positional argument comes before `self`.
    MutableBeforeSelf,
    /// A schema with a TensorOptions group (`dtype`, `layout`, `device`, `pin_memory`) is not functional.
    TensorOptionsNotFunctional,
    /// The overload name contains `functional` but the schema is not functional.
    FunctionalOverloadMismatch,

    // --- derivations ---
    /// [`FunctionSchema::out_variant`](crate::FunctionSchema::out_variant) was asked for a schema that has none.
    NoOutVariant,
}

/// An error in a function schema: what was expected, what was found, where,
/// and how to fix it.
///
/// `Display` renders it like rustc, ready to be embedded in `compile_error!`:
///
/// ```text
/// expected `)` or `,` after argument, found `x`
///   |
///   | my_ops::mul3(Tensor x x) -> Tensor
///   |                       ^
///   = help: separate arguments with `,`
/// ```
///
/// [`message`](Self::message) gives the first line alone and
/// [`span`](Self::span) the byte range it points at.
///
/// ```
/// use op_schema::{ErrorKind, FunctionSchema};
///
/// let err = FunctionSchema::parse("my_ops::mul3(Tensor x x) -> Tensor").unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::UnexpectedToken);
/// assert_eq!(err.span(), 22..23);
/// assert_eq!(err.column(), 23);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct SchemaError(Box<Details>);

/// The contents of a [`SchemaError`], boxed so that a `Result` carrying one
/// stays two words wide on the parser's hot path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Details {
    kind: ErrorKind,
    message: String,
    span: Range<usize>,
    line: usize,
    column: usize,
    expected: Option<String>,
    found: Option<String>,
    hint: Option<String>,
    note: Option<String>,
    source_text: String,
}

impl SchemaError {
    /// Builds an error pointing at `span` (byte offsets into `text`).
    pub(crate) fn new(
        kind: ErrorKind,
        text: &str,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let end = floor_char_boundary(text, span.end.clamp(start, text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line = text[..start].matches('\n').count() + 1;
        let column = text[line_start..start].chars().count() + 1;
        SchemaError(Box::new(Details {
            kind,
            message: message.into(),
            span: start..end,
            line,
            column,
            expected: None,
            found: None,
            hint: None,
            note: None,
            source_text: text.to_owned(),
        }))
    }

    /// Records what the parser expected and what it found instead.
    pub(crate) fn expected_found(
        mut self,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        self.0.expected = Some(expected.into());
        self.0.found = Some(found.into());
        self
    }

    /// Adds a `help:` line.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Adds a `note:` line.
    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.0.note = Some(note.into());
        self
    }

    /// Which rule was broken.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The one-line message, without the snippet, help or note.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The byte range of the schema text the error points at (empty at the end of the text).
    pub fn span(&self) -> Range<usize> {
        self.0.span.clone()
    }

    /// The byte offset where the error starts; the same as `span().start`.
    pub fn offset(&self) -> usize {
        self.0.span.start
    }

    /// The 1-based line of [`offset`](Self::offset); schemas are usually one line.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// The 1-based column of [`offset`](Self::offset), counted in characters.
    pub fn column(&self) -> usize {
        self.0.column
    }

    /// What the parser expected at this point, for syntax errors.
    pub fn expected(&self) -> Option<&str> {
        self.0.expected.as_deref()
    }

    /// What the parser found instead, for syntax errors.
    pub fn found(&self) -> Option<&str> {
        self.0.found.as_deref()
    }

    /// A suggestion for fixing the schema.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// Further context, such as where a clashing name was first declared.
    pub fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The schema text the error points into.
    pub fn source_text(&self) -> &str {
        &self.0.source_text
    }

    fn render(&self) -> Snippet<'_> {
        Snippet(self)
    }
}

/// Longest line shown whole; longer lines are cut to a window around the error.
const MAX_SHOWN: usize = 100;
/// Characters shown before the error in a cut line.
const CONTEXT_BEFORE: usize = 40;

struct Snippet<'a>(&'a SchemaError);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = self.0;
        f.write_str(&e.0.message)?;
        let text = &e.0.source_text;
        let line_start = text[..e.0.span.start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        // Tabs would break the caret alignment; show them as one space.
        let line: Vec<char> = text[line_start..line_end]
            .chars()
            .map(|c| if c == '\t' || c == '\r' { ' ' } else { c })
            .collect();
        let col = e.0.column - 1;
        let span_end = e.0.span.end.min(line_end).max(e.0.span.start);
        let width = text[e.0.span.start..span_end].chars().count().max(1);

        let (from, to) = if line.len() <= MAX_SHOWN {
            (0, line.len())
        } else {
            let from = col.saturating_sub(CONTEXT_BEFORE);
            (from, (from + MAX_SHOWN).min(line.len()))
        };
        let mut shown: String = line[from..to].iter().collect();
        let mut caret_at = col - from;
        if from > 0 {
            shown.insert_str(0, "...");
            caret_at += 3;
        }
        if to < line.len() {
            shown.push_str("...");
        }
        let width = width.min((to + 1).saturating_sub(col)).max(1);

        let multi_line = text.contains('\n');
        let number = if multi_line {
            e.0.line.to_string()
        } else {
            String::new()
        };
        let pad = " ".repeat(number.len().max(1));
        write!(f, "\n{pad} |")?;
        write!(f, "\n{number:>w$} | {shown}", w = pad.len())?;
        write!(f, "\n{pad} | {}{}", " ".repeat(caret_at), "^".repeat(width))?;
        if let Some(note) = &e.0.note {
            write!(f, "\n{pad} = note: {note}")?;
        }
        if let Some(hint) = &e.0.hint {
            write!(f, "\n{pad} = help: {hint}")?;
        }
        Ok(())
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let text = "my_ops::mul3(Tensor x x) -> Tensor";
        let e = SchemaError::new(
            ErrorKind::UnexpectedToken,
            text,
            22..23,
            "expected `)` or `,` after argument, found `x`",
        )
        .with_hint("separate arguments with `,`");
        assert_eq!(
            e.to_string(),
            "expected `)` or `,` after argument, found `x`\n  |\n  | my_ops::mul3(Tensor x x) -> Tensor\n  |                       ^\n  = help: separate arguments with `,`"
        );
        assert_eq!(e.column(), 23);
        assert_eq!(e.line(), 1);
    }

    #[test]
    fn numbers_lines_of_multi_line_text() {
        let text = "f(Tensor x,\n  Tensr y) -> Tensor";
        let e = SchemaError::new(ErrorKind::UnknownType, text, 14..19, "unknown type `Tensr`");
        assert_eq!(e.line(), 2);
        assert_eq!(e.column(), 3);
        assert_eq!(
            e.to_string(),
            "unknown type `Tensr`\n  |\n2 |   Tensr y) -> Tensor\n  |   ^^^^^"
        );
    }

    #[test]
    fn cuts_long_lines_around_the_error() {
        let text = format!("f({}Tensr y) -> Tensor", "int a, ".repeat(30));
        let at = text.find("Tensr").unwrap();
        let e = SchemaError::new(
            ErrorKind::UnknownType,
            &text,
            at..at + 5,
            "unknown type `Tensr`",
        );
        let rendered = e.to_string();
        let lines: Vec<&str> = rendered.lines().collect();
        assert!(lines[2].starts_with("  | ..."));
        let caret = lines[3].find('^').unwrap();
        assert_eq!(&lines[2][caret..caret + 5], "Tensr");
    }

    #[test]
    fn points_past_the_end() {
        let text = "f(Tensor x";
        let e = SchemaError::new(ErrorKind::UnbalancedParen, text, 10..10, "unclosed `(`");
        assert_eq!(e.column(), 11);
        assert!(e.to_string().ends_with("  |           ^"));
    }
}
