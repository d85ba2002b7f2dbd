//! PyTorch's function-schema language (placeholder; filled by the schema work).
