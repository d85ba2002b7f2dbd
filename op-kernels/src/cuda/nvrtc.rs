//! CUDA C to PTX: NVRTC compiles a source at its first use on a device architecture, and the PTX
//! is cached in memory (for the process) and on disk (across processes), keyed by a hash of the
//! source and the compile options, and by the architecture.
//!
//! The disk cache lives in `$OPKIT_CUDA_CACHE` when set (`off` disables it), else
//! `$XDG_CACHE_HOME/opkit/ptx`, else `~/.cache/opkit/ptx`. A cached PTX file is used without
//! loading NVRTC at all, so a machine that compiled once needs only the driver afterwards.
//! Writes go to a temporary file renamed into place, so concurrent processes never read a
//! half-written file; a cache that cannot be written is skipped silently (it is only a cache).

use std::collections::HashMap;
use std::ffi::{CStr, CString, OsString};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use cudarc::nvrtc::{result, sys};
use op_runtime::{Device, Error, Result};

/// Bumped when the compile options or the PTX naming change, so old cache files are ignored.
const CACHE_FORMAT: &str = "opkit-ptx-v1";

/// The options every source is compiled with (the architecture is added per device). No fast
/// math: opcheck compares kernels with a float64 reference at the dtype's tolerance.
const OPTIONS: &[&str] = &["--std=c++17"];

/// What a compiled PTX is cached under: the source (and options) hash and the architecture.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CacheKey {
    /// FNV-1a (64-bit) of the cache format, the options and the source: stable across Rust
    /// versions and platforms, unlike `std`'s hasher, which a disk cache needs.
    pub hash: u64,
    /// The device's compute capability, `(major, minor)`.
    pub arch: (u32, u32),
}

impl CacheKey {
    /// The key of `source` compiled for compute capability `arch`.
    ///
    /// ```
    /// use op_kernels::cuda::nvrtc::CacheKey;
    /// let a = CacheKey::new("__global__ void k() {}", (9, 0));
    /// assert_eq!(a, CacheKey::new("__global__ void k() {}", (9, 0)));
    /// assert_ne!(a, CacheKey::new("__global__ void k() {}", (8, 0)));
    /// assert_eq!(a.file_name(), format!("{:016x}-sm_90.ptx", a.hash));
    /// ```
    pub fn new(source: &str, arch: (u32, u32)) -> CacheKey {
        let mut hash = Fnv1a::new();
        hash.write(CACHE_FORMAT.as_bytes());
        for option in OPTIONS {
            hash.write(&[0]);
            hash.write(option.as_bytes());
        }
        hash.write(&[0]);
        hash.write(source.as_bytes());
        CacheKey {
            hash: hash.finish(),
            arch,
        }
    }

    /// The cache file's name: `<hash>-sm_<major><minor>.ptx`.
    pub fn file_name(&self) -> String {
        format!("{:016x}-sm_{}{}.ptx", self.hash, self.arch.0, self.arch.1)
    }
}

/// 64-bit FNV-1a.
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The disk cache directory from these environment variables, or `None` when disabled or no
/// home is known. Takes the lookup as a function so that the rule can be tested without touching
/// the process environment.
///
/// ```
/// use op_kernels::cuda::nvrtc::cache_dir_from;
/// use std::path::PathBuf;
/// let env = |k: &str| (k == "HOME").then(|| "/home/me".into());
/// assert_eq!(cache_dir_from(env), Some(PathBuf::from("/home/me/.cache/opkit/ptx")));
/// ```
pub fn cache_dir_from(var: impl Fn(&str) -> Option<OsString>) -> Option<PathBuf> {
    // Empty values count as unset, as the XDG spec says for its variables.
    let var = |k: &str| var(k).filter(|v| !v.is_empty());
    if let Some(dir) = var("OPKIT_CUDA_CACHE") {
        return match dir.to_str() {
            Some("off" | "0" | "false") => None,
            _ => Some(PathBuf::from(dir)),
        };
    }
    // The XDG spec ignores relative paths.
    if let Some(xdg) = var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
    {
        return Some(xdg.join("opkit").join("ptx"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".cache").join("opkit").join("ptx"))
}

/// The disk cache directory of this process (see the [module docs](self)).
pub fn cache_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| cache_dir_from(|k| std::env::var_os(k)))
        .clone()
}

/// The PTX of `source` for `arch`: from memory, else from the disk cache, else compiled by NVRTC
/// (and then stored in both). `name` names the source in compile errors; `device` is the device
/// it is for, named in errors.
pub fn ptx(device: Device, name: &str, source: &str, arch: (u32, u32)) -> Result<Arc<str>> {
    static MEMORY: OnceLock<Mutex<HashMap<CacheKey, Arc<str>>>> = OnceLock::new();
    let key = CacheKey::new(source, arch);
    let memory = MEMORY.get_or_init(Default::default);
    if let Some(ptx) = lock(memory).get(&key) {
        return Ok(ptx.clone());
    }
    let dir = cache_dir();
    let cached = dir.as_deref().and_then(|d| read_cached(d, &key));
    let ptx: Arc<str> = match cached {
        Some(ptx) => ptx.into(),
        None => {
            let ptx = compile(device, name, source, arch)?;
            if let Some(dir) = &dir {
                write_cached(dir, &key, &ptx);
            }
            ptx.into()
        }
    };
    // Two threads may compile the same source at once; both results are the same PTX.
    Ok(lock(memory).entry(key).or_insert(ptx).clone())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a half-inserted entry in a HashMap.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A cached PTX file's text; `None` when absent or unreadable (the caller then compiles).
pub fn read_cached(dir: &Path, key: &CacheKey) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(key.file_name())).ok()?;
    // A PTX module always declares its version; anything else is a stray or truncated file.
    text.contains(".version").then_some(text)
}

/// Stores PTX in the cache directory, atomically (temporary file, then rename). Failures are
/// ignored: a read-only home or a full disk must not fail a kernel launch.
pub fn write_cached(dir: &Path, key: &CacheKey, ptx: &str) {
    let _ = (|| -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!(".{}.{}.tmp", key.file_name(), std::process::id()));
        std::fs::write(&tmp, ptx)?;
        std::fs::rename(&tmp, dir.join(key.file_name()))
    })();
}

/// Whether NVRTC (`libnvrtc.so`) can be loaded.
pub fn nvrtc_available() -> bool {
    // SAFETY: only tries to dlopen the candidate names.
    unsafe { sys::is_culib_present() }
}

/// Compiles `source` to PTX for the newest architecture NVRTC supports that is not newer than
/// `arch` (PTX runs on later GPUs through the driver's JIT).
pub fn compile(device: Device, name: &str, source: &str, arch: (u32, u32)) -> Result<String> {
    if !nvrtc_available() {
        return Err(Error::DeviceUnavailable {
            device,
            reason: "CUDA kernels are compiled at first use by NVRTC, and NVRTC (libnvrtc.so) \
                     was not found; install the CUDA toolkit's NVRTC (the cuda-nvrtc package, or \
                     `pip install nvidia-cuda-nvrtc-cu12`) and add its lib directory to \
                     LD_LIBRARY_PATH"
                .to_string(),
        });
    }
    op_runtime::cuda::guarded(device, "NVRTC", || {
        compile_unguarded(device, name, source, arch)
    })
}

fn compile_unguarded(device: Device, name: &str, source: &str, arch: (u32, u32)) -> Result<String> {
    let failed = |what: &str, e: result::NvrtcError| Error::DeviceError {
        device,
        message: format!("NVRTC {what} failed for `{name}`: {e:?}"),
    };
    let target = supported_arch(arch).ok_or_else(|| Error::DeviceError {
        device,
        message: format!(
            "this NVRTC supports no architecture up to sm_{}{} (the device's); use an NVRTC \
             that matches the driver",
            arch.0, arch.1
        ),
    })?;
    let c_source = CString::new(source)
        .map_err(|_| Error::InvalidArgument(format!("CUDA source `{name}` contains a NUL byte")))?;
    let c_name = CString::new(name.replace('\0', "")).unwrap_or_default();
    let program = result::create_program(&c_source, Some(&c_name))
        .map_err(|e| failed("nvrtcCreateProgram", e))?;
    let program = Program(program);
    let mut options: Vec<String> = OPTIONS.iter().map(|s| s.to_string()).collect();
    options.push(format!("--gpu-architecture=compute_{target}"));
    // SAFETY: `program` is live until `Program` drops; `c_source` outlives it.
    let compiled = unsafe { result::compile_program(program.0, &options) };
    if let Err(e) = compiled {
        // SAFETY: as above.
        let log = unsafe { result::get_program_log(program.0) }
            .map(|raw| c_chars_to_string(&raw))
            .unwrap_or_default();
        return Err(Error::DeviceError {
            device,
            message: format!(
                "NVRTC could not compile `{name}` for compute_{target} ({e:?}):\n{}",
                log.trim_end()
            ),
        });
    }
    // SAFETY: as above; the program compiled.
    let raw = unsafe { result::get_ptx(program.0) }.map_err(|e| failed("nvrtcGetPTX", e))?;
    drop(c_source);
    Ok(c_chars_to_string(&raw))
}

/// Destroys an NVRTC program on every path out of `compile`.
struct Program(sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by `create_program` and destroyed only here.
        let _ = unsafe { result::destroy_program(self.0) };
    }
}

fn c_chars_to_string(raw: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = raw.iter().map(|&c| c as u8).collect();
    CStr::from_bytes_until_nul(&bytes)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned())
}

/// The newest architecture (as `major * 10 + minor`) that NVRTC supports and the device can
/// run, or the device's own when NVRTC cannot list its architectures.
fn supported_arch(arch: (u32, u32)) -> Option<u32> {
    let wanted = arch.0 * 10 + arch.1;
    let mut count = 0;
    // SAFETY: writes one int.
    if unsafe { sys::nvrtcGetNumSupportedArchs(&mut count) }
        .result()
        .is_err()
        || count <= 0
    {
        return Some(wanted);
    }
    let mut archs = vec![0i32; count as usize];
    // SAFETY: `archs` has room for the `count` ints NVRTC writes.
    if unsafe { sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) }
        .result()
        .is_err()
    {
        return Some(wanted);
    }
    pick_arch(wanted, &archs)
}

/// The largest of `supported` not above `wanted`.
fn pick_arch(wanted: u32, supported: &[i32]) -> Option<u32> {
    supported
        .iter()
        .filter_map(|&a| u32::try_from(a).ok())
        .filter(|&a| a <= wanted)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_depends_on_source_and_arch_only() {
        let k = CacheKey::new("a", (8, 6));
        assert_eq!(k, CacheKey::new("a", (8, 6)));
        assert_ne!(k.hash, CacheKey::new("b", (8, 6)).hash);
        assert_eq!(k.hash, CacheKey::new("a", (9, 0)).hash);
        assert_eq!(k.file_name(), format!("{:016x}-sm_86.ptx", k.hash));
    }

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        // From the FNV reference: the empty string and "a".
        assert_eq!(Fnv1a::new().finish(), 0xcbf29ce484222325);
        let mut h = Fnv1a::new();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn cache_dir_rules() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| OsString::from(v))
            }
        };
        let home = &[("HOME", "/h")];
        assert_eq!(
            cache_dir_from(env(home)),
            Some("/h/.cache/opkit/ptx".into())
        );
        let xdg = &[("HOME", "/h"), ("XDG_CACHE_HOME", "/x")];
        assert_eq!(cache_dir_from(env(xdg)), Some("/x/opkit/ptx".into()));
        let relative = &[("HOME", "/h"), ("XDG_CACHE_HOME", "rel")];
        assert_eq!(
            cache_dir_from(env(relative)),
            Some("/h/.cache/opkit/ptx".into())
        );
        let empty = &[("HOME", "/h"), ("XDG_CACHE_HOME", "")];
        assert_eq!(
            cache_dir_from(env(empty)),
            Some("/h/.cache/opkit/ptx".into())
        );
        let explicit = &[("HOME", "/h"), ("OPKIT_CUDA_CACHE", "/c")];
        assert_eq!(cache_dir_from(env(explicit)), Some("/c".into()));
        let off = &[("HOME", "/h"), ("OPKIT_CUDA_CACHE", "off")];
        assert_eq!(cache_dir_from(env(off)), None);
        assert_eq!(cache_dir_from(env(&[])), None);
    }

    #[test]
    fn disk_cache_round_trips_and_ignores_strays() {
        let dir = std::env::temp_dir().join(format!("opkit-ptx-test-{}", std::process::id()));
        let key = CacheKey::new("source", (9, 0));
        assert_eq!(read_cached(&dir, &key), None);
        let ptx = ".version 8.0\n.target sm_90\n";
        write_cached(&dir, &key, ptx);
        assert_eq!(read_cached(&dir, &key).as_deref(), Some(ptx));
        // Another architecture is another file.
        assert_eq!(read_cached(&dir, &CacheKey::new("source", (8, 0))), None);
        // A truncated or foreign file is not PTX.
        std::fs::write(dir.join(key.file_name()), "garbage").unwrap();
        assert_eq!(read_cached(&dir, &key), None);
        // No temporary files are left behind.
        let leftovers = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn arch_falls_back_to_the_newest_supported() {
        assert_eq!(pick_arch(90, &[75, 80, 86, 89, 90]), Some(90));
        assert_eq!(pick_arch(120, &[75, 80, 90]), Some(90));
        assert_eq!(pick_arch(86, &[75, 80, 90]), Some(80));
        assert_eq!(pick_arch(60, &[75, 80]), None);
    }

    #[test]
    fn an_unwritable_cache_is_skipped() {
        // A path under a regular file cannot be a directory.
        let file = std::env::temp_dir().join(format!("opkit-ptx-file-{}", std::process::id()));
        std::fs::write(&file, "x").unwrap();
        let key = CacheKey::new("s", (8, 0));
        write_cached(&file.join("sub"), &key, ".version 8.0");
        assert_eq!(read_cached(&file.join("sub"), &key), None);
        std::fs::remove_file(&file).unwrap();
    }
}
