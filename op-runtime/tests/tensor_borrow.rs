//! The storage borrow rule: readers share, a writer excludes everyone, conflicts are errors (never
//! blocking, never panicking), and borrows end when their guards drop.

use std::sync::{Arc, Barrier};

use op_runtime::{BorrowKind, DType, Device, Error, Tensor};

fn writing_while_reading() -> Error {
    Error::StorageBorrowed {
        wanted: BorrowKind::Write,
        held: BorrowKind::Read,
    }
}

#[test]
fn readers_share_writers_exclude() {
    let mut t = Tensor::zeros(&[4], DType::F32, Device::Cpu).unwrap();
    let alias = t.clone();
    {
        let a = alias.as_slice::<f32>().unwrap();
        let b = alias.view::<f32>().unwrap();
        assert_eq!(a.len(), b.len());
        assert_eq!(
            t.as_mut_slice::<f32>().unwrap_err(),
            writing_while_reading()
        );
        assert!(alias.storage().is_borrowed(BorrowKind::Read));
    }
    {
        let mut w = t.as_mut_slice::<f32>().unwrap();
        w[0] = 1.0;
        let err = alias.as_slice::<f32>().unwrap_err();
        assert_eq!(
            err,
            Error::StorageBorrowed {
                wanted: BorrowKind::Read,
                held: BorrowKind::Write
            }
        );
        assert!(
            err.to_string().contains("already being written elsewhere"),
            "{err}"
        );
        assert!(alias.to_vec::<f32>().is_err());
        assert!(alias.view::<f32>().is_err());
    }
    // Sequential access is fine once guards are gone.
    assert_eq!(alias.to_vec::<f32>().unwrap(), vec![1.0, 0.0, 0.0, 0.0]);
    t.as_mut_slice::<f32>().unwrap()[1] = 2.0;
    assert_eq!(alias.as_slice::<f32>().unwrap()[1], 2.0);
    assert!(
        !t.storage().is_borrowed(BorrowKind::Read) && !t.storage().is_borrowed(BorrowKind::Write)
    );
}

#[test]
fn output_overlapping_an_input_is_refused() {
    let x = Tensor::arange(6, DType::F64).unwrap();
    let input = x.as_slice::<f64>().unwrap();
    // The "output" is a disjoint view of the same storage: still refused, the rule is per storage.
    let mut out = x.narrow(0, 3, 3).unwrap();
    let err = out.as_mut_slice::<f64>().unwrap_err();
    assert_eq!(err, writing_while_reading());
    let msg = err.to_string();
    assert!(
        msg.contains("cannot write this tensor") && msg.contains("output that overlaps an input"),
        "{msg}"
    );
    assert!(out.view_mut::<f64>().is_err());
    assert!(out.fill_(0.0).is_err());
    assert!(
        out.copy_from(&Tensor::zeros(&[3], DType::F64, Device::Cpu).unwrap())
            .is_err()
    );
    drop(input);
    assert!(out.as_mut_slice::<f64>().is_ok());
}

#[test]
fn two_writers_conflict() {
    let mut a = Tensor::zeros(&[2], DType::U8, Device::Cpu).unwrap();
    let mut b = a.clone();
    let _w = a.view_mut::<u8>().unwrap();
    assert_eq!(
        b.as_mut_slice::<u8>().unwrap_err(),
        Error::StorageBorrowed {
            wanted: BorrowKind::Write,
            held: BorrowKind::Write
        }
    );
}

#[test]
fn copy_holds_both_borrows() {
    let src = Tensor::ones(&[3], DType::I32, Device::Cpu).unwrap();
    let mut dst = Tensor::zeros(&[3], DType::I32, Device::Cpu).unwrap();
    // A writer on the source blocks the copy's read of it...
    let mut src_alias = src.clone();
    let writing_src = src_alias.as_mut_slice::<i32>().unwrap();
    assert_eq!(
        dst.copy_from(&src).unwrap_err(),
        Error::StorageBorrowed {
            wanted: BorrowKind::Read,
            held: BorrowKind::Write
        }
    );
    drop(writing_src);
    // ...and a reader of the destination blocks its write.
    let reading_dst = dst.clone();
    let guard = reading_dst.as_slice::<i32>().unwrap();
    assert_eq!(dst.copy_from(&src).unwrap_err(), writing_while_reading());
    drop(guard);
    dst.copy_from(&src).unwrap();
    assert_eq!(dst.to_vec::<i32>().unwrap(), vec![1; 3]);
}

#[test]
fn borrows_across_threads() {
    let t = Tensor::zeros(&[1024], DType::F32, Device::Cpu).unwrap();
    // Many concurrent readers all succeed.
    std::thread::scope(|s| {
        for _ in 0..4 {
            let t = t.clone();
            s.spawn(move || {
                for _ in 0..1000 {
                    let g = t.as_slice::<f32>().unwrap();
                    assert_eq!(g.len(), 1024);
                }
            });
        }
    });
    // A writer on one thread makes readers on another fail (not block), and vice versa.
    let barrier = Arc::new(Barrier::new(2));
    let held = Arc::new(Barrier::new(2));
    let mut writer = t.clone();
    let (b1, h1) = (barrier.clone(), held.clone());
    let handle = std::thread::spawn(move || {
        let mut g = writer.as_mut_slice::<f32>().unwrap();
        g[0] = 5.0;
        b1.wait(); // the write borrow is held
        h1.wait(); // until the reader has tried
    });
    barrier.wait();
    assert_eq!(
        t.as_slice::<f32>().unwrap_err(),
        Error::StorageBorrowed {
            wanted: BorrowKind::Read,
            held: BorrowKind::Write
        }
    );
    held.wait();
    handle.join().unwrap();
    assert_eq!(t.as_slice::<f32>().unwrap()[0], 5.0);
}

#[test]
fn racing_readers_and_writers_never_both_win() {
    // Hammer one storage from several threads; every successful writer must see no reader and
    // vice versa. A data race here would be caught by Miri / TSan; the counts check the logic.
    let t = Tensor::zeros(&[16], DType::I64, Device::Cpu).unwrap();
    std::thread::scope(|s| {
        for id in 0..4i64 {
            let mut t = t.clone();
            s.spawn(move || {
                for i in 0..2000 {
                    if (i + id) % 3 == 0 {
                        if let Ok(mut g) = t.as_mut_slice::<i64>() {
                            let v = g[0];
                            g.iter_mut().for_each(|x| *x = v + 1);
                        }
                    } else if let Ok(g) = t.as_slice::<i64>() {
                        // A reader sees a consistent snapshot: no writer is mid-update.
                        assert!(g.iter().all(|&x| x == g[0]));
                    }
                }
            });
        }
    });
    assert!(
        !t.storage().is_borrowed(BorrowKind::Read) && !t.storage().is_borrowed(BorrowKind::Write)
    );
}

#[test]
fn only_handle_writes_freely_until_shared() {
    // The only handle writes without the borrow flag (nothing else can reach the bytes); once a
    // clone exists, the flag decides again, and dropping the clone makes the handle unique again.
    let mut t = Tensor::zeros(&[4], DType::F32, Device::Cpu).unwrap();
    t.as_mut_slice::<f32>().unwrap()[0] = 1.0;
    let shared = t.clone();
    let reading = shared.as_slice::<f32>().unwrap();
    assert_eq!(
        t.as_mut_slice::<f32>().unwrap_err(),
        writing_while_reading()
    );
    assert_eq!(reading[0], 1.0);
    drop(reading);
    drop(shared);
    t.as_mut_slice::<f32>().unwrap()[1] = 2.0;
    assert_eq!(t.to_vec::<f32>().unwrap(), vec![1.0, 2.0, 0.0, 0.0]);
}
