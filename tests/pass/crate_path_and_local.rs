// `crate = ...` for code that reaches opkit through a re-export, and an op declared inside a fn.
mod runtime {
    pub use opkit::*;
}

use runtime::{Result, Tensor};

#[opkit::custom_op("pass::ident(Tensor x) -> Tensor", crate = crate::runtime)]
fn ident(x: &Tensor) -> Result<Tensor> {
    Ok(x.clone())
}

fn main() -> Result<()> {
    #[opkit::custom_op("pass::inner(Tensor x) -> Tensor")]
    fn inner(x: &Tensor) -> Result<Tensor> {
        Ok(x.clone())
    }
    let x = Tensor::from_vec(vec![1u8, 2], &[2])?;
    assert_eq!(ident::call(&x)?.to_vec::<u8>()?, vec![1, 2]);
    assert_eq!(inner::call(&x)?.to_vec::<u8>()?, vec![1, 2]);
    Ok(())
}
