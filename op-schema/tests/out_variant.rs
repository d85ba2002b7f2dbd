//! Out-variant derivation, `kind()` and `signature()`, checked against real
//! functional/out pairs from native_functions.yaml.

use op_schema::{ErrorKind, FunctionSchema, SchemaKind};

fn parse(s: &str) -> FunctionSchema {
    FunctionSchema::parse(s).unwrap_or_else(|e| panic!("{s}\n{e}"))
}

fn derive(s: &str) -> String {
    parse(s)
        .out_variant()
        .unwrap_or_else(|e| panic!("{s}\n{e}"))
        .to_string()
}

/// Pairs where PyTorch follows its own convention (overload `out` or
/// `<overload>_out`, out argument `out` or named after the returns): the
/// derivation gives exactly the out schema in native_functions.yaml.
const MATCHING_PAIRS: &[(&str, &str)] = &[
    (
        "abs(Tensor self) -> Tensor",
        "abs.out(Tensor self, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "mm.dtype(Tensor self, Tensor mat2, ScalarType out_dtype) -> Tensor",
        "mm.dtype_out(Tensor self, Tensor mat2, ScalarType out_dtype, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "softmax.int(Tensor self, int dim, ScalarType? dtype=None) -> Tensor",
        "softmax.int_out(Tensor self, int dim, ScalarType? dtype=None, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "copysign.Scalar(Tensor self, Scalar other) -> Tensor",
        "copysign.Scalar_out(Tensor self, Scalar other, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "baddbmm(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
        "baddbmm.out(Tensor self, Tensor batch1, Tensor batch2, *, Scalar beta=1, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "baddbmm.dtype(Tensor self, Tensor batch1, Tensor batch2, ScalarType out_dtype, *, Scalar beta=1, Scalar alpha=1) -> Tensor",
        "baddbmm.dtype_out(Tensor self, Tensor batch1, Tensor batch2, ScalarType out_dtype, *, Scalar beta=1, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "bucketize.Tensor(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False) -> Tensor",
        "bucketize.Tensor_out(Tensor self, Tensor boundaries, *, bool out_int32=False, bool right=False, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "searchsorted.Scalar(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None) -> Tensor",
        "searchsorted.Scalar_out(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, str? side=None, Tensor? sorter=None, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "nansum(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
        "nansum.out(Tensor self, int[1]? dim=None, bool keepdim=False, *, ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "narrow_copy(Tensor self, int dim, SymInt start, SymInt length) -> Tensor",
        "narrow_copy.out(Tensor self, int dim, SymInt start, SymInt length, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "stack(Tensor[] tensors, int dim=0) -> Tensor",
        "stack.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    // Named returns become out arguments of the same names.
    (
        "mode.dimname(Tensor self, Dimname dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
        "mode.dimname_out(Tensor self, Dimname dim, bool keepdim=False, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
    ),
    // TensorOptions are dropped: the output already has a dtype and device.
    (
        "full(SymInt[] size, Scalar fill_value, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        "full.out(SymInt[] size, Scalar fill_value, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "randperm(SymInt n, *, ScalarType? dtype=long, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        "randperm.out(SymInt n, *, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "randperm.generator(SymInt n, *, Generator? generator, ScalarType? dtype=long, Layout? layout=None, Device? device=None, bool? pin_memory=None) -> Tensor",
        "randperm.generator_out(SymInt n, *, Generator? generator, Tensor(a!) out) -> Tensor(a!)",
    ),
    (
        "_native_batch_norm_legit.no_stats(Tensor input, Tensor? weight, Tensor? bias, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
        "_native_batch_norm_legit.no_stats_out(Tensor input, Tensor? weight, Tensor? bias, bool training, float momentum, float eps, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) -> (Tensor(a!), Tensor(b!), Tensor(c!))",
    ),
];

#[test]
fn derivation_matches_pytorch_where_it_follows_its_convention() {
    for &(functional, _) in MATCHING_PAIRS {
        parse(functional);
    }
    for &(functional, out) in &MATCHING_PAIRS[..MATCHING_PAIRS.len() - 1] {
        assert_eq!(derive(functional), out, "derived from {functional}");
        assert_eq!(parse(out).kind(), SchemaKind::Out);
    }
    // The last pair's real out names its outputs `out, save_mean, save_invstd`;
    // unnamed returns give `out0, out1, out2`: same shape, other names.
    let (functional, _) = MATCHING_PAIRS[MATCHING_PAIRS.len() - 1];
    let real = "_native_batch_norm_legit.no_stats_out(Tensor input, Tensor? weight, Tensor? bias, bool training, float momentum, float eps, *, Tensor(a!) out, Tensor(b!) save_mean, Tensor(c!) save_invstd) -> (Tensor(a!), Tensor(b!), Tensor(c!))";
    assert_eq!(
        derive(functional),
        real.replace(
            "out, Tensor(b!) save_mean, Tensor(c!) save_invstd",
            "out0, Tensor(b!) out1, Tensor(c!) out2"
        )
    );
    assert_eq!(
        parse(&derive(functional)).signature(),
        parse(real).signature()
    );
}

/// Pairs where PyTorch names the out overload or its arguments by hand. The
/// derivation keeps to the convention; the signatures still agree, which is
/// what torchgen uses to group the variants of one operator.
#[test]
fn pytorch_deviations_are_documented() {
    let cases = [
        // `add.out`, not `add.Tensor_out`: the out overload predates the Tensor overload name.
        (
            "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
            "add.Tensor_out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
            "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
        ),
        // `sum.IntList_out`: the functional overload is `dim_IntList`.
        (
            "sum.dim_IntList(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None) -> Tensor",
            "sum.dim_IntList_out(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)",
            "sum.IntList_out(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor(a!) out) -> Tensor(a!)",
        ),
        // `max.dim_max` names its outputs `max, max_values`, not after the returns.
        (
            "max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)",
            "max.dim_out(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
            "max.dim_max(Tensor self, int dim, bool keepdim=False, *, Tensor(a!) max, Tensor(b!) max_values) -> (Tensor(a!) values, Tensor(b!) indices)",
        ),
        // `mode.values` and `topk.values`: the overload is named after the outputs.
        (
            "mode(Tensor self, int dim=-1, bool keepdim=False) -> (Tensor values, Tensor indices)",
            "mode.out(Tensor self, int dim=-1, bool keepdim=False, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
            "mode.values(Tensor self, int dim=-1, bool keepdim=False, *, Tensor(a!) values, Tensor(b!) indices) -> (Tensor(a!) values, Tensor(b!) indices)",
        ),
        // `nll_loss_forward.output`, and unnamed returns in the real out schema.
        (
            "nll_loss_forward(Tensor self, Tensor target, Tensor? weight, int reduction, SymInt ignore_index) -> (Tensor output, Tensor total_weight)",
            "nll_loss_forward.out(Tensor self, Tensor target, Tensor? weight, int reduction, SymInt ignore_index, *, Tensor(a!) output, Tensor(b!) total_weight) -> (Tensor(a!) output, Tensor(b!) total_weight)",
            "nll_loss_forward.output(Tensor self, Tensor target, Tensor? weight, int reduction, SymInt ignore_index, *, Tensor(a!) output, Tensor(b!) total_weight) -> (Tensor(a!), Tensor(b!))",
        ),
        // `native_batch_norm.out` names its second and third outputs.
        (
            "native_batch_norm(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
            "native_batch_norm.out(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) -> (Tensor(a!), Tensor(b!), Tensor(c!))",
            "native_batch_norm.out(Tensor input, Tensor? weight, Tensor? bias, Tensor? running_mean, Tensor? running_var, bool training, float momentum, float eps, *, Tensor(a!) out, Tensor(b!) save_mean, Tensor(c!) save_invstd) -> (Tensor(a!), Tensor(b!), Tensor(c!))",
        ),
    ];
    for (functional, derived, real) in cases {
        assert_eq!(derive(functional), derived);
        assert_ne!(derived, real);
        let (f, d, r) = (parse(functional), parse(derived), parse(real));
        assert_eq!(d.kind(), SchemaKind::Out);
        assert_eq!(r.kind(), SchemaKind::Out);
        assert_eq!(f.signature(), d.signature(), "{functional}");
        assert_eq!(f.signature(), r.signature(), "{real}");
    }
}

#[test]
fn tensor_list_returns_give_list_outs_and_no_return() {
    assert_eq!(
        derive("unsafe_split.Tensor(Tensor self, SymInt split_size, int dim=0) -> Tensor[]"),
        "unsafe_split.Tensor_out(Tensor self, SymInt split_size, int dim=0, *, Tensor(a!)[] out) -> ()"
    );
    // One Tensor[] among the returns makes the whole out variant return `()`.
    assert_eq!(
        derive(
            "histogramdd(Tensor self, int[] bins, float[]? range=None, Tensor? weight=None, bool density=False) -> (Tensor hist, Tensor[] bin_edges)"
        ),
        "histogramdd.out(Tensor self, int[] bins, float[]? range=None, Tensor? weight=None, bool density=False, *, Tensor(a!) hist, Tensor(b!)[] bin_edges) -> ()"
    );
    // A single named return still becomes `out`.
    assert_eq!(
        derive(
            "_foreach_copy(Tensor[] self, Tensor[] src, bool non_blocking=False) -> Tensor[] self_out"
        ),
        "_foreach_copy.out(Tensor[] self, Tensor[] src, bool non_blocking=False, *, Tensor(a!)[] out) -> ()"
    );
}

#[test]
fn unnamed_returns_are_numbered_and_sets_skip_letters_in_use() {
    assert_eq!(
        derive("f(Tensor x) -> (Tensor, Tensor, Tensor)"),
        "f.out(Tensor x, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) -> (Tensor(a!), Tensor(b!), Tensor(c!))"
    );
    assert_eq!(
        derive("f(Tensor(a) x, Tensor(b) y, Tensor z) -> (Tensor, Tensor)"),
        "f.out(Tensor(a) x, Tensor(b) y, Tensor z, *, Tensor(c!) out0, Tensor(d!) out1) -> (Tensor(c!), Tensor(d!))"
    );
    assert_eq!(
        derive("my_ops::f.v2(Tensor x) -> (Tensor a, Tensor b)"),
        "my_ops::f.v2_out(Tensor x, *, Tensor(a!) a, Tensor(b!) b) -> (Tensor(a!) a, Tensor(b!) b)"
    );
}

#[test]
fn derived_out_variants_validate_and_round_trip() {
    let extra = include_str!("data/schemas_extra.txt");
    let mut derived = 0;
    for line in extra
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let s = parse(line);
        if let Ok(out) = s.out_variant() {
            let text = out.to_string();
            let again = parse(&text);
            assert_eq!(again.to_string(), text);
            assert_eq!(again.kind(), SchemaKind::Out, "{text}");
            assert_eq!(again.signature(), s.signature(), "{line}");
            derived += 1;
        }
    }
    assert!(derived > 100, "only {derived} out variants derived");
}

#[test]
fn schemas_without_an_out_variant() {
    for (s, culprit) in [
        (
            "add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
            "add_.Tensor",
        ),
        (
            "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
            "add.out",
        ),
        (
            "_fused_moving_avg_obs_fq_helper(Tensor self, Tensor(a!) running_min) -> (Tensor output, Tensor mask)",
            "_fused_moving_avg_obs_fq_helper",
        ),
        (
            "set_data(Tensor(a!) self, Tensor new_data) -> ()",
            "Tensor(a!) self",
        ),
        (
            "transpose.int(Tensor(a) self, int dim0, int dim1) -> Tensor(a)",
            "Tensor(a)",
        ),
        ("is_leaf(Tensor self) -> bool", "bool"),
        ("_assert_async(Tensor self) -> ()", "()"),
        ("f(Tensor x) -> Tensor?", "Tensor?"),
        ("f(Tensor x) -> (Tensor, int)", "int"),
        ("f(Tensor x) -> Tensor[2]", "Tensor[2]"),
        ("f(Tensor x, Tensor out) -> Tensor", "Tensor out"),
        ("f(Tensor x, Tensor a) -> (Tensor a, Tensor b)", "Tensor a"),
        ("prim::tolist(...) -> ...", "..."),
    ] {
        let e = parse(s).out_variant().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NoOutVariant, "{s}: {e}");
        assert_eq!(&s[e.span()], culprit, "{s}: {e}");
    }
}

#[test]
fn kind_of_each_variant() {
    for (s, kind) in [
        (
            "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
            SchemaKind::Functional,
        ),
        (
            "add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
            SchemaKind::Inplace,
        ),
        (
            "__iand__.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)",
            SchemaKind::Inplace,
        ),
        (
            "_foreach_zero_(Tensor(a!)[] self) -> ()",
            SchemaKind::Inplace,
        ),
        (
            "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
            SchemaKind::Out,
        ),
        (
            "split_with_sizes_copy.out(Tensor self, SymInt[] split_sizes, int dim=0, *, Tensor(a!)[] out) -> ()",
            SchemaKind::Out,
        ),
        (
            "_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)",
            SchemaKind::Mutable,
        ),
        (
            "f.out(Tensor x, *, Tensor(a!) _scratch_y, Tensor(b!) out) -> Tensor(b!)",
            SchemaKind::Scratch,
        ),
        // Writing `self` without an in-place name: torchgen counts only
        // positional arguments after `self` as "mutable".
        (
            "set_data(Tensor(a!) self, Tensor new_data) -> ()",
            SchemaKind::Functional,
        ),
        ("aten::format(str self, ...) -> str", SchemaKind::Functional),
    ] {
        assert_eq!(parse(s).kind(), kind, "{s}");
    }
}

#[test]
fn signatures_group_variants() {
    let group = [
        "add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor",
        "add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)",
        "add.out(Tensor self, Tensor other, *, Scalar alpha=1, Tensor(a!) out) -> Tensor(a!)",
    ];
    for s in group {
        assert_eq!(
            parse(s).signature().to_string(),
            "add(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor"
        );
    }
    // Written arguments that are not returned become returns of the signature.
    assert_eq!(
        parse("_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor(a!) running_mean, Tensor(b!) running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor)")
            .signature()
            .to_string(),
        "_native_batch_norm_legit(Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, Tensor running_var, bool training, float momentum, float eps) -> (Tensor, Tensor, Tensor, Tensor, Tensor)"
    );
    assert_eq!(
        parse("__iand__.Tensor(Tensor(a!) self, Tensor other) -> Tensor(a!)")
            .signature()
            .to_string(),
        "__and__(Tensor self, Tensor other) -> Tensor"
    );
    assert_eq!(
        parse("aten::_foreach_zero_(Tensor(a!)[] self) -> ()")
            .signature()
            .to_string(),
        "aten::_foreach_zero(Tensor[] self) -> Tensor[]"
    );
    assert_ne!(
        parse("add.Scalar(Tensor self, Scalar other, Scalar alpha=1) -> Tensor").signature(),
        parse(group[0]).signature()
    );
}
