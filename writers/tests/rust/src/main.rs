//! The harness's scripted sequence for the Rust writer (writers/tests/run_writer_tests.py).
//! Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES
use std::time::Instant;
use visdrop::{array, record, Error, Run, Value};

fn sequence(drop: &str, run_name: &str) -> Result<(), Error> {
    let run = Run::open(drop, run_name)?;
    run.add_config(&record! {
        "model" => record! {"type" => "ResNet", "depth" => 50,
                            "norm_cfg" => record! {"type" => "BN", "eps" => 1e-05, "requires_grad" => true}},
        "optimizer" => record! {"lr" => 0.02, "momentum" => 0.9, "weight_decay" => 0.0001},
        "max_epochs" => 12,
        "scale" => 1.0,
        "flags" => array![true, false, Value::Null],
        "name" => "run α",
    })?;
    run.add_scalar("loss", 0.5, 1)?;
    run.add_scalar("count", 1, 2)?;
    run.add_scalar("ratio", 1.0, 3)?;
    run.add_scalar("nan", f64::NAN, 4)?;
    run.add_scalar("inf", f64::INFINITY, 5)?;
    run.add_scalar("ninf", f64::NEG_INFINITY, 6)?;
    run.add_scalar("small", 1e-5, 7)?;
    run.add_scalar("negzero", -0.0, 8)?;
    run.add_scalar("big", 1e16, 9)?;
    run.add_scalar("tiny", 5e-324, 10)?;
    run.add_scalar("third", 0.1 + 0.2, 11)?;
    run.add_scalar("bigstep", 3, 1099511627776)?;
    run.add_scalars(&record! {"train/loss" => 0.25, "train/acc" => 1, "lr" => 0.001}, 12, None)?;
    run.add_scalars(&record! {"a" => 1.5, "step" => 99}, 13, None)?;
    run.add_scalars(&record! {"bigint" => 18446744073709551617i128, "negbig" => i64::MIN, "maxu64" => u64::MAX,
                              "huge" => Value::BigInt("1000000000000000000000000000000".into())}, 14, None)?;
    run.add_scalars(&record! {
        "nested" => record! {"inner" => record! {"x" => 1, "y" => 2.5}, "list" => array![1, 2.0, Value::Null, true, false, "s"]},
        "text" => "naïve \"q\" \\ \n\t\u{1} ключ 😀",
        "flag" => true,
        "none" => Value::Null,
    }, 15, None)?;
    run.add_scalars(&record! {"val/acc" => 0.91, "val/f1" => 1.0}, 16, Some("val.json"))?;
    run.add_scalars(&record! {"val/acc" => f64::NAN, "epoch" => 2, "max" => 1.7976931348623157e308}, 17, Some("val.json"))?;
    run.add_scalar("last", -2.5e-300, 18)?;
    run.add_scalars(&record! {}, 19, None)?;
    run.add_scalars(&record! {"e21" => 1e21, "em7" => 1e-7, "f32" => 0.1f32}, 20, None)?;

    let layouts: [(&str, &[usize]); 7] = [("hw", &[5, 6]), ("hw1", &[5, 6, 1]), ("hw3", &[5, 6, 3]), ("hw4", &[5, 6, 4]),
                                          ("c1hw", &[1, 5, 6]), ("c3hw", &[3, 5, 6]), ("c4hw", &[4, 5, 6])];
    let mut step = 0u64;
    for dtype in ["uint8", "uint16", "float32", "bool"] {
        for (layout, shape) in layouts {
            let count: usize = shape.iter().product();
            let name = format!("{dtype}_{layout}");
            match dtype {
                "uint8" => run.add_image(&name, &(0..count).map(|i| ((i * 37 + 11) % 256) as u8).collect::<Vec<_>>(), shape, step)?,
                "uint16" => run.add_image(&name, &(0..count).map(|i| ((i * 4099 + 7) % 65536) as u16).collect::<Vec<_>>(), shape, step)?,
                "float32" => run.add_image(&name, &(0..count)
                    .map(|i| if i % 13 == 5 { f32::NAN } else { (((i * 37) % 101) as f64 / 80.0 - 0.1) as f32 })
                    .collect::<Vec<_>>(), shape, step)?,
                _ => run.add_image(&name, &(0..count).map(|i| i % 3 == 0 || i % 7 == 1).collect::<Vec<_>>(), shape, step)?,
            }
            step += 1;
        }
    }
    Run::open(drop, &format!("{run_name}-yaml"))?
        .add_config_yaml("model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n")?;
    Run::open(drop, &format!("{run_name}-jsontext"))?
        .add_config_json(r#"{"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]}"#)?;
    Ok(())
}

fn fails<T>(check: &str, result: Result<T, Error>) -> bool {
    match result {
        Ok(_) => { println!("FAIL {check}: no error reported"); false }
        Err(error) => { eprintln!("{check}: {error}"); true }
    }
}

fn errors(scratch: &str) -> i32 {
    let mut failed = 0;
    let mut report = |check: &str, ok: bool| if ok { println!("ok {check}") } else { failed = 1 };
    let missing = format!("{scratch}/missing");
    let mut ok = fails("missing_drop", Run::open(&missing, "r"));
    if std::path::Path::new(&missing).exists() { println!("FAIL missing_drop: created"); ok = false; }
    report("missing_drop", ok);
    report("drop_is_file", fails("drop_is_file", Run::open(format!("{scratch}/plain-file"), "r")));
    report("readonly_drop", fails("readonly_drop", Run::open(format!("{scratch}/readonly"), "r").and_then(|r| r.add_scalar("x", 1.0, 0))));
    let run = Run::open(format!("{scratch}/good"), "r").expect("open good");
    let rec = record! {"x" => 1.0};
    report("bad_file_path", fails("bad_file_path", run.add_scalars(&rec, 0, Some("val.txt")))
        & fails("bad_file_path", run.add_scalars(&rec, 0, Some("scalars.json")))
        & fails("bad_file_path", run.add_scalars(&rec, 0, Some("a/b.json"))));
    let pixels = vec![0u8; 60];
    report("bad_image", fails("bad_image", run.add_image("x", &pixels, &[5, 6, 2], 0))
        & fails("bad_image", run.add_image("x", &pixels[..59], &[5, 6], 0))
        & fails("bad_image", run.add_image("../x", &pixels[..30], &[5, 6], 0)));
    let vanishing = Run::open(format!("{scratch}/good"), "r2").expect("open r2");
    std::fs::remove_dir(format!("{scratch}/good/r2")).expect("rmdir r2");
    report("vanished_run", fails("vanished_run", vanishing.add_scalar("x", 1.0, 0)));
    failed
}

fn concurrent(drop: &str, run_name: &str, writer: i64, count: i64) -> Result<(), Error> {
    let run = Run::open(drop, run_name)?;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2).map(|t| {
            let run = &run;
            scope.spawn(move || -> Result<(), Error> {
                for i in 0..count {
                    run.add_scalars(&record! {"writer" => writer, "thread" => t, "i" => i}, i, if i % 5 == 0 { Some("every5.json") } else { None })?;
                }
                Ok(())
            })
        }).collect();
        handles.into_iter().try_for_each(|h| h.join().expect("thread panicked"))
    })
}

fn bench(drop: &str, run_name: &str, records: i64, images: u64) -> Result<(), Error> {
    let run = Run::open(drop, run_name)?;
    let start = Instant::now();
    for i in 0..records {
        run.add_scalars(&record! {"loss" => 0.25, "acc" => 0.5}, i, None)?;
    }
    let record_seconds = start.elapsed().as_secs_f64();
    let pixels: Vec<u8> = (0..64 * 64 * 3).map(|i| (i * 7) as u8).collect();
    let start = Instant::now();
    for i in 0..images {
        run.add_image("bench", &pixels, &[64, 64, 3], i)?;
    }
    let image_seconds = start.elapsed().as_secs_f64();
    println!("bench records_per_s={:.1} images_per_s={:.1}", records as f64 / record_seconds, images as f64 / image_seconds);
    Ok(())
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let result = match (a.len(), a.get(1).map(String::as_str)) {
        (n, Some("sequence")) if n >= 4 => sequence(&a[2], &a[3]),
        (n, Some("errors")) if n >= 3 => std::process::exit(errors(&a[2])),
        (n, Some("concurrent")) if n >= 6 => concurrent(&a[2], &a[3], a[4].parse().unwrap(), a[5].parse().unwrap()),
        (n, Some("bench")) if n >= 6 => bench(&a[2], &a[3], a[4].parse().unwrap(), a[5].parse().unwrap()),
        _ => {
            eprintln!("usage: {} sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES", a[0]);
            std::process::exit(64);
        }
    };
    if let Err(error) = result {
        eprintln!("{error}");
        std::process::exit(1);
    }
}
