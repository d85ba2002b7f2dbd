//! "Did you mean" suggestions for misspelled op and argument names.

use op_schema::edit_distance;

/// The candidates nearest to `wanted` by edit distance (at most three), if they are within a
/// third of its length.
pub(crate) fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<String> {
    let limit = (wanted.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &str)> = candidates
        .map(|c| (edit_distance(wanted, c), c))
        .filter(|&(d, _)| d <= limit)
        .collect();
    scored.sort();
    scored.dedup();
    // Only the nearest: `mul33` suggests `mul3`, not also `mul4` one edit further away.
    let best = scored.first().map(|&(d, _)| d);
    scored
        .into_iter()
        .take_while(|&(d, _)| Some(d) == best)
        .take(3)
        .map(|(_, c)| c.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_near_misses_only() {
        let names = ["my_ops::mul3", "my_ops::mul4", "ops::relu"];
        assert_eq!(
            closest("my_ops::mul33", names.into_iter()),
            vec!["my_ops::mul3"]
        );
        assert!(closest("completely_else", names.into_iter()).is_empty());
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("alpah", "alpha"), 1);
        assert_eq!(closest("alpah", ["alpha", "x"].into_iter()), vec!["alpha"]);
    }
}
