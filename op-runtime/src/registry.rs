//! The [`Registry`]: every op and kernel linked into the binary, collected from `inventory` once,
//! validated, and turned into per-op dispatch tables.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use op_schema::FunctionSchema;

use crate::dispatch::DispatchTable;
use crate::record::{KernelDTypes, KernelDef, OpDef};
use crate::signature::Signature;
use crate::suggest::closest;
use crate::{DType, DeviceKind, Error, Result, SourceLocation};

/// All registered ops, immutable once built; safe to use from many threads at once.
///
/// ```
/// use op_runtime::Registry;
/// let registry = Registry::global().expect("registrations are valid");
/// for op in registry.ops() {
///     println!("{}", op.schema());
/// }
/// ```
#[derive(Debug)]
pub struct Registry {
    ops: Vec<OpEntry>,
    /// Full names (`ns::name.overload`, and each out variant's name) → (op index, variant).
    names: NameMap<(usize, Variant)>,
    /// Overload-free names (`ns::name`) → op indices, in name order.
    overloads: NameMap<Vec<usize>>,
}

/// Op names → values. The table is filled once at start-up and only read afterwards, so the
/// flooding that SipHash defends against cannot happen, and hashing the name is most of a by-name
/// lookup: [`NameHasher`] takes it eight bytes at a time.
type NameMap<V> = HashMap<String, V, BuildHasherDefault<NameHasher>>;

/// A word-at-a-time multiplicative hash (the scheme of rustc's FxHash): about a third of the
/// instructions of byte-wise FNV-1a on a name like `my_ops::mul3.out`.
#[derive(Default)]
struct NameHasher(u64);

impl NameHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            let mut w = [0u8; 8];
            w.copy_from_slice(word);
            self.add(u64::from_le_bytes(w));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let tail = rest
                .iter()
                .enumerate()
                .fold(0u64, |acc, (i, &b)| acc | u64::from(b) << (8 * i));
            self.add(tail);
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }
}

/// Which schema of an op a handle calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// The op's own schema, as declared.
    Declared,
    /// The out variant derived from it (`ns::name.out`).
    Out,
}

/// One op in the registry: its definition, parsed schemas and kernels.
#[derive(Debug)]
pub struct OpEntry {
    pub(crate) def: &'static OpDef,
    pub(crate) name: String,
    pub(crate) schema: FunctionSchema,
    pub(crate) out_schema: Option<FunctionSchema>,
    /// The out variant's full name, kept so calls need not format it.
    pub(crate) out_name: Option<String>,
    /// For each out-schema argument that is not an output: the index of the declared argument it
    /// stands for (`None` never occurs: dropped TensorOptions arguments have no slot there).
    pub(crate) out_inputs: Vec<usize>,
    pub(crate) kernels: Vec<&'static KernelDef>,
    pub(crate) table: DispatchTable,
    /// What boxed calls of the declared schema need of it.
    pub(crate) signature: Signature,
    /// The same for the out variant (empty without one).
    pub(crate) out_signature: Signature,
}

/// A cheap, copyable reference to one op (or its out variant) in a registry, for repeated calls.
#[derive(Clone, Copy, Debug)]
pub struct OpHandle<'r> {
    pub(crate) registry: &'r Registry,
    pub(crate) index: usize,
    pub(crate) variant: Variant,
}

/// What the registry knows about one kernel, for listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelInfo {
    /// The backend, or `None` for a composite kernel.
    pub backend: Option<DeviceKind>,
    /// The dtypes it accepts.
    pub dtypes: KernelDTypes,
    /// The Rust path of the kernel fn.
    pub name: &'static str,
    /// Where it was registered.
    pub location: SourceLocation,
}

static GLOBAL: OnceLock<Result<Registry>> = OnceLock::new();

impl Registry {
    /// The registry of this process, built on first use from every `#[custom_op]` and `#[kernel]`
    /// linked into the binary. Returns the validation errors (duplicates, kernels for unknown ops,
    /// mismatched out variants) instead of aborting; they are the same on every call.
    pub fn global() -> Result<&'static Registry> {
        GLOBAL
            .get_or_init(|| {
                Registry::from_records(inventory::iter::<OpDef>, inventory::iter::<KernelDef>)
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Builds a registry from explicit records (the global one uses all linked records). Every
    /// problem found is reported, not just the first.
    pub fn from_records<'a>(
        ops: impl IntoIterator<Item = &'a OpDef>,
        kernels: impl IntoIterator<Item = &'a KernelDef>,
    ) -> Result<Registry>
    where
        'a: 'static,
    {
        let mut problems = Vec::new();
        let mut entries: Vec<OpEntry> = Vec::new();
        for def in ops {
            match OpEntry::new(def) {
                Ok(entry) => entries.push(entry),
                Err(e) => problems.push(e),
            }
        }
        // Sorted by name so listings and overload order do not depend on link order.
        entries.sort_by(|a, b| {
            a.name
                .cmp(&b.name)
                .then(a.def.location.line.cmp(&b.def.location.line))
        });

        let mut names: NameMap<(usize, Variant)> = NameMap::default();
        let mut overloads: NameMap<Vec<usize>> = NameMap::default();
        // Where a rejected (duplicate) op was declared: its own kernel, registered by the same
        // attribute, is dropped with it, so one mistake gives one message.
        let mut rejected = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            let variants: Vec<(String, Variant)> =
                std::iter::once((entry.name.clone(), Variant::Declared))
                    .chain(
                        entry
                            .out_schema
                            .as_ref()
                            .map(|s| (s.name().to_string(), Variant::Out)),
                    )
                    .collect();
            if let Some((name, &(first, _))) = variants
                .iter()
                .find_map(|(n, _)| names.get(n).map(|f| (n, f)))
            {
                problems.push(Error::DuplicateOp {
                    name: name.clone(),
                    first: entries[first].def.location,
                    second: entry.def.location,
                });
                rejected.push(entry.def.location);
                continue;
            }
            for (name, variant) in variants {
                names.insert(name, (index, variant));
            }
            overloads
                .entry(base_name(&entry.name).to_string())
                .or_default()
                .push(index);
        }

        let mut orphans = Vec::new();
        for kernel in kernels {
            match names.get(kernel.op) {
                _ if rejected.contains(&kernel.location) => {}
                Some(&(index, Variant::Declared)) => entries[index].kernels.push(kernel),
                _ => orphans.push(kernel),
            }
        }
        for kernel in orphans {
            problems.push(Error::KernelForUnknownOp {
                op: kernel.op.to_string(),
                kernel: kernel.name.to_string(),
                location: kernel.location,
                suggestions: closest(kernel.op, names.keys().map(String::as_str)),
            });
        }
        for entry in &mut entries {
            entry
                .kernels
                .sort_by_key(|k| (k.backend, k.location.file, k.location.line));
            match DispatchTable::build(&entry.kernels) {
                Ok(table) => entry.table = table,
                Err(mut found) => problems.append(&mut found),
            }
        }

        if problems.is_empty() {
            Ok(Registry {
                ops: entries,
                names,
                overloads,
            })
        } else {
            Err(Error::RegistryInvalid { problems })
        }
    }

    /// Every op, sorted by name.
    pub fn ops(&self) -> impl ExactSizeIterator<Item = OpHandle<'_>> + '_ {
        (0..self.ops.len()).map(move |index| OpHandle {
            registry: self,
            index,
            variant: Variant::Declared,
        })
    }

    /// Looks an op up by name: `ns::name`, `ns::name.overload` or an out variant `ns::name.out`.
    ///
    /// A name without an overload finds the op declared without one, or else the only overload;
    /// several overloads are [`Error::AmbiguousOverload`] (use [`Registry::call`] to choose by
    /// arguments). Unknown names come back with "did you mean" suggestions.
    pub fn find(&self, name: &str) -> Result<OpHandle<'_>> {
        if let Some(&(index, variant)) = self.names.get(name) {
            return Ok(OpHandle {
                registry: self,
                index,
                variant,
            });
        }
        match self.overloads.get(name).map(Vec::as_slice) {
            Some([only]) => Ok(OpHandle {
                registry: self,
                index: *only,
                variant: Variant::Declared,
            }),
            Some(many) => Err(Error::AmbiguousOverload {
                name: name.to_string(),
                overloads: many.iter().map(|&i| self.ops[i].name.clone()).collect(),
            }),
            None => Err(Error::UnknownOp {
                name: name.to_string(),
                suggestions: closest(name, self.names.keys().map(String::as_str)),
            }),
        }
    }

    /// The overloads registered under an overload-free name (`ns::name`), in name order.
    pub fn overloads(&self, name: &str) -> impl Iterator<Item = OpHandle<'_>> + '_ {
        self.overloads
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&index| OpHandle {
                registry: self,
                index,
                variant: Variant::Declared,
            })
    }

    /// Fails with [`Error::MissingOps`] unless every named op (or out variant) is registered.
    /// Call it at start-up to turn a crate that was never linked into a loud error.
    ///
    /// ```
    /// let registry = op_runtime::Registry::global().unwrap();
    /// let err = registry.expect_ops(&["nowhere::missing"]).unwrap_err();
    /// assert!(err.to_string().contains("nowhere::missing"));
    /// ```
    pub fn expect_ops(&self, names: &[&str]) -> Result<()> {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| self.find(n).is_err())
            .map(|n| n.to_string())
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::MissingOps { missing })
        }
    }

    pub(crate) fn entry(&self, index: usize) -> &OpEntry {
        &self.ops[index]
    }

    pub(crate) fn index_of(&self, name: &str) -> Option<usize> {
        match self.names.get(name) {
            Some(&(index, Variant::Declared)) => Some(index),
            _ => None,
        }
    }
}

impl OpEntry {
    fn new(def: &'static OpDef) -> Result<OpEntry> {
        let invalid = |message: String| Error::InvalidSchemaRecord {
            schema: def.schema.to_string(),
            location: def.location,
            message,
        };
        let schema =
            FunctionSchema::parse(def.schema).map_err(|e| invalid(e.message().to_string()))?;
        let derived = schema.out_variant().ok();
        let out_schema = match (def.out_schema, derived) {
            (None, _) => None,
            (Some(declared), Some(derived)) if derived.to_string() == declared => Some(derived),
            (Some(declared), derived) => {
                return Err(Error::OutVariantMismatch {
                    op: schema.name().to_string(),
                    location: def.location,
                    declared: declared.to_string(),
                    derived: derived
                        .map_or_else(|| "no out variant".to_string(), |d| d.to_string()),
                });
            }
        };
        let out_inputs = match &out_schema {
            Some(out) => out
                .arguments()
                .iter()
                .filter(|a| !a.is_out())
                .map(|a| {
                    schema
                        .arguments()
                        .iter()
                        .position(|b| b.name == a.name)
                        .ok_or_else(|| {
                            invalid(format!(
                                "out variant argument `{}` has no counterpart",
                                a.name
                            ))
                        })
                })
                .collect::<Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        Ok(OpEntry {
            def,
            signature: Signature::of(&schema),
            out_signature: out_schema.as_ref().map(Signature::of).unwrap_or_default(),
            name: schema.name().to_string(),
            schema,
            out_name: out_schema.as_ref().map(|s| s.name().to_string()),
            out_schema,
            out_inputs,
            kernels: Vec::new(),
            table: DispatchTable::default(),
        })
    }
}

impl<'r> OpHandle<'r> {
    pub(crate) fn entry(&self) -> &'r OpEntry {
        self.registry.entry(self.index)
    }

    /// The registry this handle belongs to.
    pub fn registry(&self) -> &'r Registry {
        self.registry
    }

    /// Whether this handle calls the out variant.
    pub fn variant(&self) -> Variant {
        self.variant
    }

    /// The full name of what this handle calls (`ns::name.overload` or `ns::name.out`).
    pub fn name(&self) -> String {
        self.schema().name().to_string()
    }

    /// The schema of what this handle calls.
    pub fn schema(&self) -> &'r FunctionSchema {
        let entry = self.entry();
        match self.variant {
            Variant::Declared => &entry.schema,
            Variant::Out => entry.out_schema.as_ref().unwrap_or(&entry.schema),
        }
    }

    /// The op's declared schema (also for an out-variant handle).
    pub fn declared_schema(&self) -> &'r FunctionSchema {
        &self.entry().schema
    }

    /// The derived out variant's schema, if the op has one.
    pub fn out_schema(&self) -> Option<&'r FunctionSchema> {
        self.entry().out_schema.as_ref()
    }

    /// A handle to the out variant of this op, if it has one.
    pub fn out_variant(&self) -> Option<OpHandle<'r>> {
        self.entry().out_schema.as_ref().map(|_| OpHandle {
            variant: Variant::Out,
            ..*self
        })
    }

    /// Where the op was declared.
    pub fn location(&self) -> SourceLocation {
        self.entry().def.location
    }

    /// Whether the op infers shapes by broadcasting (the pointwise default).
    pub fn is_pointwise(&self) -> bool {
        self.entry().def.pointwise
    }

    /// Whether the op has a shape function (the pointwise default or a user-supplied one).
    pub fn has_shape_fn(&self) -> bool {
        self.entry().def.boxed_shape.is_some()
    }

    /// The op's kernels.
    pub fn kernels(&self) -> Vec<KernelInfo> {
        self.entry()
            .kernels
            .iter()
            .map(|k| KernelInfo {
                backend: k.backend,
                dtypes: k.dtypes,
                name: k.name,
                location: k.location,
            })
            .collect()
    }

    /// The (backend, dtype) pairs with an exact or generic kernel, for listings; composite
    /// kernels show as backend `None`.
    pub fn dispatch_keys(&self) -> Vec<(Option<DeviceKind>, Option<DType>)> {
        self.entry()
            .kernels
            .iter()
            .flat_map(|k| match k.dtypes {
                KernelDTypes::Any => vec![(k.backend, None)],
                KernelDTypes::Only(ds) => ds.iter().map(|&d| (k.backend, Some(d))).collect(),
            })
            .collect()
    }
}

/// `ns::name.overload` → `ns::name`.
pub(crate) fn base_name(full: &str) -> &str {
    let start = full.rfind("::").map_or(0, |i| i + 2);
    match full[start..].find('.') {
        Some(dot) => &full[..start + dot],
        None => full,
    }
}

impl std::fmt::Display for KernelInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = self
            .backend
            .map_or("composite".to_string(), |b| b.to_string());
        match self.dtypes {
            KernelDTypes::Any => write!(f, "{backend} (any dtype)"),
            KernelDTypes::Only(ds) => {
                let ds: Vec<String> = ds.iter().map(ToString::to_string).collect();
                write!(f, "{backend} ({})", ds.join(", "))
            }
        }?;
        write!(f, " `{}` at {}", self.name, self.location)
    }
}
