//! Real PyTorch schemas: each parses, validates and prints back exactly.
//!
//! `schemas_sample.txt` holds 40 hand-picked schemas; `schemas_extra.txt` a
//! few hundred more from native_functions.yaml and c10's JIT operators.

use std::collections::BTreeSet;

use op_schema::{BaseType, FunctionSchema, Type};

fn schemas(file: &str) -> Vec<&'static str> {
    let text = match file {
        "sample" => include_str!("data/schemas_sample.txt"),
        "extra" => include_str!("data/schemas_extra.txt"),
        _ => unreachable!(),
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Parses, validates and reprints every line; collects every failure so one
/// run shows them all.
fn check_all(lines: &[&str]) -> Vec<FunctionSchema> {
    let mut failures = Vec::new();
    let mut parsed = Vec::new();
    for line in lines {
        match FunctionSchema::parse(line) {
            Ok(s) => {
                if s.to_string() != *line {
                    failures.push(format!("round trip:\n  {line}\n  {s}"));
                }
                let again = FunctionSchema::parse(&s.to_string()).expect("printed schema parses");
                assert_eq!(again, s, "{line}");
                parsed.push(s);
            }
            Err(e) => failures.push(format!("{line}\n{e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    parsed
}

#[test]
fn sample_schemas_round_trip() {
    let lines = schemas("sample");
    assert_eq!(lines.len(), 40);
    check_all(&lines);
}

#[test]
fn extra_schemas_round_trip() {
    let lines = schemas("extra");
    assert!(lines.len() >= 300, "only {} schemas", lines.len());
    check_all(&lines);
}

#[test]
fn extra_schemas_are_distinct_from_the_sample() {
    let sample: BTreeSet<_> = schemas("sample").into_iter().collect();
    let extra = schemas("extra");
    let unique: BTreeSet<_> = extra.iter().collect();
    assert_eq!(
        unique.len(),
        extra.len(),
        "duplicate lines in schemas_extra.txt"
    );
    assert!(extra.iter().all(|s| !sample.contains(s)));
}

fn base_types(t: &Type, out: &mut BTreeSet<String>) {
    match t {
        Type::Base(b) => {
            out.insert(b.to_string());
        }
        Type::Optional(t) | Type::List { elem: t, .. } => base_types(t, out),
        Type::Dict { key, value } => {
            base_types(key, out);
            base_types(value, out);
        }
        Type::Var(_) => {
            out.insert("<type variable>".into());
        }
        _ => {}
    }
}

/// The data covers the forms the issue lists, so a regression in any of them
/// shows up here rather than in a user's build.
#[test]
fn data_covers_every_common_form() {
    let all: Vec<&str> = schemas("sample")
        .into_iter()
        .chain(schemas("extra"))
        .collect();
    let parsed = check_all(&all);
    let mut types = BTreeSet::new();
    for s in &parsed {
        for t in s
            .arguments()
            .iter()
            .map(|a| &a.ty)
            .chain(s.returns().iter().map(|r| &r.ty))
        {
            base_types(t, &mut types);
        }
    }
    for b in [
        BaseType::Tensor,
        BaseType::Int,
        BaseType::SymInt,
        BaseType::Float,
        BaseType::Complex,
        BaseType::Bool,
        BaseType::SymBool,
        BaseType::Str,
        BaseType::Scalar,
        BaseType::ScalarType,
        BaseType::Layout,
        BaseType::MemoryFormat,
        BaseType::Device,
        BaseType::DeviceIndex,
        BaseType::Generator,
        BaseType::Stream,
        BaseType::Storage,
        BaseType::Dimname,
        BaseType::Any,
        BaseType::AnyEnumType,
    ] {
        assert!(types.contains(b.as_str()), "no schema uses `{b}`");
    }
    assert!(types.contains("<type variable>"));
    for needle in [
        "Tensor(a!)",
        "Tensor(a)",
        "Tensor(a -> *)",
        "Tensor(a|b)",
        "t(*)",
        "t[](a!)",
        "Tensor(a!)[]",
        "Tensor(a)[]",
        "Tensor?[]",
        "int[1]? dim=None",
        "int[1] dim=[]",
        "SymInt[]",
        "bool[3]",
        "Dimname[]?",
        "Layout? layout=None",
        "MemoryFormat? memory_format=None",
        "MemoryFormat memory_format=contiguous_format",
        "ScalarType? dtype=long",
        "str padding=\"valid\"",
        "str pad_mode=\"reflect\"",
        "float eps=1e-05",
        "float margin=1.0",
        "int end_dim=-1",
        "int reduction=Mean",
        "SymInt ignore_index=-100",
        "bool? pin_memory=False",
        "*, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None",
        "-> ()",
        "-> ...",
        "(...)",
        ", ...)",
        "-> (Tensor values, Tensor indices)",
        "-> Tensor[] self_out",
        "Dict(str, t)",
    ] {
        assert!(
            all.iter().any(|s| s.contains(needle)),
            "no schema has `{needle}`"
        );
    }
}

/// c10 forms that native_functions.yaml never uses: compound types, the `!`
/// shorthand, alias sets after `->`, classes. They parse and print back too.
#[test]
fn c10_only_forms_round_trip() {
    for s in [
        "aten::wait(Future(t) self) -> t",
        "aten::to_here(RRef(t) self, float timeout=0.0) -> t",
        "prim::awaitable_wait(Await(t) self) -> t",
        "aten::items.str(Dict(str, t) self) -> ((str, t)[])",
        "aten::keys.str(Dict(str, t) self) -> str[](*)",
        "prim::is_cuda(Union(Tensor, int) a) -> bool",
        "my_ops::f(__torch__.torch.classes.my_ns.Foo foo) -> __torch__.torch.classes.my_ns.Foo",
        "aten::add_(Tensor! self, Tensor other) -> Tensor!",
        "aten::tuple_op((int, str) pair) -> (int, str)",
        "aten::f(Tensor(a! -> a|b) self) -> Tensor(b)",
        "aten::__is__(t1 self, t2 obj) -> bool",
        "aten::dict.Dict_str(Dict(str, t)(a) self) -> Dict(str, t)",
        "aten::f(Tensor? x=None, NoneType n=None) -> NoneType",
        "aten::g(complex c=2j, float f=-inf, float n=nan) -> ()",
        "aten::h(str s='single', str t=\"a\\\"b\") -> ()",
    ] {
        let parsed = FunctionSchema::parse_unvalidated(s).unwrap_or_else(|e| panic!("{s}\n{e}"));
        assert_eq!(parsed.to_string(), s);
    }
}

/// Whitespace is free between tokens and printing normalises it, as c10's
/// registration strings show (`t [](a!) l`).
#[test]
fn non_canonical_whitespace_is_normalised() {
    for (written, canonical) in [
        (
            "aten::_set_item.t(t [](a!) l, int idx, t(b -> *) el) -> t[](a!)",
            "aten::_set_item.t(t[](a!) l, int idx, t(b -> *) el) -> t[](a!)",
        ),
        (
            "aten::append.t(t[](a!) self, t(c -> *) el) -> (t[](a!))",
            "aten::append.t(t[](a!) self, t(c -> *) el) -> t[](a!)",
        ),
        (
            "  add.Tensor( Tensor self ,Tensor other,*,Scalar alpha = 1 )->Tensor  ",
            "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
        ),
        (
            "f(Tensor x,\n  int[2]  y=[0,1]) - > (Tensor a)",
            "f(Tensor x, int[2] y=[0,1]) -> Tensor a",
        ),
    ] {
        let s = FunctionSchema::parse(written).unwrap_or_else(|e| panic!("{written}\n{e}"));
        assert_eq!(s.to_string(), canonical);
    }
}

#[test]
fn accessors_on_real_schemas() {
    let s = FunctionSchema::parse(
        "aten::max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, Tensor(b!) max_values) -> (Tensor(a!) values, Tensor(b!) indices)",
    )
    .unwrap();
    assert_eq!(s.namespace(), Some("aten"));
    assert_eq!(s.base_name(), "max");
    assert_eq!(s.overload(), Some("dim_max"));
    assert_eq!(s.name().to_string(), "aten::max.dim_max");
    assert!(s.is_mutable() && !s.is_vararg() && !s.is_varret());
    let outs: Vec<_> = s.out_arguments().map(|a| a.name.as_str()).collect();
    assert_eq!(outs, ["max", "max_values"]);
    assert_eq!(s.returns()[1].name.as_deref(), Some("indices"));
    assert!(s.returns()[1].is_write());
    assert_eq!(s.returns()[1].alias().unwrap().to_string(), "(b!)");

    let f = FunctionSchema::parse("aten::format(str self, ...) -> str").unwrap();
    assert!(f.is_vararg() && !f.is_varret());
    let t = FunctionSchema::parse("prim::tolist(...) -> ...").unwrap();
    assert!(t.is_vararg() && t.is_varret() && t.arguments().is_empty());
}
