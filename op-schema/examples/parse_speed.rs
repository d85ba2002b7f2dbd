//! How long parsing takes: ns per schema for a typical schema and for the
//! sample and extra data files, parse + validate, in release mode:
//!
//! ```text
//! cargo run --release -p op-schema --example parse_speed
//! ```
//!
//! The machines are shared and noisy, so each figure is the best of several
//! rounds, and a reference measured in the same run (copying the text into a
//! fresh `String`, which every parse does at least once) is printed beside it.

use std::hint::black_box;
use std::time::Instant;

use op_schema::FunctionSchema;

const TYPICAL: &str =
    "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)";
const SAMPLE: &str = include_str!("../tests/data/schemas_sample.txt");
const EXTRA: &str = include_str!("../tests/data/schemas_extra.txt");

/// Best time per schema, in ns, over `rounds` rounds of `iters` passes over `schemas`.
fn best_ns(schemas: &[&str], iters: usize, mut f: impl FnMut(&str)) -> f64 {
    (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                for s in schemas {
                    f(black_box(s));
                }
            }
            start.elapsed().as_nanos() as f64 / (iters * schemas.len()) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn report(what: &str, schemas: &[&str], iters: usize) {
    let parse = best_ns(schemas, iters, |s| {
        black_box(FunctionSchema::parse(s).expect("valid schema"));
    });
    let unvalidated = best_ns(schemas, iters, |s| {
        black_box(FunctionSchema::parse_unvalidated(s).expect("valid schema"));
    });
    let copy = best_ns(schemas, iters, |s| {
        black_box(s.to_owned());
    });
    let len = schemas.iter().map(|s| s.len()).sum::<usize>() / schemas.len();
    println!(
        "{what:<28} {:>4} schemas, {len:>3} bytes avg: parse+validate {parse:>7.0} ns, parse only {unvalidated:>7.0} ns, copy {copy:>4.0} ns (parse+validate = {:.0}x copy)",
        schemas.len(),
        parse / copy
    );
}

fn main() {
    if cfg!(debug_assertions) {
        println!("note: debug build; run with --release for meaningful numbers");
    }
    report("typical (add.out)", &[TYPICAL], 20_000);
    report("schemas_sample.txt", &lines(SAMPLE), 500);
    report("schemas_extra.txt", &lines(EXTRA), 50);
    let s = FunctionSchema::parse(TYPICAL).unwrap();
    let print = best_ns(&[TYPICAL], 20_000, |_| {
        black_box(s.to_string());
    });
    println!("printing the typical schema: {print:.0} ns");
}
