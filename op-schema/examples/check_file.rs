//! Checks a file of schemas, one a line (`#` starts a comment): each must
//! parse, validate and print back exactly. Prints the failures.
//!
//! ```text
//! cargo run -p op-schema --example check_file -- schemas.txt [--unvalidated]
//! ```

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: check_file FILE [--unvalidated]");
        std::process::exit(2);
    };
    let validate = args.next().as_deref() != Some("--unvalidated");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    let mut failures = 0;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parsed = if validate {
            op_schema::FunctionSchema::parse(line)
        } else {
            op_schema::FunctionSchema::parse_unvalidated(line)
        };
        match parsed {
            Ok(s) if s.to_string() == line => {}
            Ok(s) => {
                failures += 1;
                println!("MISMATCH\n  {line}\n  {s}");
            }
            Err(e) => {
                failures += 1;
                println!("ERROR {line}\n{e}\n");
            }
        }
    }
    if failures > 0 {
        std::process::exit(1);
    }
}
