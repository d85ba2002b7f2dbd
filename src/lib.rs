//! opkit: declare custom tensor operators with a PyTorch-style schema checked at compile time.
pub use op_runtime::*;
pub use op_schema as schema;
