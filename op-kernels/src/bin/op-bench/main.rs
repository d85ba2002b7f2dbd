//! opkit's benchmark binary: dispatch overhead (this file's `dispatch` rows) and kernel throughput
//! against the memory-bandwidth limit measured in the same run (`kernels` rows).
//!
//! ```text
//! cargo run --release -p op-kernels --bin op-bench -- [--json] [--only dispatch|kernels]
//! ```
//!
//! Every number is measured against a reference taken in the same run, interleaved, since these
//! machines are shared and noisy: dispatch rows against a direct call of the same kernel, kernel
//! rows against a copy over the same bytes.

// `#[custom_op]` expands to paths under `::opkit`.
extern crate op_runtime as opkit;

mod dispatch;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = args.iter().any(|a| a == "--json");
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    if let Some(unknown) = args
        .iter()
        .find(|a| a.starts_with("--") && !["--json", "--only"].contains(&a.as_str()))
    {
        eprintln!("op-bench: unknown option `{unknown}`; options: --json, --only dispatch|kernels");
        std::process::exit(2);
    }
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if run("dispatch") {
        if let Err(e) = dispatch::run(json) {
            eprintln!("op-bench: dispatch rows failed: {e}");
            std::process::exit(1);
        }
    }
}
