//! The `#[custom_op]` attribute (filled by the macro work).
