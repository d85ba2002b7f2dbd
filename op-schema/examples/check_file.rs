// temporary helper: parse each line of a file, report failures
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let validate = std::env::args().nth(2).is_none();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let r = if validate {
            op_schema::FunctionSchema::parse(line)
        } else {
            op_schema::FunctionSchema::parse_unvalidated(line)
        };
        match r {
            Ok(s) => {
                if s.to_string() != line {
                    println!("MISMATCH\n  {line}\n  {s}");
                }
            }
            Err(e) => println!("ERROR {line}\n{e}\n"),
        }
    }
}
