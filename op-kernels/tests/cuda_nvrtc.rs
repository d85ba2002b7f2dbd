//! The built-in CUDA C sources compile with NVRTC and export every entry point the launchers
//! name. NVRTC needs no GPU and no driver, only `libnvrtc.so`; without it these tests say that
//! they were skipped and why. The kernels themselves run only on a GPU (tests/cuda.rs).
#![cfg(feature = "cuda")]

use std::io::Write;
use std::sync::Arc;

use op_kernels::cuda::nvrtc::{self, CacheKey};
use op_kernels::cuda::{Binary, CudaSource, Unary, builtin_sources};
use op_runtime::{Device, Error};

fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Whether NVRTC is here; says why not otherwise.
fn nvrtc_here(test: &str) -> bool {
    if nvrtc::nvrtc_available() {
        return true;
    }
    say(&format!(
        "skipped: {test}: no NVRTC (libnvrtc.so not found; `pip install nvidia-cuda-nvrtc-cu12` \
         and add its lib directory to LD_LIBRARY_PATH to run it without a GPU)"
    ));
    false
}

/// Every entry point the launchers in op_kernels::cuda build names for.
fn entry_points() -> Vec<(&'static str, String)> {
    let mut entries = Vec::new();
    for dt in ["f32", "f16", "bf16"] {
        for op in Unary::ALL {
            entries.push(("opkit/elementwise.cu", format!("unary_{}_{dt}", op.name())));
            entries.push((
                "opkit/elementwise.cu",
                format!("unary_{}_{dt}_strided", op.name()),
            ));
        }
        for op in Binary::ALL {
            entries.push(("opkit/elementwise.cu", format!("binary_{}_{dt}", op.name())));
            entries.push((
                "opkit/elementwise.cu",
                format!("binary_{}_{dt}_strided", op.name()),
            ));
        }
        for kind in ["sum", "max", "min"] {
            for layout in ["rows", "cols"] {
                for pass in ["", "_split", "_final"] {
                    entries.push((
                        "opkit/reduce.cu",
                        format!("reduce_{kind}_{dt}_{layout}{pass}"),
                    ));
                }
            }
        }
        for row in ["softmax", "log_softmax", "rms_norm", "layer_norm"] {
            entries.push(("opkit/rows.cu", format!("{row}_{dt}")));
        }
        if dt != "f32" {
            // The norms with float32 parameters (mixed precision).
            for norm in ["rms_norm", "layer_norm"] {
                entries.push(("opkit/rows.cu", format!("{norm}_{dt}_f32p")));
            }
        }
    }
    entries
}

#[test]
fn builtin_sources_compile_and_export_every_entry_point() {
    if !nvrtc_here("builtin_sources_compile_and_export_every_entry_point") {
        return;
    }
    let entries = entry_points();
    for source in builtin_sources() {
        let ptx = nvrtc::compile(Device::Cuda(0), source.name(), source.code(), (8, 0))
            .unwrap_or_else(|e| panic!("{}: {e}", source.name()));
        assert!(ptx.contains(".target sm_80"), "{}", source.name());
        for (_, entry) in entries.iter().filter(|(s, _)| *s == source.name()) {
            assert!(
                ptx.contains(&format!(".entry {entry}(")),
                "{} does not export `{entry}`",
                source.name()
            );
        }
    }
}

#[test]
fn compile_errors_carry_the_nvrtc_log() {
    if !nvrtc_here("compile_errors_carry_the_nvrtc_log") {
        return;
    }
    let bad = "extern \"C\" __global__ void k(float* x) { x[0] = undeclared; }";
    let err = nvrtc::compile(Device::Cuda(0), "bad.cu", bad, (8, 0)).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("bad.cu") && text.contains("undeclared"),
        "{text}"
    );
}

#[test]
fn ptx_is_cached_in_memory_and_on_disk() {
    if !nvrtc_here("ptx_is_cached_in_memory_and_on_disk") {
        return;
    }
    let source = format!(
        "extern \"C\" __global__ void cached_{}(float* x) {{ x[0] = 1.0f; }}",
        std::process::id()
    );
    let first = nvrtc::ptx(Device::Cuda(0), "cached.cu", &source, (7, 5)).unwrap();
    let second = nvrtc::ptx(Device::Cuda(0), "cached.cu", &source, (7, 5)).unwrap();
    assert!(
        Arc::ptr_eq(&first, &second),
        "the second lookup compiled again"
    );
    if let Some(dir) = nvrtc::cache_dir() {
        let key = CacheKey::new(&source, (7, 5));
        assert_eq!(nvrtc::read_cached(&dir, &key).as_deref(), Some(&*first));
        let _ = std::fs::remove_file(dir.join(key.file_name()));
    }
}

#[test]
fn loading_a_function_without_a_driver_is_an_error() {
    static SOURCE: CudaSource = CudaSource::new("k.cu", "extern \"C\" __global__ void k() {}");
    if op_runtime::cuda::install().is_ok() {
        say("skipped: loading_a_function_without_a_driver_is_an_error: a CUDA device is present");
        return;
    }
    let err = SOURCE.function(Device::Cuda(0), "k").unwrap_err();
    assert!(matches!(err, Error::DeviceUnavailable { .. }), "{err}");
}

/// Fills the PTX disk cache with the built-in sources for the architectures in
/// `OPKIT_PRECOMPILE_ARCHS` (`80,90`), so that a GPU machine without NVRTC can run the built-in
/// kernels from the cache (`OPKIT_CUDA_CACHE`). Run by scripts/gpu_check.sh; ignored otherwise.
#[test]
#[ignore = "a build step of scripts/gpu_check.sh, not a check"]
fn precompile_builtin_ptx() {
    let archs = std::env::var("OPKIT_PRECOMPILE_ARCHS").unwrap_or_else(|_| "90".into());
    if !nvrtc_here("precompile_builtin_ptx") {
        panic!("precompiling needs NVRTC");
    }
    let dir = nvrtc::cache_dir().expect("set OPKIT_CUDA_CACHE to the output directory");
    for arch in archs.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let n: u32 = arch.parse().expect("an architecture such as 90");
        for source in builtin_sources() {
            nvrtc::ptx(
                Device::Cuda(0),
                source.name(),
                source.code(),
                (n / 10, n % 10),
            )
            .unwrap();
        }
        say(&format!(
            "precompiled the built-in kernels for sm_{n} into {}",
            dir.display()
        ));
    }
}
