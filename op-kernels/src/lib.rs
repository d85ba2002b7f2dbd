//! opkit's built-in operators, declared with `#[custom_op]` exactly as a user declares theirs.
//!
//! - [`seed`]: `my_ops::mul3` (functional style, any dtype) and `my_ops::mul4` (out style,
//!   generic over the element type), the examples of the design notes.

// `#[custom_op]` expands to paths under `::opkit`; inside opkit itself the runtime plays that role.
extern crate op_runtime as opkit;

pub mod seed;
