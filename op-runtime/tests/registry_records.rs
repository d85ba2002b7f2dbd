//! Registry validation on hand-made records: every problem is reported (not just the first), with
//! both source locations where two records collide.

use std::any::Any;

use op_runtime::__private::{KernelDef, OpDef};
use op_runtime::{
    DType, DeviceKind, Error, KernelDTypes, KernelStyle, Registry, Result, Returns, SourceLocation,
    Tensor, Value,
};

fn boxed(
    _: &'static (dyn Any + Send + Sync),
    _: KernelStyle,
    _: &[Value],
    _: &mut [Tensor],
) -> Result<Returns> {
    Ok(Returns::new())
}

static KERNEL_FN: fn() = || {};

const fn op(schema: &'static str, out_schema: Option<&'static str>, line: u32) -> OpDef {
    OpDef {
        schema,
        out_schema,
        location: SourceLocation {
            file: "records.rs",
            line,
            column: 1,
        },
        shape_fn: None,
        boxed_shape: None,
        boxed,
        pointwise: false,
    }
}

const fn kernel(
    op: &'static str,
    backend: Option<DeviceKind>,
    dtypes: KernelDTypes,
    line: u32,
) -> KernelDef {
    KernelDef {
        op,
        backend,
        dtypes,
        style: KernelStyle::Functional,
        typed: &KERNEL_FN,
        name: "records::kernel",
        location: SourceLocation {
            file: "records.rs",
            line,
            column: 1,
        },
    }
}

static A: OpDef = op(
    "t::a(Tensor x) -> Tensor",
    Some("t::a.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)"),
    1,
);
static A_AGAIN: OpDef = op("t::a(Tensor x) -> Tensor", None, 2);
static A_OUT_CLASH: OpDef = op(
    "t::a.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)",
    None,
    3,
);
static B_WRONG_OUT: OpDef = op(
    "t::b(Tensor x) -> Tensor",
    Some("t::b.out(Tensor x, *, Tensor(a!) y) -> Tensor(a!)"),
    4,
);
static BAD_SCHEMA: OpDef = op("t::c(Tensr x) -> Tensor", None, 5);

static K_F32: KernelDef = kernel(
    "t::a",
    Some(DeviceKind::Cpu),
    KernelDTypes::Only(&[DType::F32, DType::F64]),
    10,
);
static K_F64: KernelDef = kernel(
    "t::a",
    Some(DeviceKind::Cpu),
    KernelDTypes::Only(&[DType::F64]),
    11,
);
static K_ANY: KernelDef = kernel("t::a", Some(DeviceKind::Cpu), KernelDTypes::Any, 12);
static K_CUDA: KernelDef = kernel(
    "t::a",
    Some(DeviceKind::Cuda),
    KernelDTypes::Only(&[DType::F64]),
    13,
);
static K_ORPHAN: KernelDef = kernel("t::aa", Some(DeviceKind::Cpu), KernelDTypes::Any, 14);

fn problems(result: Result<Registry>) -> Vec<Error> {
    match result {
        Err(Error::RegistryInvalid { problems }) => problems,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("the registry was accepted"),
    }
}

#[test]
fn valid_records_build() -> Result<()> {
    let registry = Registry::from_records([&A], [&K_F32, &K_ANY, &K_CUDA])?;
    assert_eq!(registry.ops().len(), 1);
    assert_eq!(registry.find("t::a.out")?.name(), "t::a.out");
    Ok(())
}

#[test]
fn duplicate_op_names_both_locations() {
    let found = problems(Registry::from_records([&A, &A_AGAIN], []));
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].to_string(),
        "op `t::a` is declared twice: at records.rs:1:1 and at records.rs:2:1; rename one (or give it an overload name, `t::a.my_overload`)"
    );
}

#[test]
fn an_op_may_not_take_another_ops_out_variant_name() {
    let found = problems(Registry::from_records([&A, &A_OUT_CLASH], []));
    assert!(
        matches!(&found[..], [Error::DuplicateOp { name, .. }] if name == "t::a.out"),
        "{found:?}"
    );
}

#[test]
fn duplicate_kernels_for_one_dtype_are_refused() {
    let found = problems(Registry::from_records([&A], [&K_F32, &K_F64, &K_CUDA]));
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].to_string(),
        "op `t::a` has two kernels for (cpu, float64): `records::kernel` at records.rs:10:1 and `records::kernel` at records.rs:11:1; remove one or narrow its `dtypes(...)`"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let found = problems(Registry::from_records(
        [&A, &B_WRONG_OUT, &BAD_SCHEMA],
        [&K_ORPHAN],
    ));
    let text: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 3, "{text:#?}");
    assert!(text.iter().any(|t| t.starts_with("op `t::b` at records.rs:4:1 records the out variant `t::b.out(Tensor x, *, Tensor(a!) y) -> Tensor(a!)`, but its schema derives `t::b.out(Tensor x, *, Tensor(a!) out) -> Tensor(a!)`")), "{text:#?}");
    assert!(
        text.iter().any(|t| t.starts_with(
            "op registered at records.rs:5:1 has an invalid schema `t::c(Tensr x) -> Tensor`"
        )),
        "{text:#?}"
    );
    assert!(text.contains(&"kernel `records::kernel` at records.rs:14:1 is registered for op `t::aa`, which is not declared; did you mean `t::a`?".to_string()), "{text:#?}");
    let all = Error::RegistryInvalid { problems: found }.to_string();
    assert!(
        all.starts_with("the op registry is invalid (3 problems):\n  - "),
        "{all}"
    );
}

#[test]
fn errors_stay_small() {
    // Every fallible call returns `Result<_, Error>`; a large error makes every such return a
    // memcpy (measured: tensor creation 40% slower at 144 bytes than at 104).
    assert!(
        std::mem::size_of::<Error>() <= 104,
        "Error is {} bytes",
        std::mem::size_of::<Error>()
    );
}

#[test]
fn tensors_stay_small() {
    // Tensors are moved on every call (into results, values and guards); past 128 bytes a move
    // becomes a `memcpy` call.
    assert!(
        std::mem::size_of::<op_runtime::Tensor>() < 128,
        "Tensor is {} bytes",
        std::mem::size_of::<op_runtime::Tensor>()
    );
}
