//! Alias annotations: `(a)`, `(a!)`, `(a! -> a|b)`, `(a -> *)`, `(*)`, and
//! c10's `!` shorthand.

use std::fmt;

/// The wildcard alias set, `*`: the value may alias anything.
pub const WILDCARD: &str = "*";

/// An alias annotation: which alias sets a value is in before and after the
/// call, and whether the call writes to it.
///
/// `after` is empty when the annotation has no `->` (the sets do not change);
/// [`after_sets`](Self::after_sets) gives the effective sets either way.
///
/// ```
/// use op_schema::AliasInfo;
/// let a = AliasInfo { before: vec!["a".into()], after: vec!["a".into(), "b".into()], is_write: true };
/// assert_eq!(a.to_string(), "(a! -> a|b)");
/// assert_eq!(AliasInfo::write("a").to_string(), "(a!)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AliasInfo {
    /// The alias sets before the call (`a` in `a -> b`); `*` is the wildcard.
    /// Empty only for c10's `Tensor!` shorthand, a fresh set of its own.
    pub before: Vec<String>,
    /// The alias sets after the call as written after `->`; empty without `->`.
    pub after: Vec<String>,
    /// True for `!`: the operator writes to the value.
    pub is_write: bool,
}

impl AliasInfo {
    /// `(set)`: read-only membership in one alias set.
    pub fn read(set: &str) -> Self {
        AliasInfo {
            before: vec![set.to_owned()],
            after: Vec::new(),
            is_write: false,
        }
    }

    /// `(set!)`: a written value in one alias set.
    pub fn write(set: &str) -> Self {
        AliasInfo {
            before: vec![set.to_owned()],
            after: Vec::new(),
            is_write: true,
        }
    }

    /// The sets after the call: `after` when `->` was written, else `before`.
    pub fn after_sets(&self) -> &[String] {
        if self.after.is_empty() {
            &self.before
        } else {
            &self.after
        }
    }

    /// True for `(*)`: the value may alias anything before the call.
    pub fn is_wildcard_before(&self) -> bool {
        self.before.iter().any(|s| s == WILDCARD)
    }

    /// True for `(a -> *)`: the value may alias anything after the call.
    pub fn is_wildcard_after(&self) -> bool {
        self.after_sets().iter().any(|s| s == WILDCARD)
    }

    /// True for c10's `Tensor!` shorthand, which puts the value in a fresh set
    /// that nothing else can name.
    pub fn is_fresh(&self) -> bool {
        self.before.is_empty()
    }

    /// Whether two annotations describe the same aliasing: same sets before
    /// and after, same write flag. Fresh sets equal nothing, not even themselves.
    pub fn same_as(&self, other: &AliasInfo) -> bool {
        !self.is_fresh()
            && !other.is_fresh()
            && self.is_write == other.is_write
            && self.before == other.before
            && self.after_sets() == other.after_sets()
    }
}

impl fmt::Display for AliasInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_fresh() {
            return f.write_str("!");
        }
        f.write_str("(")?;
        f.write_str(&self.before.join("|"))?;
        if self.is_write {
            f.write_str("!")?;
        }
        if !self.after.is_empty() {
            f.write_str(" -> ")?;
            f.write_str(&self.after.join("|"))?;
        }
        f.write_str(")")
    }
}

/// Where an argument's alias annotation is written in its type.
///
/// torchgen writes it on the element, `Tensor(a!)[]`; c10 also writes it on
/// the list, `t[](a!)`. Both mean a list in that alias set, so
/// [`Argument::alias`](crate::Argument::alias) returns it either way; the site
/// only lets the schema print back as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AliasSite {
    /// Right after the base type: `Tensor(a!)`, `Tensor(a!)[]`, `Tensor(a)?`.
    #[default]
    Base,
    /// After the n-th list suffix counting from the base, 1-based: `t[](a!)`
    /// is `List(1)`, `t[][](a)` is `List(2)`.
    List(u8),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_like_pytorch() {
        let star = AliasInfo {
            before: vec!["*".into()],
            ..Default::default()
        };
        assert_eq!(star.to_string(), "(*)");
        assert!(star.is_wildcard_before() && star.is_wildcard_after());
        let to_star = AliasInfo {
            before: vec!["a".into()],
            after: vec!["*".into()],
            is_write: false,
        };
        assert_eq!(to_star.to_string(), "(a -> *)");
        assert!(!to_star.is_wildcard_before() && to_star.is_wildcard_after());
        assert_eq!(
            AliasInfo {
                before: vec!["a".into(), "b".into()],
                ..Default::default()
            }
            .to_string(),
            "(a|b)"
        );
        let fresh = AliasInfo {
            is_write: true,
            ..Default::default()
        };
        assert_eq!(fresh.to_string(), "!");
        assert!(!fresh.same_as(&fresh));
    }

    #[test]
    fn unwritten_after_set_is_the_before_set() {
        let a = AliasInfo::write("a");
        let explicit = AliasInfo {
            before: vec!["a".into()],
            after: vec!["a".into()],
            is_write: true,
        };
        assert!(a.same_as(&explicit));
        assert_ne!(a, explicit);
        assert!(!a.same_as(&AliasInfo::read("a")));
    }
}
