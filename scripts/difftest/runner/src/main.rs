//! Reads JSON-lines cases on stdin, calls each op by name, prints results as JSON lines.
use opkit::half::{bf16, f16};
use opkit::{DType, Registry, Scalar, Tensor, Value};
use serde_json::{Value as J, json};
use std::io::{BufRead, Write};

fn tensor(spec: &J) -> Result<Tensor, String> {
    let dtype = DType::from_name(spec["dtype"].as_str().unwrap()).map_err(|e| e.to_string())?;
    let shape: Vec<usize> = spec["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    let bits = spec["bits"].as_array().unwrap();
    let u = |v: &J| v.as_u64().unwrap_or_else(|| v.as_i64().unwrap() as u64);
    let t = match dtype {
        DType::F32 => Tensor::from_vec(
            bits.iter()
                .map(|v| f32::from_bits(u(v) as u32))
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::F64 => Tensor::from_vec(
            bits.iter()
                .map(|v| f64::from_bits(u(v)))
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::F16 => Tensor::from_vec(
            bits.iter()
                .map(|v| f16::from_bits(u(v) as u16))
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::BF16 => Tensor::from_vec(
            bits.iter()
                .map(|v| bf16::from_bits(u(v) as u16))
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::I64 => Tensor::from_vec(
            bits.iter().map(|v| v.as_i64().unwrap()).collect::<Vec<_>>(),
            &shape,
        ),
        DType::I32 => Tensor::from_vec(
            bits.iter()
                .map(|v| v.as_i64().unwrap() as i32)
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::I16 => Tensor::from_vec(
            bits.iter()
                .map(|v| v.as_i64().unwrap() as i16)
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::I8 => Tensor::from_vec(
            bits.iter()
                .map(|v| v.as_i64().unwrap() as i8)
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::U8 => Tensor::from_vec(
            bits.iter()
                .map(|v| v.as_i64().unwrap() as u8)
                .collect::<Vec<_>>(),
            &shape,
        ),
        DType::Bool => Tensor::from_vec(
            bits.iter()
                .map(|v| v.as_i64().unwrap() != 0)
                .collect::<Vec<_>>(),
            &shape,
        ),
    }
    .map_err(|e| e.to_string())?;
    let mut t = t;
    if let Some(view) = spec.get("view") {
        for step in view.as_array().unwrap() {
            let a = step.as_array().unwrap();
            let ints = |i: usize| a[i].as_i64().unwrap();
            t = match a[0].as_str().unwrap() {
                "t" => t.transpose(ints(1) as isize as _, ints(2) as isize as _),
                "flip" => t.flip(ints(1) as _),
                "narrow" => t.narrow(ints(1) as _, ints(2) as _, ints(3) as _),
                "slice" => t.slice(ints(1) as _, ints(2) as _, ints(3) as _, ints(4) as _),
                "expand" => t.expand(
                    &a[1]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_i64().unwrap() as _)
                        .collect::<Vec<_>>(),
                ),
                other => panic!("unknown view {other}"),
            }
            .map_err(|e| e.to_string())?;
        }
    }
    Ok(t)
}

fn value(arg: &J) -> Result<Value, String> {
    let (k, v) = arg.as_object().unwrap().iter().next().unwrap();
    Ok(match k.as_str() {
        "t" => Value::Tensor(tensor(v)?),
        "i" => Value::Int(v.as_i64().unwrap()),
        "f" => Value::Float(float(v)),
        "b" => Value::Bool(v.as_bool().unwrap()),
        "s" => Value::Str(v.as_str().unwrap().to_string()),
        "il" => Value::IntList(
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_i64().unwrap())
                .collect(),
        ),
        "fl" => Value::FloatList(v.as_array().unwrap().iter().map(float).collect()),
        "none" => Value::None,
        "dt" => Value::ScalarType(DType::from_name(v.as_str().unwrap()).unwrap()),
        "si" => Value::Scalar(Scalar::Int(v.as_i64().unwrap())),
        "sf" => Value::Scalar(Scalar::Float(float(v))),
        "sb" => Value::Scalar(Scalar::Bool(v.as_bool().unwrap())),
        other => panic!("unknown arg kind {other}"),
    })
}

fn float(v: &J) -> f64 {
    match v.as_str() {
        Some("inf") => f64::INFINITY,
        Some("-inf") => f64::NEG_INFINITY,
        Some("nan") => f64::NAN,
        Some(s) => f64::from_bits(s.parse::<u64>().unwrap()),
        None => v.as_f64().unwrap(),
    }
}

fn out(t: &Tensor) -> J {
    let t = t.contiguous().unwrap();
    let bits: Vec<J> = match t.dtype() {
        DType::F32 => t
            .to_vec::<f32>()
            .unwrap()
            .iter()
            .map(|v| json!(v.to_bits()))
            .collect(),
        DType::F64 => t
            .to_vec::<f64>()
            .unwrap()
            .iter()
            .map(|v| json!(v.to_bits()))
            .collect(),
        DType::F16 => t
            .to_vec::<f16>()
            .unwrap()
            .iter()
            .map(|v| json!(v.to_bits()))
            .collect(),
        DType::BF16 => t
            .to_vec::<bf16>()
            .unwrap()
            .iter()
            .map(|v| json!(v.to_bits()))
            .collect(),
        _ => t
            .to_vec::<i64>()
            .map(|v| v.iter().map(|x| json!(x)).collect())
            .unwrap_or_else(|_| {
                t.to_vec_f64()
                    .unwrap()
                    .iter()
                    .map(|x| json!(*x as i64))
                    .collect()
            }),
    };
    json!({"dtype": t.dtype().name(), "shape": t.shape(), "bits": bits})
}

fn main() {
    let reg = Registry::global().unwrap();
    let stdin = std::io::stdin();
    let mut stdout = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let case: J = serde_json::from_str(&line.unwrap()).unwrap();
        let id = case["id"].clone();
        let res = (|| -> Result<J, String> {
            let args = case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(value)
                .collect::<Result<Vec<_>, _>>()?;
            let mut kwargs = Vec::new();
            if let Some(kw) = case.get("kwargs") {
                for (k, v) in kw.as_object().unwrap() {
                    kwargs.push((k.clone(), value(v)?));
                }
            }
            let kw: Vec<(&str, Value)> = kwargs
                .iter()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .collect();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                reg.call_kw(case["op"].as_str().unwrap(), &args, &kw)
            }))
            .map_err(|_| "PANIC".to_string())?
            .map_err(|e| format!("ERR {e}"))?;
            match &r[0] {
                Value::Tensor(t) => Ok(out(t)),
                other => Err(format!("non-tensor result {other:?}")),
            }
        })();
        let line = match res {
            Ok(j) => json!({"id": id, "ok": j}),
            Err(e) => json!({"id": id, "err": e}),
        };
        writeln!(stdout, "{line}").unwrap();
    }
}
