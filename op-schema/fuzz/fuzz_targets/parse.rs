//! Parses arbitrary UTF-8 as a schema. Nothing may panic, and whatever parses
//! must print to text that parses to the same schema and prints identically.

#![no_main]

use libfuzzer_sys::fuzz_target;
use op_schema::FunctionSchema;

fuzz_target!(|text: &str| {
    for parsed in [FunctionSchema::parse_unvalidated(text), FunctionSchema::parse(text)] {
        let schema = match parsed {
            Ok(schema) => schema,
            Err(err) => {
                // Rendering must not panic either, whatever the span.
                let _ = err.to_string();
                continue;
            }
        };
        let printed = schema.to_string();
        let again = FunctionSchema::parse_unvalidated(&printed)
            .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse:\n{e}"));
        assert_eq!(again.to_string(), printed, "input {text:?}");
        assert_eq!(again, schema, "input {text:?}");
        // The validated result does not depend on the spelling.
        assert_eq!(
            FunctionSchema::parse(&printed).is_ok(),
            schema.validate().is_ok(),
            "input {text:?}"
        );
        if let Ok(out) = schema.out_variant() {
            let out_text = out.to_string();
            let reparsed = FunctionSchema::parse(&out_text)
                .unwrap_or_else(|e| panic!("{text:?}: out variant {out_text:?} does not parse:\n{e}"));
            assert_eq!(reparsed.to_string(), out_text);
        }
        let _ = schema.signature().to_string();
        let _ = schema.kind();
    }
});
