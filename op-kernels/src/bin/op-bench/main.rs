//! opkit's benchmark binary: dispatch overhead (this file's `dispatch` rows) and kernel throughput
//! against the memory-bandwidth limit measured in the same run (`kernels` rows).
//!
//! ```text
//! cargo run --release -p op-kernels --bin op-bench -- [--json] [--only dispatch|kernels]
//!     [--quick] [--sizes 64k,4m,256m] [--threads 1,2] [--dtypes f32,f16,bf16,f64] [--op SUBSTRING]
//! ```
//!
//! Every number is measured against a reference taken in the same run, interleaved, since these
//! machines are shared and noisy: dispatch rows against a direct call of the same kernel, kernel
//! rows against a copy over the same bytes.

// `#[custom_op]` expands to paths under `::opkit`.
extern crate op_runtime as opkit;

#[cfg(feature = "cuda")]
mod cuda;
mod dispatch;
mod kernels;

const USAGE: &str = "\
usage: op-bench [--json] [--only dispatch|kernels|cuda] [--quick] [--sizes 64k,4m,256m]
                [--threads 1,2] [--dtypes f32,f16,bf16,f64] [--op SUBSTRING]

  --json     one JSON object per line instead of a table
  --only     run only the dispatch rows, the CPU kernel rows or (with the cuda feature) the CUDA rows
  --quick    fewer repetitions
  --sizes    bytes of each input: a count, or with a k, m or g suffix (rows show read + written)
  --threads  thread counts for the kernel rows
  --dtypes   element types for the kernel rows
  --op       only the ops whose name contains SUBSTRING";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    const OPTIONS: [&str; 8] = [
        "--json",
        "--only",
        "--quick",
        "--sizes",
        "--threads",
        "--dtypes",
        "--op",
        "--help",
    ];
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with('-') && !OPTIONS.contains(&a.as_str()))
    {
        eprintln!("op-bench: unknown option `{unknown}`\n{USAGE}");
        std::process::exit(2);
    }
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if run("dispatch")
        && let Err(e) = dispatch::run(json, args.iter().any(|a| a == "--quick"))
    {
        eprintln!("op-bench: dispatch rows failed: {e}");
        std::process::exit(1);
    }
    #[cfg(feature = "cuda")]
    if run("cuda")
        && let Err(e) = cuda::run(json)
    {
        eprintln!("op-bench: cuda rows failed: {e}");
        std::process::exit(1);
    }
    if run("kernels") {
        let options = match kernel_options(&args, json) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("op-bench: {e}");
                std::process::exit(2);
            }
        };
        if let Err(e) = kernels::run(&options) {
            eprintln!("op-bench: kernel rows failed: {e}");
            std::process::exit(1);
        }
    }
}

/// The kernel rows' options from the command line.
fn kernel_options(args: &[String], json: bool) -> Result<kernels::Options, String> {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
    };
    let list = |flag: &str| value(flag).map(|v| v.split(',').map(str::trim).collect::<Vec<_>>());
    let mut o = kernels::Options::new(json, args.iter().any(|a| a == "--quick"));
    if let Some(sizes) = list("--sizes") {
        o.sizes = sizes
            .iter()
            .map(|s| parse_size(s))
            .collect::<Result<_, _>>()?;
    }
    if let Some(threads) = list("--threads") {
        o.threads = threads
            .iter()
            .map(|t| t.parse().map_err(|_| format!("bad thread count `{t}`")))
            .collect::<Result<_, _>>()?;
    }
    if let Some(dtypes) = list("--dtypes") {
        o.dtypes = dtypes
            .iter()
            .map(|d| d.parse::<op_runtime::DType>().map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
    }
    o.only_op = value("--op").cloned();
    Ok(o)
}

/// `64k`, `4m`, `1g` or a byte count.
fn parse_size(s: &str) -> Result<usize, String> {
    let lower = s.to_ascii_lowercase();
    let (num, mul) = match lower.chars().last() {
        Some('k') => (&lower[..lower.len() - 1], 1 << 10),
        Some('m') => (&lower[..lower.len() - 1], 1 << 20),
        Some('g') => (&lower[..lower.len() - 1], 1 << 30),
        _ => (&lower[..], 1),
    };
    num.parse::<usize>()
        .map(|n| n * mul)
        .map_err(|_| format!("bad size `{s}` (try 64k, 4m, 256m)"))
}
