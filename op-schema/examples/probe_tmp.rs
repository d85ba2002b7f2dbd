fn main() {
    let text = std::fs::read_to_string("/tmp/probe/cases.txt").unwrap();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        let s = op_schema::FunctionSchema::parse(line).unwrap();
        match s.out_variant() {
            Ok(o) => println!(
                "{line}\n  => {o}\n  kind {:?} sig {}",
                s.kind(),
                s.signature()
            ),
            Err(e) => println!("{line}\n  ERR {:?} {}", e.kind(), e.message()),
        }
    }
}
