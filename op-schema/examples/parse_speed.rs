//! How long parsing takes: ns per schema for a typical schema and for the
//! sample and extra data files, parse + validate, in release mode:
//!
//! ```text
//! cargo run --release -p op-schema --example parse_speed
//! ```
//!
//! The machines are shared and noisy, so each figure is the best of several
//! rounds, timed by the CPU time this process got (from `/proc/self/stat`,
//! where there is one) rather than the wall clock, which counts the time other
//! processes held the core. A reference measured in the same run (copying the
//! text into a fresh `String`, which every parse does at least once) is
//! printed beside it.

use std::hint::black_box;
use std::time::Instant;

use op_schema::FunctionSchema;

const TYPICAL: &str =
    "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)";
const SAMPLE: &str = include_str!("../tests/data/schemas_sample.txt");
const EXTRA: &str = include_str!("../tests/data/schemas_extra.txt");

/// CPU time this process has used, in ns, where Linux tells; else `None`.
fn cpu_ns() -> Option<u128> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the
    // 12th and 13th of them, in clock ticks (100 a second on Linux).
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ').skip(11);
    let utime: u128 = fields.next()?.parse().ok()?;
    let stime: u128 = fields.next()?.parse().ok()?;
    Some((utime + stime) * 10_000_000)
}

/// Best time per schema, in ns, over several rounds of at least 200 ms each
/// (the CPU clock ticks every 10 ms).
fn best_ns(schemas: &[&str], mut f: impl FnMut(&str)) -> f64 {
    (0..5)
        .map(|_| {
            let (wall, cpu) = (Instant::now(), cpu_ns());
            let mut done = 0usize;
            while wall.elapsed().as_millis() < 200 {
                for s in schemas {
                    f(black_box(s));
                }
                done += schemas.len();
            }
            let spent = match (cpu, cpu_ns()) {
                (Some(a), Some(b)) if b > a => b - a,
                _ => wall.elapsed().as_nanos(),
            };
            spent as f64 / done as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn report(what: &str, schemas: &[&str]) {
    let parse = best_ns(schemas, |s| {
        black_box(FunctionSchema::parse(s).expect("valid schema"));
    });
    let unvalidated = best_ns(schemas, |s| {
        black_box(FunctionSchema::parse_unvalidated(s).expect("valid schema"));
    });
    let copy = best_ns(schemas, |s| {
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
    report("typical (add.out)", &[TYPICAL]);
    report("schemas_sample.txt", &lines(SAMPLE));
    report("schemas_extra.txt", &lines(EXTRA));
    let s = FunctionSchema::parse(TYPICAL).unwrap();
    let print = best_ns(&[TYPICAL], |_| {
        black_box(s.to_string());
    });
    println!("printing the typical schema: {print:.0} ns");
}
