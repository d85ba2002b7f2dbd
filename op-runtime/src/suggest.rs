//! "Did you mean" suggestions for misspelled op and argument names.

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

/// Edit distance over chars where swapping two neighbours counts as one edit (the optimal
/// string alignment distance): `alpah` is one typo away from `alpha`, not two.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        for j in 0..=b.len() {
            d[i * width + j] = if i == 0 || j == 0 {
                i + j
            } else {
                let cost = usize::from(a[i - 1] != b[j - 1]);
                let mut best = (d[(i - 1) * width + j] + 1)
                    .min(d[i * width + j - 1] + 1)
                    .min(d[(i - 1) * width + j - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    best = best.min(d[(i - 2) * width + j - 2] + 1);
                }
                best
            };
        }
    }
    d[a.len() * width + b.len()]
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
