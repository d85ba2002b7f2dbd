//! Invalid schemas: each gives the right [`ErrorKind`] at the right place.
//!
//! Each case names the byte offset the error starts at and the text its span
//! covers, so a rule that points at the wrong token fails here.

use op_schema::{ErrorKind, FunctionSchema};

/// `(schema, kind, offset, text the span covers)`.
type Case = (&'static str, ErrorKind, usize, &'static str);

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for &(schema, kind, offset, covered) in cases {
        let Err(e) = FunctionSchema::parse(schema) else {
            failures.push(format!("{schema}: parsed, expected {kind:?}"));
            continue;
        };
        let got = &schema[e.span()];
        if e.kind() != kind || e.offset() != offset || got != covered {
            failures.push(format!(
                "{schema}\n  want {kind:?} @{offset} {covered:?}\n  got  {:?} @{} {got:?}\n{e}",
                e.kind(),
                e.offset()
            ));
        }
        // Every error renders with a caret under its span.
        let rendered = e.to_string();
        assert!(rendered.starts_with(e.message()), "{rendered}");
        assert!(rendered.contains('^'), "{rendered}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn syntax_errors() {
    use ErrorKind::*;
    check(&[
        ("", EmptySchema, 0, ""),
        ("   ", EmptySchema, 3, ""),
        ("f(Tensor x -> Tensor", UnbalancedParen, 11, "->"),
        ("f(Tensor x", UnbalancedParen, 10, ""),
        ("f(Tensor x)) -> Tensor", MissingArrow, 11, ")"),
        ("f(Tensor x) -> (Tensor, Tensor", UnbalancedParen, 30, ""),
        ("f(Tensor x) -> Tensor)", UnbalancedParen, 21, ")"),
        ("f(Tensor x) Tensor", MissingArrow, 12, "Tensor"),
        ("f(Tensor x)", MissingArrow, 11, ""),
        ("f(Tensor x) ->", MissingReturnType, 14, ""),
        ("f(Tensor x) -> Tensor junk junk", TrailingInput, 27, "junk"),
        ("(Tensor x) -> Tensor", MissingOperatorName, 0, "("),
        ("aten::(Tensor x) -> Tensor", MissingOperatorName, 6, "("),
        ("aten:f(Tensor x) -> Tensor", MissingOperatorName, 5, "f"),
        ("f.(Tensor x) -> Tensor", MissingOperatorName, 2, "("),
        ("f Tensor x) -> Tensor", UnexpectedToken, 2, "Tensor"),
        (
            "f(Tensor(a!b) x) -> Tensor",
            InvalidAliasAnnotation,
            11,
            "b",
        ),
        ("f(Tensor(a! x) -> Tensor", InvalidAliasAnnotation, 12, "x"),
        ("f(Tensor() x) -> Tensor", InvalidAliasAnnotation, 9, ")"),
        (
            "f(Tensor(a)(b) x) -> Tensor",
            InvalidAliasAnnotation,
            11,
            "(",
        ),
        ("f(int x=) -> Tensor", UnexpectedToken, 8, ")"),
        ("f(int x=-) -> Tensor", UnexpectedToken, 9, ")"),
        ("f(int[] x=[1, 2) -> Tensor", UnexpectedToken, 15, ")"),
        ("f(int[] x=[1, 2", UnbalancedParen, 15, ""),
        ("f(int[] x=[[1]]) -> Tensor", UnexpectedToken, 11, "["),
        ("f(str s=\"abc) -> Tensor", UnterminatedString, 8, "\""),
        ("f(str s='abc) -> Tensor", UnterminatedString, 8, "'"),
        ("f(int[ x) -> Tensor", UnexpectedToken, 7, "x"),
        ("f(int[2 x) -> Tensor", UnbalancedParen, 8, "x"),
        ("f(Tensor x,) -> Tensor", UnexpectedToken, 11, ")"),
        ("f(Tensor x) -> (Tensor,)", UnexpectedToken, 23, ")"),
        ("f(Tensor x y) -> Tensor", UnexpectedToken, 11, "y"),
        ("f(Tensor) -> Tensor", MissingArgumentName, 8, ")"),
        ("f(Tensor x, *) -> Tensor", DanglingKwargMarker, 12, "*"),
        ("f(...,Tensor x) -> Tensor", VarargNotLast, 6, "Tensor"),
        (
            "f(Tensor x) -> (Tensor, ..., Tensor)",
            VarargNotLast,
            29,
            "Tensor",
        ),
        ("f(Tensor x) -> (Tensor a=1)", UnexpectedToken, 24, "="),
        (
            "f(int x=99999999999999999999) -> Tensor",
            InvalidNumber,
            8,
            "99999999999999999999",
        ),
        (
            "f(int[99999999999999999999999] x) -> Tensor",
            InvalidNumber,
            6,
            "99999999999999999999999",
        ),
        ("f(Tensor x) → Tensor", UnexpectedCharacter, 12, "→"),
        ("f(Tensor x) -> Tensor @", TrailingInput, 22, "@"),
        (
            "f(Tensor\u{7} x) -> Tensor",
            UnexpectedCharacter,
            8,
            "\u{7}",
        ),
    ]);
}

#[test]
fn type_errors() {
    use ErrorKind::*;
    check(&[
        ("f(Tensr x) -> Tensor", UnknownType, 2, "Tensr"),
        ("f(Tensor x) -> Tenosr", UnknownType, 15, "Tenosr"),
        ("f(Banana x) -> Tensor", UnknownType, 2, "Banana"),
        ("f(double x) -> Tensor", ForeignTypeName, 2, "double"),
        ("f(int64_t x) -> Tensor", ForeignTypeName, 2, "int64_t"),
        (
            "f(std::string s) -> Tensor",
            ForeignTypeName,
            2,
            "std::string",
        ),
        ("f(List[int] x) -> Tensor", ForeignTypeName, 2, "List"),
        ("f(torch.Tensor x) -> Tensor", ForeignTypeName, 2, "torch"),
        ("f(Tensor& x) -> Tensor", ReferenceType, 8, "&"),
        ("f(Tensor* x) -> Tensor", ReferenceType, 8, "*"),
        (
            "f(Dict(str, Tensor(a)) x) -> Tensor",
            UnsupportedAliasPosition,
            18,
            "(a)",
        ),
        (
            "f(Tensor(a)[](b) x) -> Tensor",
            UnsupportedAliasPosition,
            13,
            "(b)",
        ),
        (
            "f(__torch__.foo.Bar x) -> Tensor",
            InvalidClassType,
            2,
            "__torch__.foo.Bar",
        ),
    ]);
}

#[test]
fn argument_rules() {
    use ErrorKind::*;
    check(&[
        (
            "f(int a=1, int b) -> Tensor",
            NonDefaultAfterDefault,
            15,
            "b",
        ),
        (
            "f(Tensor x, *, int a, *, int b) -> Tensor",
            DuplicateKwargMarker,
            22,
            "*",
        ),
        (
            "f.default(Tensor x) -> Tensor",
            InvalidOverloadName,
            2,
            "default",
        ),
        ("f.__x(Tensor x) -> Tensor", InvalidOverloadName, 2, "__x"),
        (
            "f(Tensor x, int x) -> Tensor",
            DuplicateArgumentName,
            16,
            "x",
        ),
        (
            "f(Tensor x) -> (Tensor a, Tensor a)",
            DuplicateReturnName,
            33,
            "a",
        ),
        ("f_out(Tensor x) -> Tensor", ReservedOutSuffix, 1, "_out"),
        ("f(int x=1, ...) -> Tensor", VarargWithDefault, 8, "1"),
    ]);
}

#[test]
fn defaults_that_do_not_fit() {
    use ErrorKind::DefaultTypeMismatch as D;
    check(&[
        ("f(Tensor x=1) -> Tensor", D, 11, "1"),
        ("f(bool b=true) -> Tensor", D, 9, "true"),
        ("f(bool b=1) -> Tensor", D, 9, "1"),
        ("f(int x=1.5) -> Tensor", D, 8, "1.5"),
        ("f(int x=None) -> Tensor", D, 8, "None"),
        ("f(str s=3) -> Tensor", D, 8, "3"),
        ("f(int x=[1]) -> Tensor", D, 8, "[1]"),
        ("f(int[] x=1) -> Tensor", D, 10, "1"),
        ("f(int[] x=None) -> Tensor", D, 10, "None"),
        ("f(int[2] x=[1.5]) -> Tensor", D, 11, "[1.5]"),
        ("f(Tensor[] x=[]) -> Tensor", D, 13, "[]"),
        ("f(ScalarType dtype=half) -> Tensor", D, 19, "half"),
        ("f(Layout l=long) -> Tensor", D, 11, "long"),
        ("f(MemoryFormat m=preserve) -> Tensor", D, 17, "preserve"),
        ("f(Stream s=None) -> Tensor", D, 11, "None"),
        ("f(t x=1) -> Tensor", D, 6, "1"),
    ]);
}

#[test]
fn alias_rules() {
    use ErrorKind::*;
    check(&[
        ("f(int(a) x) -> Tensor", AliasOnNonTensor, 5, "(a)"),
        ("f(Tensor x) -> int(a)", AliasOnNonTensor, 18, "(a)"),
        (
            "f(Tensor(a|b!) x) -> ()",
            MutableAliasSetTooLarge,
            8,
            "(a|b!)",
        ),
        (
            "f(Tensor(a|b -> c|d) x) -> ()",
            AmbiguousAliasSets,
            8,
            "(a|b -> c|d)",
        ),
        (
            "f(Tensor x) -> Tensor(a!)",
            MutableReturnNotAliased,
            21,
            "(a!)",
        ),
        (
            "f(Tensor(a!) x, *, Tensor(b!) out) -> Tensor(c!)",
            OutReturnMismatch,
            44,
            "(c!)",
        ),
    ]);
}

#[test]
fn out_variant_rules() {
    use ErrorKind::*;
    check(&[
        // Out arguments come last: nothing unwritten after them.
        (
            "f.out(Tensor x, *, Tensor(a!) out, int y) -> Tensor(a!)",
            OutArgumentOrder,
            35,
            "int y",
        ),
        // The i-th out argument is the i-th return.
        (
            "f.out(Tensor x, *, Tensor(a!) out, Tensor(b!) out2) -> (Tensor(b!), Tensor(a!))",
            OutReturnMismatch,
            62,
            "(b!)",
        ),
        (
            "f.out(Tensor x, *, Tensor(a!) out) -> Tensor",
            OutReturnMismatch,
            38,
            "Tensor",
        ),
        (
            "f.out(Tensor x, *, Tensor(a!) out, Tensor(b!) out2) -> Tensor(a!)",
            OutReturnCount,
            55,
            "Tensor(a!)",
        ),
        // A Tensor[] out returns nothing.
        (
            "f.out(Tensor x, *, Tensor(a!)[] out) -> Tensor(a!)[]",
            OutListReturns,
            40,
            "Tensor(a!)[]",
        ),
        (
            "f.out(Tensor x, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None, Tensor(a!) out) -> Tensor(a!)",
            TensorOptionsNotFunctional,
            19,
            "ScalarType? dtype=None",
        ),
    ]);
}

#[test]
fn mutation_and_inplace_rules() {
    use ErrorKind::*;
    check(&[
        (
            "foo_(Tensor self) -> Tensor",
            InplaceSelfNotMutable,
            5,
            "Tensor",
        ),
        ("foo_(Tensor x) -> Tensor", InplaceSelfNotMutable, 0, "foo_"),
        (
            "__iadd__(Tensor self, Tensor other) -> Tensor",
            InplaceSelfNotMutable,
            9,
            "Tensor",
        ),
        (
            "foo_(Tensor(a!) self) -> Tensor",
            InplaceReturn,
            25,
            "Tensor",
        ),
        ("foo_(Tensor(a!) self) -> ()", InplaceReturn, 25, "()"),
        (
            "foo_(Tensor(a!) self) -> (Tensor(a!), Tensor(a!))",
            InplaceReturn,
            25,
            "(Tensor(a!), Tensor(a!))",
        ),
        (
            "foo_(Tensor(a!)[] self) -> Tensor",
            InplaceReturn,
            27,
            "Tensor",
        ),
        (
            "f(Tensor(a!) x) -> Tensor(a!)",
            MutablePositionalReturned,
            19,
            "Tensor(a!)",
        ),
        (
            "f(Tensor self, Tensor(a!) x) -> Tensor(a!)",
            MutablePositionalReturned,
            32,
            "Tensor(a!)",
        ),
        (
            "f(Tensor(b!) y, Tensor self) -> ()",
            MutableBeforeSelf,
            2,
            "Tensor(b!) y",
        ),
        (
            "f(Tensor self, Tensor(a!) x) -> (Tensor(b!), Tensor)",
            MixedMutableReturns,
            45,
            "Tensor",
        ),
        (
            "f_.functional(Tensor(a!) self) -> Tensor(a!)",
            FunctionalOverloadMismatch,
            3,
            "functional",
        ),
    ]);
}

#[test]
fn better_messages_for_common_mistakes() {
    let err = |s: &str| FunctionSchema::parse(s).unwrap_err();
    assert!(
        err("f(double x) -> Tensor")
            .hint()
            .unwrap()
            .starts_with("use `float`")
    );
    assert!(
        err("f(int64_t x) -> Tensor")
            .hint()
            .unwrap()
            .starts_with("use `int`")
    );
    assert_eq!(
        err("f(Tensr x) -> Tensor").hint(),
        Some("did you mean `Tensor`?")
    );
    assert_eq!(
        err("f(Scaler x) -> Tensor").hint(),
        Some("did you mean `Scalar`?")
    );
    assert_eq!(
        err("f(Int x) -> Tensor").hint(),
        Some("did you mean `int`?")
    );
    assert_eq!(err("f(std::string s) -> Tensor").hint(), Some("use `str`"));
    assert_eq!(err("f(bool b=true) -> Tensor").hint(), Some("write `True`"));
    assert!(
        err("f(Tensor x) -> (Tensor a=1)")
            .hint()
            .unwrap()
            .contains("default")
    );
    let e = err("f(Tensor x, int x) -> Tensor");
    assert_eq!(e.note(), Some("first declared at column 10"));
    let e = err("f(Tensor x -> Tensor");
    assert_eq!(e.expected(), Some("`)`"));
    assert_eq!(e.found(), Some("`->`"));
    assert_eq!(e.note(), Some("the `(` at column 2 is never closed"));
}

#[test]
fn syntax_errors_come_before_rules() {
    // `parse_unvalidated` reports syntax only; `validate` then finds the rule.
    let s = FunctionSchema::parse_unvalidated("f(int a=1, int b) -> Tensor").unwrap();
    let e = s.validate().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NonDefaultAfterDefault);
    assert_eq!((e.offset(), e.column(), e.line()), (15, 16, 1));
    let e = FunctionSchema::parse_unvalidated("f(Tensr x) -> Tensor").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnknownType);
}

/// torchgen's variant rules describe its code generation; c10's JIT schemas
/// (type variables, `Dict`, `...`) follow their own conventions and are exempt.
#[test]
fn c10_schemas_are_exempt_from_torchgen_variant_rules() {
    FunctionSchema::parse("aten::_set_item.t(t[](a!) l, int idx, t(b -> *) el) -> t[](a!)")
        .unwrap();
    let e = FunctionSchema::parse("aten::_set_item.Tensor(Tensor(a!) l, int idx) -> Tensor(a!)")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MutablePositionalReturned);
}

#[test]
fn columns_count_characters_and_lines() {
    let e = FunctionSchema::parse("f(str s=\"é\", Tensr x) -> Tensor").unwrap_err();
    assert_eq!(e.offset(), 14);
    assert_eq!(e.column(), 14);
    let e = FunctionSchema::parse("f(Tensor x,\n  Tensr y) -> Tensor").unwrap_err();
    assert_eq!((e.line(), e.column()), (2, 3));
}

#[test]
fn display_snapshots() {
    let e = FunctionSchema::parse("my_ops::mul3(Tensor x, double scale) -> Tensor").unwrap_err();
    assert_eq!(
        e.to_string(),
        "`double` is not a schema type
  |
  | my_ops::mul3(Tensor x, double scale) -> Tensor
  |                        ^^^^^^
  = help: use `float`: a schema `float` is a C++ `double`; the tensor dtype is not part of the type"
    );

    let e = FunctionSchema::parse("my_ops::mul3.out(Tensor x, *, Tensor(a!) out) -> Tensor")
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "return 1 must alias out argument `out`
  |
  | my_ops::mul3.out(Tensor x, *, Tensor(a!) out) -> Tensor
  |                                                  ^^^^^^
  = note: the i-th return of an out variant is its i-th out argument; `out` is `Tensor(a!)`
  = help: write `Tensor(a!)`"
    );

    let e = FunctionSchema::parse("f(Tensor x, int x) -> Tensor").unwrap_err();
    assert_eq!(
        e.to_string(),
        "argument `x` is declared twice
  |
  | f(Tensor x, int x) -> Tensor
  |                 ^
  = note: first declared at column 10
  = help: rename one of them"
    );
}
