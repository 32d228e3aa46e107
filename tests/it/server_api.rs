//! `imgedit edit --engine api` against `imgedit serve`: inpainting and outpainting, retries,
//! faults, Lambda's payload limit and withheld images.

use image::{DynamicImage, RgbImage};
use serde_json::{Value, json};

use crate::common::*;

/// `imgedit edit --engine api` against the server.
fn api_edit(sb: &Sandbox, s: &Server) -> assert_cmd::Command {
    let mut c = sb.cmd();
    c.env("IMGEDIT_API_RETRY_BASE_MS", "10").args([
        "edit",
        "--engine",
        "api",
        "--api-url",
        &edit_url(s),
        "--token",
        "not-checked",
    ]);
    c
}

#[test]
fn the_api_engine_inpaints_and_outpaints_through_the_server() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--no-log"], &[]);
    let src = textured(80, 64);
    sb.save("in.png", &DynamicImage::ImageRgb8(src.clone()));
    api_edit(&sb, &s)
        .args([
            "in.png",
            "--model",
            "local",
            "--rect",
            "20,16,24,20",
            "-n",
            "2",
            "--seed",
            "5",
            "-o",
            "out.png",
            "--json",
        ])
        .assert()
        .success();
    for name in ["out-1.png", "out-2.png"] {
        let out = load_rgb(&sb.path(name));
        assert_eq!(out.dimensions(), (80, 64));
        let inside = |x: u32, y: u32| (20..44).contains(&x) && (16..36).contains(&y);
        assert_eq!(changed_outside(&out, &src, inside), 0, "{name}");
    }
    api_edit(&sb, &s)
        .args([
            "in.png",
            "--model",
            "local",
            "--mode",
            "precise-outpaint",
            "--extend",
            "0,0,40,0",
            "-o",
            "wide.png",
        ])
        .assert()
        .success();
    let out = load_rgb(&sb.path("wide.png"));
    assert_eq!(out.dimensions(), (120, 64));
    assert_eq!(changed_outside(&out, &src, |x, _| x >= 80), 0);
    // erase is not part of the contract: refused before anything is sent
    api_edit(&sb, &s)
        .args([
            "in.png", "--model", "local", "--mode", "erase", "--rect", "1,1,4,4", "-o", "e.png",
        ])
        .assert()
        .failure()
        .stderr(predicates::str::contains("erase"));
    assert!(!sb.path("e.png").exists());
}

#[test]
fn the_api_engine_retries_then_explains() {
    let sb = Sandbox::new();
    let (_up, api) = bedrock_backed(&sb, &["throttle=2"]);
    let src = textured(512, 512);
    sb.save("in.png", &DynamicImage::ImageRgb8(src));
    // two 429s from the API, then success: the user sees the retries
    api_edit(&sb, &api)
        .args([
            "in.png",
            "--rect",
            "10,10,30,30",
            "-p",
            "a wall",
            "-n",
            "1",
            "-o",
            "out.png",
        ])
        .assert()
        .success()
        .stderr(predicates::str::contains("retry 1 of 3"));
    assert!(sb.path("out.png").exists());
    // no server at all: a connection error, exit 4, nothing written
    let mut c = sb.cmd();
    c.env("IMGEDIT_API_MAX_ATTEMPTS", "2")
        .env("IMGEDIT_API_RETRY_BASE_MS", "10")
        .args([
            "edit",
            "--engine",
            "api",
            "--api-url",
            "http://127.0.0.1:9/image-edit",
            "--token",
            "t",
        ])
        .args(["in.png", "--rect", "10,10,30,30", "-o", "none.png"])
        .assert()
        .code(4)
        .stderr(predicates::str::contains("cannot reach"));
    assert!(!sb.path("none.png").exists());
    // no token anywhere: says how to get one
    let mut c = sb.cmd();
    c.args(["edit", "--engine", "api", "--api-url", &edit_url(&api)])
        .args(["in.png", "--rect", "10,10,30,30", "-o", "none.png"])
        .assert()
        .code(5)
        .stderr(predicates::str::contains("imgedit login"));
}

#[test]
fn the_api_engine_meets_faults_with_bounded_retries_and_no_partial_file() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--no-log", "--fault-control"], &[]);
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(64, 64)));
    let old = std::fs::read(sb.path("in.png")).unwrap();
    let faults = |plan: Value| {
        let a = post(&format!("{}/__imgedit/faults", s.url), None, &plan);
        assert_eq!(a.status, 200, "{}", short(&a.body));
    };
    let run = |env: &[(&str, &str)]| {
        let mut c = api_edit(&sb, &s);
        c.args(["in.png", "--rect", "8,8,16,16", "-o", "out.png", "--force"]);
        for (k, v) in env {
            c.env(k, v);
        }
        c.assert()
    };
    // one dropped answer is retried
    faults(json!({"drop": 1}));
    run(&[])
        .success()
        .stderr(predicates::prelude::PredicateBooleanExt::and(
            predicates::str::contains("broke off"),
            predicates::str::contains("retry 1 of"),
        ));
    assert_eq!(load_rgb(&sb.path("out.png")).dimensions(), (64, 64));
    type Case<'a> = (Value, &'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 5] = [
        (
            json!({"drop": 10}),
            &[("IMGEDIT_API_MAX_ATTEMPTS", "3")],
            &["broke off", "gave up after 3 attempts"],
        ),
        (
            json!({"throttle": 50}),
            &[("IMGEDIT_API_MAX_ATTEMPTS", "3")],
            &["Too many requests", "gave up after 3 attempts"],
        ),
        (json!({"malformed": 1}), &[], &["not JSON"]),
        (json!({"bad-base64": 1}), &[], &["base64"]),
        (
            json!({"delay-ms": 5000}),
            &[("IMGEDIT_API_TIMEOUT_SECS", "1")],
            &["no answer in time"],
        ),
    ];
    for (plan, env, says) in cases {
        std::fs::write(sb.path("out.png"), &old).unwrap();
        faults(plan.clone());
        let t = std::time::Instant::now();
        let a = run(env).code(4);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        for s in says {
            assert!(err.contains(s), "{plan}: {err}");
        }
        assert!(
            t.elapsed() < std::time::Duration::from_secs(30),
            "{plan}: {:?}",
            t.elapsed()
        );
        assert_eq!(
            std::fs::read(sb.path("out.png")).unwrap(),
            old,
            "{plan}: out.png damaged"
        );
        let stray: Vec<String> = sb
            .files()
            .into_iter()
            .filter(|f| f.starts_with('.') || f.ends_with(".tmp"))
            .collect();
        assert!(stray.is_empty(), "{plan}: {stray:?}");
        faults(json!({}));
    }
}

fn noise(w: u32, h: u32) -> RgbImage {
    let mut state = 0x2545_f491_u32;
    RgbImage::from_fn(w, h, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        };
        image::Rgb([next(), next(), next()])
    })
}

#[test]
fn the_api_engine_keeps_requests_under_lambdas_6_mb() {
    let sb = Sandbox::new();
    // as PNG this noise is ~6.8 MB in base64, as JPEG ~5.5 MB: it goes as JPEG
    sb.save("noisy.png", &DynamicImage::ImageRgb8(noise(1300, 1300)));
    let dry = |image: &str, args: &[&str]| -> Value {
        let out = sb
            .cmd()
            .args([
                "edit",
                "--engine",
                "api",
                "--api-url",
                "http://127.0.0.1:9/image-edit",
                "--token",
                "t",
            ])
            .args([image, "-o", "h.png", "--dry-run", "--json"])
            .args(args)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice::<Value>(&out).unwrap()["engine_plan"].clone()
    };
    let plan = dry("noisy.png", &["--rect", "100,100,50,50"]);
    assert_eq!(plan["image_sent_as"], "jpeg", "{plan}");
    assert!(plan["request_bytes"].as_u64().unwrap() <= 6 * 1024 * 1024);
    assert_eq!(plan["request"]["model"], "titan");
    assert_eq!(plan["request"]["prompt"]["mode"], "INPAINTING");
    assert_eq!(plan["fitted"], Value::Null);
    // too large even as JPEG: only the region around the mask goes
    sb.save("huge.png", &DynamicImage::ImageRgb8(noise(1408, 1408)));
    let plan = dry("huge.png", &["--rect", "100,100,50,50"]);
    assert!(
        plan["fitted"]
            .as_str()
            .unwrap()
            .contains("region around the mask"),
        "{plan}"
    );
    assert!(plan["window"]["w"].as_u64().unwrap() < 1408);
    assert!(plan["request_bytes"].as_u64().unwrap() <= 6 * 1024 * 1024);
    // the mask spans the image: cropping cannot help, scaling does
    let plan = dry("huge.png", &["--rect", "0,0,1408,1408"]);
    assert!(
        plan["fitted"].as_str().unwrap().contains("scaled to"),
        "{plan}"
    );
    assert!(plan["window"]["sent_w"].as_u64().unwrap() < 1408);
    assert!(plan["request_bytes"].as_u64().unwrap() <= 6 * 1024 * 1024);
    // and the bytes actually sent: a server that refuses bodies over 6 MiB (Lambda's limit,
    // serve's default) takes each of the three requests whole
    let s = serve(&sb, &["--no-auth"], &[]);
    for (image, rect, out) in [
        ("noisy.png", "100,100,50,50", "a.png"),
        ("huge.png", "100,100,50,50", "b.png"),
    ] {
        api_edit(&sb, &s)
            .args([image, "--rect", rect, "-o", out])
            .assert()
            .success();
    }
    // the whole image selected: the server refuses the mask (nothing left to fill from), but it
    // had the body whole: no 413
    let a = api_edit(&sb, &s)
        .args(["huge.png", "--rect", "0,0,1408,1408", "-o", "c.png"])
        .assert()
        .failure();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        !err.contains("413") && err.contains("covers every pixel"),
        "{err}"
    );
}

#[test]
fn the_api_engine_reports_images_the_api_withheld() {
    let sb = Sandbox::new();
    let (_up, api) = bedrock_backed(&sb, &["filter=1"]);
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(512, 512)));
    api_edit(&sb, &api)
        .args([
            "in.png",
            "--rect",
            "10,10,30,30",
            "-p",
            "a wall",
            "-n",
            "2",
            "-o",
            "out.png",
        ])
        .assert()
        .code(4)
        .stderr(predicates::str::contains("1 of 2 images were withheld"));
    let written: Vec<String> = sb
        .files()
        .into_iter()
        .filter(|f| f.starts_with("out"))
        .collect();
    assert_eq!(
        written.len(),
        1,
        "the image that arrived is kept: {written:?}"
    );
}
