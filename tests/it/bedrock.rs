//! The bedrock engine through the real AWS SDK, over HTTP, against `imgedit serve --bedrock` on
//! 127.0.0.1 (started by each test, with its own faults).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command as StdCommand, Stdio};

use assert_cmd::Command;
use image::{DynamicImage, GenericImageView};
use predicates::prelude::*;

use crate::common::*;

/// A running `imgedit serve --bedrock`, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(faults: &[&str]) -> Server {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("imgedit"));
    cmd.args(["serve", "--bedrock", "--listen", "127.0.0.1:0"]);
    for f in faults {
        cmd.args(["--fault", f]);
    }
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let first = lines.next().expect("server printed nothing").unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_string();
    // keep draining stderr so the server never blocks on a full pipe
    std::thread::spawn(move || for _ in lines {});
    Server { child, url }
}

/// `imgedit edit --engine bedrock` pointed at the server with throwaway credentials.
fn edit(sb: &Sandbox, server: &Server) -> Command {
    let mut c = sb.cmd();
    c.env("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &server.url)
        .env("AWS_ACCESS_KEY_ID", "AKIDIMGEDITTEST")
        .env("AWS_SECRET_ACCESS_KEY", "imgedit-test-secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", sb.path("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", sb.path("no-aws-credentials"))
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .env("IMGEDIT_BEDROCK_RETRY_BASE_MS", "10")
        .args(["edit", "--engine", "bedrock"]);
    c
}

fn sandbox_with(w: u32, h: u32) -> Sandbox {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(w, h)));
    sb
}

fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

const TITAN_V1: &str = "amazon.titan-image-generator-v1";
const NOVA: &str = "amazon.nova-canvas-v1:0";

#[test]
fn titan_inpaint_two_images_with_seeds() {
    let server = serve(&[]);
    let sb = sandbox_with(64, 64);
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            TITAN_V1,
            "--rect",
            "16,16,24,24",
            "-n",
            "2",
            "--seed",
            "42",
        ])
        .args([
            "-p",
            "a stone wall",
            "-o",
            "r.png",
            "--json",
            "--save-mask",
            "m.png",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["engine"], "bedrock");
    assert_eq!(lines[0]["model"], TITAN_V1);
    assert_eq!(lines[0]["seed"], 42);
    let src = load_rgb(&sb.path("in.png"));
    let mask = load_gray(&sb.path("m.png"));
    for f in ["r-1.png", "r-2.png"] {
        let r = load_rgb(&sb.path(f));
        for (x, y, m) in mask.enumerate_pixels() {
            if m.0[0] == 0 {
                assert_eq!(r.get_pixel(x, y), src.get_pixel(x, y));
            }
        }
    }
}

#[test]
fn titan_outpaint_default_and_precise() {
    let server = serve(&[]);
    let sb = sandbox_with(64, 48);
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            TITAN_V1,
            "--extend",
            "16,0,16,0",
            "-p",
            "more wall",
            "-o",
            "d.png",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("d.png")).dimensions(), (96, 48));
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            TITAN_V1,
            "--mode",
            "precise-outpaint",
            "--extend",
            "0,8,0,8",
        ])
        .args(["-p", "more wall", "-o", "p.png"])
        .assert()
        .success();
    let p = load_rgb(&sb.path("p.png"));
    let src = load_rgb(&sb.path("in.png"));
    assert_eq!(p.dimensions(), (64, 64));
    for (x, y, px) in src.enumerate_pixels() {
        assert_eq!(p.get_pixel(x, y + 8), px);
    }
}

#[test]
fn outpaint_without_prompt_is_refused_before_any_request() {
    let server = serve(&["throttle=100"]);
    let sb = sandbox_with(64, 48);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--extend", "16", "-o", "x.png",
        ])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("--prompt is required")
                .and(predicate::str::contains("retry").not()),
        );
}

#[test]
fn nova_mask_prompt() {
    let server = serve(&[]);
    let sb = sandbox_with(320, 320);
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            NOVA,
            "--mask-prompt",
            "the dog",
            "-p",
            "a cat",
            "-o",
            "n.png",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("n.png")).dimensions(), (320, 320));
}

#[test]
fn stability_inpaint_erase_replace_and_outpaint() {
    let server = serve(&[]);
    let sb = sandbox_with(96, 96);
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "us.stability.stable-image-inpaint-v1:0",
            "--rect",
            "20,20,30,30",
        ])
        .args(["-p", "moss", "-o", "i.png", "--seed", "7", "--json"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"seed\":7"));
    edit(&sb, &server)
        .args([
            "in.png",
            "--mode",
            "erase",
            "--model",
            "stability.stable-image-erase-object-v1:0",
        ])
        .args(["--ellipse", "48,48,10,10", "-o", "e.png"])
        .assert()
        .success();
    edit(&sb, &server)
        .args([
            "in.png", "--mode", "replace", "--search", "cat", "-p", "dog",
        ])
        .args([
            "--model",
            "stability.stable-image-search-replace-v1:0",
            "-o",
            "s.png",
        ])
        .assert()
        .success();
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "stability.stable-outpaint-v1:0",
            "--extend",
            "0,0,32,0",
            "-o",
            "o.png",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("o.png")).dimensions(), (128, 96));
    // the default model for a mode is the active one that does it
    edit(&sb, &server)
        .args([
            "in.png", "--mode", "erase", "--rect", "1,1,9,9", "-o", "e2.png", "--json",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "stability.stable-image-erase-object-v1:0",
        ));
}

#[test]
fn throttled_twice_then_success_shows_the_retries() {
    let server = serve(&["throttle=2"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "t.png",
        ])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("ThrottlingException: retry 1 of 4").and(
                predicate::str::contains("ThrottlingException: retry 2 of 4"),
            ),
        );
    assert!(sb.path("t.png").exists());
}

#[test]
fn server_error_then_success() {
    let server = serve(&["error500=1"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "t.png",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("InternalServerException: retry 1"));
}

#[test]
fn throttling_storm_gives_up_after_bounded_attempts() {
    let server = serve(&["throttle=100"]);
    let sb = sandbox_with(64, 64);
    let started = std::time::Instant::now();
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "t.png",
        ])
        .env("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "3")
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("gave up after 3 attempts")
                .and(predicate::str::contains("Too many requests"))
                .and(predicate::str::contains("retry 2 of 2")),
        );
    // three attempts with a 10 ms backoff base: seconds, not minutes (a loose bound for slow CI)
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    assert!(!sb.path("t.png").exists());
}

/// Runs a failing edit over an existing output with `--force` and checks that the old file is
/// untouched and nothing else was written.
fn fails_and_keeps_the_old_output(sb: &Sandbox, server: &Server, env: &[(&str, &str)]) -> String {
    let old = std::fs::read(sb.path("in.png")).unwrap();
    std::fs::write(sb.path("out.png"), &old).unwrap();
    let before: Vec<_> = list(sb);
    let mut c = edit(sb, server);
    c.args([
        "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "out.png", "--force",
    ]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.assert().code(4).get_output().stderr.clone();
    assert_eq!(
        std::fs::read(sb.path("out.png")).unwrap(),
        old,
        "out.png was damaged"
    );
    assert_eq!(list(sb), before, "a failed edit left files behind");
    String::from_utf8_lossy(&out).into_owned()
}

fn list(sb: &Sandbox) -> Vec<String> {
    let mut names = sb.files();
    names.retain(|n| n != "data" && n != "config");
    names
}

#[test]
fn a_connection_dropped_mid_response_is_retried() {
    let server = serve(&["drop=1"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "d.png",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("retry 1 of"));
    let out = load_rgb(&sb.path("d.png"));
    assert_eq!(out.dimensions(), (64, 64));
}

#[test]
fn connections_that_keep_dropping_give_up_and_keep_the_old_output() {
    let server = serve(&["drop=100"]);
    let sb = sandbox_with(64, 64);
    let err =
        fails_and_keeps_the_old_output(&sb, &server, &[("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "3")]);
    assert!(err.contains("answer broke off"), "{err}");
    assert!(err.contains("gave up after 3 attempts"), "{err}");
}

#[test]
fn malformed_json_or_base64_fails_cleanly() {
    for fault in ["malformed=1", "bad-base64=1"] {
        let server = serve(&[fault]);
        let sb = sandbox_with(64, 64);
        let err = fails_and_keeps_the_old_output(&sb, &server, &[]);
        assert!(err.contains("malformed response"), "{fault}: {err}");
        if fault.starts_with("bad-base64") {
            assert!(err.contains("images[0]") && err.contains("base64"), "{err}");
        }
    }
}

#[test]
fn a_slow_upstream_times_out_after_bounded_attempts() {
    let server = serve(&["delay-ms=5000"]);
    let sb = sandbox_with(64, 64);
    let started = std::time::Instant::now();
    let err = fails_and_keeps_the_old_output(
        &sb,
        &server,
        &[
            ("IMGEDIT_BEDROCK_TIMEOUT_SECS", "1"),
            ("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "2"),
        ],
    );
    assert!(err.contains("did not answer in time"), "{err}");
    assert!(err.contains("gave up after 2 attempts"), "{err}");
    // two 1 s timeouts, not the 5 s delay twice over
    assert!(
        started.elapsed() < std::time::Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_400_is_not_retried() {
    let server = serve(&[]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "acme.painter-v9",
            "--model-family",
            "titan",
            "--rect",
            "8,8,8,8",
            "-o",
            "t.png",
        ])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("Bedrock rejected the request")
                .and(predicate::str::contains("model identifier is invalid"))
                .and(predicate::str::contains("retry").not()),
        );
    assert!(!sb.path("t.png").exists());
}

#[test]
fn a_filtered_image_is_reported_not_hidden() {
    let server = serve(&["filter=1"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-n", "2", "-o", "f.png",
        ])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("1 of 2 images were withheld")
                .and(predicate::str::contains("content filters")),
        );
    assert!(sb.path("f-1.png").exists());
    assert!(!sb.path("f-2.png").exists());
}

#[test]
fn a_legacy_model_404_names_it_and_suggests_an_active_one() {
    let titan_v2 = "amazon.titan-image-generator-v2:0";
    let server = serve(&[&format!("legacy={titan_v2}")]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", titan_v2, "--rect", "8,8,8,8", "-o", "l.png",
        ])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains(titan_v2)
                .and(predicate::str::contains("end of life"))
                .and(predicate::str::contains(
                    "--model stability.stable-image-inpaint-v1:0",
                )),
        );
}

#[test]
fn malformed_response_is_an_error_and_writes_nothing() {
    let server = serve(&["malformed=1"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "m.png",
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("malformed response"));
    assert!(!sb.path("m.png").exists());
}

#[test]
fn dry_run_prints_the_request_and_price() {
    let sb = sandbox_with(64, 64);
    let out = sb
        .cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--model", TITAN_V1, "--rect", "8,8,8,8",
            "-n", "3",
        ])
        .args(["-p", "ivy", "--dry-run", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let plan = &v["engine_plan"];
    let req = &plan["requests"][0];
    assert_eq!(req["taskType"], "INPAINTING");
    assert_eq!(req["inPaintingParams"]["text"], "ivy");
    assert!(
        req["inPaintingParams"]["image"]
            .as_str()
            .unwrap()
            .contains("base64 characters")
    );
    assert_eq!(req["imageGenerationConfig"]["numberOfImages"], 3);
    assert!((plan["estimated_price_usd"].as_f64().unwrap() - 0.03).abs() < 1e-9);
    assert_eq!(sb.files(), vec!["in.png".to_string()]);
}

#[test]
fn validation_names_model_field_limit_and_value() {
    let sb = sandbox_with(64, 64);
    let long = "x".repeat(513);
    sb.cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--model", TITAN_V1, "--rect", "8,8,8,8",
            "-p", &long, "-o", "x.png",
        ])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains(TITAN_V1).and(predicate::str::contains(
                "--prompt is 513 characters, the limit is 512",
            )),
        );
    sb.cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--model", TITAN_V1, "--rect", "8,8,8,8",
            "-n", "6", "-o", "x.png",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--num-images must be 1..5, got 6"));
    sb.cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--model", "acme.x", "--rect", "8,8,8,8",
            "-o", "x.png",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--model-family"));
    assert!(!sb.path("x.png").exists());
}

#[test]
fn a_large_photo_keeps_its_size_and_its_pixels() {
    let server = serve(&[]);
    let sb = Sandbox::new();
    let big = image::RgbImage::from_fn(6000, 4000, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    });
    sb.save("big.png", &DynamicImage::ImageRgb8(big));
    edit(&sb, &server)
        .args([
            "big.png",
            "--model",
            TITAN_V1,
            "--rect",
            "3000,2000,64,48",
            "-o",
            "out.png",
            "--save-mask",
            "m.png",
        ])
        .assert()
        .success();
    let out = image::open(sb.path("out.png")).unwrap();
    assert_eq!(out.dimensions(), (6000, 4000));
    let out = out.to_rgb8();
    let src = load_rgb(&sb.path("big.png"));
    let mask = load_gray(&sb.path("m.png"));
    let mut changed = 0;
    for (x, y, m) in mask.enumerate_pixels() {
        if m.0[0] == 0 {
            assert_eq!(out.get_pixel(x, y), src.get_pixel(x, y), "{x},{y}");
        } else if out.get_pixel(x, y) != src.get_pixel(x, y) {
            changed += 1;
        }
    }
    assert!(changed > 0);
}

#[test]
fn missing_region_is_a_usage_error() {
    let sb = sandbox_with(64, 64);
    sb.cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--model", TITAN_V1, "--rect", "8,8,8,8",
            "-o", "x.png",
        ])
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION")
        .env("AWS_CONFIG_FILE", sb.path("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no AWS region"));
}

#[test]
fn a_bedrock_api_key_works_without_aws_credentials() {
    let server = serve(&[]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_BEARER_TOKEN_BEDROCK", "bedrock-api-key-for-tests")
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "k.png",
        ])
        .assert()
        .success();
    assert!(sb.path("k.png").exists());
}

#[test]
fn no_credentials_is_an_authentication_error() {
    let server = serve(&[]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("HOME", sb.path("home"))
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "k.png",
        ])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no usable AWS credentials"));
    assert!(!sb.path("k.png").exists());
}
