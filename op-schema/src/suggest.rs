//! "Did you mean" for type names: C++/numpy/Python spellings and near misses.
//!
//! c10 reads any unknown lowercase identifier as a type variable, so `double x`
//! would silently become a generic argument. We keep type variables for c10
//! compatibility but catch the spellings people actually write by mistake.

use crate::types::BaseType;

/// The schema spelling for a C++, numpy or Python type name, with a hint.
/// `None` when the name is not a known foreign spelling.
pub(crate) fn foreign_type(name: &str) -> Option<&'static str> {
    Some(match name {
        "double" | "float64" | "float32" | "f64" | "f32" | "half" | "float16" | "bfloat16" => {
            "use `float`: a schema `float` is a C++ `double`; the tensor dtype is not part of the type"
        }
        "int64_t" | "long" | "int32_t" | "int16_t" | "int8_t" | "uint8_t" | "uint64_t"
        | "uint32_t" | "int64" | "int32" | "i64" | "i32" | "usize" | "isize" | "size_t"
        | "ssize_t" | "short" | "unsigned" | "integer" => {
            "use `int` (a 64-bit integer), or `SymInt` for sizes that may be symbolic"
        }
        "string" | "String" | "char" | "bytes" => "use `str`",
        "bool_t" | "boolean" | "Boolean" => "use `bool`",
        "void" => "write `-> ()` for an operator that returns nothing",
        "auto" => "schemas need explicit types; see the list at aten/src/ATen/native/README.md",
        "const" => {
            "schemas have no `const`: an argument without `!` in its alias annotation is read-only"
        }
        "number" | "Number" => "use `Scalar` for a number of any kind",
        "dtype" | "Dtype" | "DType" => "use `ScalarType`",
        "List" | "list" | "Sequence" | "Vec" | "vector" | "Array" => {
            "write lists as `T[]`, such as `int[]` or `Tensor[]`"
        }
        "Optional" | "optional" | "Option" => "write optional types as `T?`, such as `Tensor?`",
        "Tuple" | "tuple" => "return several values as `-> (Tensor, Tensor)`",
        "Self" | "self" => "`self` is an argument name; write `Tensor self`",
        _ => return None,
    })
}

/// Spelling suggestions for qualified C++ names: `std::string`, `at::Tensor`.
pub(crate) fn foreign_qualified(namespace: &str, name: &str) -> String {
    match (namespace, name) {
        ("std", "string") | ("std", "string_view") | ("c10", "string_view") => "use `str`".into(),
        ("std", "vector") | ("c10", "List") | ("at", "IntArrayRef") | ("c10", "ArrayRef") => {
            "write lists as `T[]`, such as `int[]` or `Tensor[]`".into()
        }
        ("std" | "c10", "optional") => "write optional types as `T?`, such as `Tensor?`".into(),
        ("std", "array") => "write fixed-size lists as `T[N]`, such as `bool[3]`".into(),
        ("std", "tuple") => "return several values as `-> (Tensor, Tensor)`".into(),
        (_, name) if BaseType::from_name(name).is_some() => {
            format!("drop the `{namespace}::`; write `{name}`")
        }
        _ => format!(
            "schemas use their own type names, not `{namespace}::` types; see aten/src/ATen/native/README.md"
        ),
    }
}

/// The closest schema type name to an unknown one, if any is close enough to
/// be a plausible typo.
pub(crate) fn similar_type(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    // Case slips first: `Int`, `Float`, `tensor`, `symint`.
    if let Some(b) = BaseType::ALL
        .into_iter()
        .find(|b| b.as_str().to_ascii_lowercase() == lower)
    {
        return Some(b.as_str());
    }
    let limit = match name.chars().count() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    BaseType::ALL
        .into_iter()
        .map(|b| (edit_distance(&lower, &b.as_str().to_ascii_lowercase()), b))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, b)| b.as_str())
}

/// Optimal string alignment distance: Levenshtein plus swaps of neighbours
/// (`Tenosr`), which are the commonest typo. Also what the runtime's "did you
/// mean" for op and argument names uses.
///
/// ```
/// assert_eq!(op_schema::edit_distance("alpah", "alpha"), 1);
/// assert_eq!(op_schema::edit_distance("kitten", "sitting"), 3);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// The schema types people reach for most, for messages with no close match.
pub(crate) const COMMON_TYPES: &str =
    "Tensor, SymInt, int, float, bool, str, Scalar, ScalarType, Device, Generator";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_near_misses() {
        assert_eq!(similar_type("Tensr"), Some("Tensor"));
        assert_eq!(similar_type("Tenosr"), Some("Tensor"));
        assert_eq!(similar_type("Int"), Some("int"));
        assert_eq!(similar_type("tensor"), Some("Tensor"));
        assert_eq!(similar_type("Scaler"), Some("Scalar"));
        assert_eq!(similar_type("Symint"), Some("SymInt"));
        assert_eq!(similar_type("Banana"), None);
    }

    #[test]
    fn knows_foreign_spellings() {
        assert!(foreign_type("double").unwrap().contains("`float`"));
        assert!(foreign_type("int64_t").unwrap().contains("`int`"));
        assert!(foreign_type("string").unwrap().contains("`str`"));
        assert_eq!(foreign_type("t"), None);
        assert_eq!(foreign_qualified("std", "string"), "use `str`");
        assert_eq!(
            foreign_qualified("at", "Tensor"),
            "drop the `at::`; write `Tensor`"
        );
    }

    #[test]
    fn distance_counts_swaps_once() {
        assert_eq!(edit_distance("tenosr", "tensor"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
