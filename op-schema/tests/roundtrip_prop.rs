//! Property tests: random valid schemas print → parse → print unchanged, and
//! no input, however broken, makes the parser panic.

use op_schema::FunctionSchema;
use proptest::prelude::*;

/// One argument's random choices; [`build`] turns them into text.
#[derive(Debug, Clone)]
struct ArgSeed {
    base: usize,
    suffix: usize,
    default: Option<usize>,
    alias: bool,
}

#[derive(Debug, Clone)]
struct SchemaSeed {
    namespace: Option<String>,
    name: String,
    overload: Option<String>,
    positional: Vec<ArgSeed>,
    kwarg_only: Vec<ArgSeed>,
    vararg: bool,
    returns: Vec<(usize, bool)>,
    varret: bool,
}

/// Base types with the defaults that fit them (written as PyTorch writes them).
const BASES: &[(&str, &[&str])] = &[
    ("Tensor", &[]),
    ("int", &["0", "-1", "100", "Mean", "Sum"]),
    ("SymInt", &["1", "-100"]),
    (
        "float",
        &["1e-05", "0.5", "-inf", "2", "1.0", "1e+16", "nan"],
    ),
    ("bool", &["True", "False"]),
    ("str", &["\"valid\"", "'mean'", "\"a\\\"b\""]),
    ("Scalar", &["1", "0.5", "-2"]),
    ("ScalarType", &["long", "float"]),
    ("Layout", &["strided"]),
    ("MemoryFormat", &["contiguous_format"]),
    ("Device", &["\"cpu\""]),
    ("complex", &["2j", "1"]),
    ("SymFloat", &["0.0"]),
    ("SymBool", &["True"]),
    ("Dimname", &["\"N\""]),
    ("Generator", &[]),
    ("Stream", &[]),
    ("Storage", &[]),
    ("DeviceIndex", &["0"]),
    ("QScheme", &[]),
    // c10-only types: no defaults.
    ("t", &[]),
    ("Dict(str, t)", &[]),
    ("(int, str)", &[]),
    ("Future(Tensor)", &[]),
    ("Union(int, float)", &[]),
    ("Any", &[]),
];

/// `(suffix, list-defaults for int/float/bool elements)`.
const SUFFIXES: &[&str] = &["", "?", "[]", "[2]", "[]?", "[1]?", "?[]"];

const RETURNS: &[&str] = &[
    "Tensor",
    "Tensor[]",
    "int",
    "float",
    "bool",
    "SymInt",
    "Tensor?",
    "t",
    "(str, t)[]",
];

fn is_c10(base: &str) -> bool {
    base.starts_with(|c: char| c.is_ascii_lowercase() && c == 't')
        || base.contains('(')
        || base == "Any"
}

/// The argument's text, and whether it has a default.
fn arg_text(seed: &ArgSeed, index: usize, kwarg: bool, alias_letter: &mut u8) -> (String, bool) {
    let (base, defaults) = BASES[seed.base % BASES.len()];
    let mut suffix = SUFFIXES[seed.suffix % SUFFIXES.len()];
    // `?[]` only makes sense on Tensor (`Tensor?[]`); tuples print with a paren.
    if suffix == "?[]" && base != "Tensor" {
        suffix = "[]";
    }
    let mut ty = base.to_owned();
    if seed.alias && base == "Tensor" && !suffix.contains('?') {
        ty.push_str(&format!("({})", *alias_letter as char));
        *alias_letter += 1;
    }
    ty.push_str(suffix);
    let name = if index == 0 && !kwarg {
        "self".to_owned()
    } else {
        format!("arg{index}")
    };
    let numeric = matches!(base, "int" | "SymInt" | "float" | "bool");
    let default = seed.default.and_then(|d| {
        let scalar =
            |d: usize| (!defaults.is_empty()).then(|| defaults[d % defaults.len()].to_owned());
        match suffix {
            "" => scalar(d),
            "?" | "[]?" | "[1]?" => Some(if d % 2 == 0 {
                "None".into()
            } else {
                scalar(d)?
            })
            .filter(|v| suffix == "?" || v == "None"),
            "[]" if numeric => {
                let items: Vec<String> = (0..d % 3).filter_map(|i| scalar(d + i)).collect();
                Some(format!(
                    "[{}]",
                    items.join(if d % 2 == 0 { ", " } else { "," })
                ))
            }
            "[2]" if numeric => scalar(d),
            _ => None,
        }
    });
    // The `None` of a `?` over a c10 type is fine; a scalar default of one is not.
    let default = default.filter(|v| v == "None" || !is_c10(base));
    match &default {
        Some(d) => (format!("{ty} {name}={d}"), true),
        None => (format!("{ty} {name}"), false),
    }
}

fn build(seed: &SchemaSeed) -> String {
    let mut letter = b'a';
    let mut args = Vec::new();
    let mut any_default = false;
    let mut seen_default = false;
    for (i, a) in seed.positional.iter().enumerate() {
        let (mut text, mut has) = arg_text(a, i, false, &mut letter);
        // A positional argument without a default after one with a default is
        // invalid, so drop this one's lack by giving it none at all: reorder.
        if seen_default && !has {
            let (t, h) = arg_text(
                &ArgSeed {
                    default: Some(1),
                    suffix: 1,
                    alias: false,
                    ..a.clone()
                },
                i,
                false,
                &mut letter,
            );
            (text, has) = (t, h);
            if !has {
                continue;
            }
        }
        seen_default |= has;
        any_default |= has;
        args.push(text);
    }
    let mut kwargs = Vec::new();
    for (i, a) in seed.kwarg_only.iter().enumerate() {
        let (text, has) = arg_text(a, 100 + i, true, &mut letter);
        any_default |= has;
        kwargs.push(text);
    }
    if !kwargs.is_empty() {
        args.push("*".into());
        args.extend(kwargs);
    }
    if seed.vararg && !any_default {
        args.push("...".into());
    }
    let mut rets: Vec<String> = seed
        .returns
        .iter()
        .enumerate()
        .map(|(i, &(r, named))| {
            let ty = RETURNS[r % RETURNS.len()];
            if named {
                format!("{ty} ret{i}")
            } else {
                ty.to_owned()
            }
        })
        .collect();
    if seed.varret {
        rets.push("...".into());
    }
    let returns = match rets.len() {
        0 => "()".to_owned(),
        1 if !rets[0].starts_with('(') && rets[0] != "..."
            || rets[0] == "..." && seed.returns.is_empty() =>
        {
            rets.remove(0)
        }
        _ => format!("({})", rets.join(", ")),
    };
    let mut name = String::new();
    if let Some(ns) = &seed.namespace {
        name.push_str(ns);
        name.push_str("::");
    }
    name.push_str(&seed.name);
    if let Some(o) = &seed.overload {
        name.push('.');
        name.push_str(o);
    }
    format!("{name}({}) -> {returns}", args.join(", "))
}

fn arg_seed() -> impl Strategy<Value = ArgSeed> {
    (
        0..BASES.len(),
        0..SUFFIXES.len(),
        proptest::option::of(0usize..20),
        any::<bool>(),
    )
        .prop_map(|(base, suffix, default, alias)| ArgSeed {
            base,
            suffix,
            default,
            alias,
        })
}

fn schema_seed() -> impl Strategy<Value = SchemaSeed> {
    (
        proptest::option::of("[a-z][a-z0-9_]{0,6}"),
        "[a-z][a-z0-9]{0,8}",
        proptest::option::of("[A-Za-z][A-Za-z0-9_]{0,8}"),
        proptest::collection::vec(arg_seed(), 0..5),
        proptest::collection::vec(arg_seed(), 0..3),
        any::<bool>(),
        proptest::collection::vec((0..RETURNS.len(), any::<bool>()), 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(namespace, name, overload, positional, kwarg_only, vararg, returns, varret)| {
                SchemaSeed {
                    namespace,
                    name,
                    overload: overload.filter(|o| o != "default"),
                    positional,
                    kwarg_only,
                    vararg,
                    returns,
                    varret,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1500,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Generated schemas are canonical: they validate and print back exactly,
    /// and their out variants (where they have one) do too.
    #[test]
    fn generated_schemas_round_trip(seed in schema_seed()) {
        let text = build(&seed);
        let s = FunctionSchema::parse(&text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(s.to_string(), text.clone());
        let again = FunctionSchema::parse(&s.to_string()).unwrap();
        prop_assert_eq!(&again, &s);
        if let Ok(out) = s.out_variant() {
            let out_text = out.to_string();
            let reparsed = FunctionSchema::parse(&out_text)
                .map_err(|e| TestCaseError::fail(format!("{text}\n=> {out_text}\n{e}")))?;
            prop_assert_eq!(reparsed.to_string(), out_text);
            prop_assert_eq!(reparsed.signature(), s.signature());
        }
        // The signature is a schema too, and prints back.
        let sig = s.signature().to_string();
        let parsed_sig = FunctionSchema::parse_unvalidated(&sig)
            .map_err(|e| TestCaseError::fail(format!("{sig}\n{e}")))?;
        prop_assert_eq!(parsed_sig.to_string(), sig);
    }

    /// Whatever parses prints to text that parses to the same schema and
    /// prints the same again; nothing panics.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        check_no_panic(&text)?;
    }

    #[test]
    fn schema_like_text_never_panics(
        tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..30)
    ) {
        check_no_panic(&tokens.concat())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        check_no_panic(&String::from_utf8_lossy(&bytes))?;
    }

    /// Small edits of real schemas: delete, insert, replace, duplicate.
    #[test]
    fn mutated_real_schemas_never_panic(
        line in 0usize..400,
        edits in proptest::collection::vec((0usize..4, any::<prop::sample::Index>(), 0usize..12, proptest::sample::select(TOKENS)), 1..4),
    ) {
        let real: Vec<&str> = REAL.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        let mut text = real[line % real.len()].to_owned();
        for (op, at, len, token) in edits {
            // Edits land on character boundaries (`é` is among the tokens).
            let floor = |mut k: usize| { while !text.is_char_boundary(k) { k -= 1; } k };
            let i = floor(at.index(text.len() + 1));
            let j = floor((i + len).min(text.len()));
            match op {
                0 => { text.replace_range(i..j, ""); }
                1 => text.insert_str(i, token),
                2 => text.replace_range(i..j, token),
                _ => { let dup = text[i..j].to_owned(); text.insert_str(j, &dup); }
            }
        }
        check_no_panic(&text)?;
    }
}

const REAL: &str = include_str!("data/schemas_extra.txt");

const TOKENS: &[&str] = &[
    "f",
    "aten",
    "::",
    ".",
    "out",
    "(",
    ")",
    "[",
    "]",
    "[2]",
    "?",
    "!",
    "*",
    "|",
    "->",
    "- >",
    ",",
    " ",
    "=",
    "...",
    "Tensor",
    "int",
    "SymInt",
    "float",
    "t",
    "Dict",
    "Future",
    "Union",
    "__torch__",
    ".torch.classes.a.B",
    "(a!)",
    "(a)",
    "(a -> *)",
    "(*)",
    "self",
    "x",
    "None",
    "True",
    "1",
    "-1",
    "1e-05",
    "2j",
    "inf",
    "\"s\"",
    "'",
    "\"",
    "\\",
    "\n",
    "é",
    "-",
    "0x",
    "99999999999999999999",
];

fn check_no_panic(text: &str) -> Result<(), TestCaseError> {
    for parsed in [
        FunctionSchema::parse(text),
        FunctionSchema::parse_unvalidated(text),
    ] {
        match parsed {
            Ok(s) => {
                let printed = s.to_string();
                let again = FunctionSchema::parse_unvalidated(&printed).map_err(|e| {
                    TestCaseError::fail(format!("{text:?}\nprinted {printed:?}\n{e}"))
                })?;
                prop_assert_eq!(&again.to_string(), &printed, "input {:?}", text);
                let _ = s.validate();
                let _ = s.out_variant();
                let _ = s.signature().to_string();
                let _ = s.kind();
            }
            Err(e) => {
                let _ = e.to_string();
                prop_assert!(e.span().end <= text.len());
            }
        }
    }
    Ok(())
}
