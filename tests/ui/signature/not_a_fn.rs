use opkit::custom_op;

#[custom_op("my_ops::mul3(Tensor x) -> Tensor")]
struct Mul3;

fn main() {}
