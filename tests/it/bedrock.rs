//! The bedrock engine through the real AWS SDK, over HTTP, against `imgedit serve --bedrock` on
//! 127.0.0.1 (started by each test, with its own faults).

use assert_cmd::Command;
use image::{DynamicImage, GenericImageView};
use predicates::prelude::*;

use crate::common::*;

/// `imgedit serve --bedrock` with these faults (the shared harness, in a home of its own).
pub(crate) fn stand_in(faults: &[&str]) -> Server {
    let args: Vec<String> = faults.iter().map(|f| format!("--fault={f}")).collect();
    stand_in_with(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `imgedit serve --bedrock` with more arguments.
fn stand_in_with(extra: &[&str]) -> Server {
    // room for the client's 5 calls at once (`-n 5`); the limit itself is tested in exposure.rs
    let mut args = vec!["--bedrock", "--max-concurrent", "8"];
    args.extend_from_slice(extra);
    serve_alone(&args)
}

/// The TUI with the bedrock engine on a copy of the sample (`sample.png`), in tmux (half blocks,
/// 100x35) against the stand-in at `server`, with throwaway credentials, once it has opened the
/// image: its folder (the work folder is `data/work` there), the copy and the session. None where
/// tmux is missing (outside CI, which must have it).
pub(crate) fn bedrock_tui_in_tmux(
    name: &str,
    server: &Server,
) -> Option<(tempfile::TempDir, std::path::PathBuf, crate::tui::Tmux)> {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for this test on CI"
        );
        eprintln!("tmux is not installed: the {name} test skipped");
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("sample.png");
    std::fs::copy(crate::tui::sample_path(), &input).unwrap();
    let bin = assert_cmd::cargo::cargo_bin("imgedit");
    let command = format!(
        "env -u IMGEDIT_GRAPHICS -u AWS_PROFILE -u AWS_BEARER_TOKEN_BEDROCK IMGEDIT_CONFIG_DIR={c} IMGEDIT_DATA_DIR={d} AWS_ENDPOINT_URL_BEDROCK_RUNTIME={url} AWS_ACCESS_KEY_ID=AKIDIMGEDITTEST AWS_SECRET_ACCESS_KEY=x AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE={c}/none AWS_SHARED_CREDENTIALS_FILE={c}/none {bin} tui --engine bedrock --graphics halfblocks {img} 2>{log}; sleep 5",
        log = dir.path().join("stderr.log").display(),
        c = dir.path().join("config").display(),
        d = dir.path().join("data").display(),
        url = server.url,
        bin = bin.display(),
        img = input.display(),
    );
    let tmux = crate::tui::Tmux {
        socket: format!("imgedit-{name}-{}", std::process::id()),
        log: dir.path().join("stderr.log"),
    };
    tmux.start(dir.path(), &command);
    tmux.wait_for("opened", std::time::Duration::from_secs(20));
    Some((dir, input, tmux))
}

/// `imgedit edit --engine bedrock` pointed at the server with throwaway credentials.
fn edit(sb: &Sandbox, server: &Server) -> Command {
    let mut c = sb.cmd();
    c.envs(crate::common::bedrock_client_env(sb, &server.url))
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
    let server = stand_in(&[]);
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
    // checked against the rectangle given (Titan takes no grow band), not the product's mask
    let src = load_rgb(&sb.path("in.png"));
    let inside = |x: u32, y: u32| (16..40).contains(&x) && (16..40).contains(&y);
    for f in ["r-1.png", "r-2.png"] {
        let r = load_rgb(&sb.path(f));
        assert_eq!(changed_outside(&src, &r, inside), 0, "{f}");
    }
    // the saved mask is that rectangle
    let mask = load_gray(&sb.path("m.png"));
    assert!(
        mask.enumerate_pixels()
            .all(|(x, y, m)| (m.0[0] > 0) == inside(x, y))
    );
}

#[test]
fn titan_outpaint_default_and_precise() {
    let server = stand_in(&[]);
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
    let server = stand_in(&["throttle=100"]);
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
fn nova_canvas_is_refused_past_its_end_of_life() {
    let server = stand_in(&[]);
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
        .code(4)
        .stderr(
            predicate::str::contains(
                "amazon.nova-canvas-v1:0 (Nova Canvas) reached end of life on 2026-09-30; use us.stability.",
            )
            .and(predicate::str::contains(
                "This model version has reached the end of its life",
            ))
            // refused at once: a retired model is not retried
            .and(predicate::str::contains("retry").not()),
        );
    assert!(!sb.path("n.png").exists());
}

#[test]
fn stability_inpaint_erase_replace_and_outpaint() {
    let server = stand_in(&[]);
    let sb = sandbox_with(96, 96);
    // red blocks inside each selection below, so that a fill must change them
    let mut img = textured(96, 96);
    for (x0, y0, x1, y1) in [(25, 25, 45, 45), (44, 44, 53, 53), (3, 3, 8, 8)] {
        for y in y0..y1 {
            for x in x0..x1 {
                img.put_pixel(x, y, image::Rgb([255, 0, 0]));
            }
        }
    }
    sb.save("in.png", &DynamicImage::ImageRgb8(img));
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
    // pixels outside the selection, grown by the tool's grow_mask (the band it blends), are the
    // input's: checked against the rectangles given, not against the product's own mask
    let input = load_rgb(&sb.path("in.png"));
    let grow = imgedit::edit::model::find("us.stability.stable-image-inpaint-v1:0")
        .and_then(|m| m.grow_mask)
        .map(|(_, default)| default)
        .unwrap();
    // replace: the model finds the region (the stand-in's is the centre third); nothing outside
    // what it changed may differ
    let replaced = load_rgb(&sb.path("s.png"));
    let centre = |px: u32, py: u32| (32..64).contains(&px) && (32..64).contains(&py);
    assert_eq!(changed_outside(&input, &replaced, centre), 0, "s.png");
    assert!(
        input
            .enumerate_pixels()
            .any(|(px, py, p)| centre(px, py) && replaced.get_pixel(px, py) != p),
        "s.png: nothing replaced"
    );
    for (out, (x, y, w, h)) in [
        ("i.png", (20, 20, 30, 30)),
        ("e.png", (38, 38, 21, 21)), // the ellipse's bounding box
        ("e2.png", (1, 1, 9, 9)),
    ] {
        let output = load_rgb(&sb.path(out));
        let g = grow + 1;
        let near =
            |px: u32, py: u32| px + g >= x && px < x + w + g && py + g >= y && py < y + h + g;
        assert_eq!(
            changed_outside(&input, &output, near),
            0,
            "{out}: pixels changed outside"
        );
        let inside = |px: u32, py: u32| px >= x && px < x + w && py >= y && py < y + h;
        let changed_inside = input
            .enumerate_pixels()
            .filter(|(px, py, p)| inside(*px, *py) && output.get_pixel(*px, *py) != *p)
            .count();
        assert!(changed_inside > 0, "{out}: the selection was not filled");
    }
}

#[test]
fn throttled_twice_then_success_shows_the_retries() {
    let server = stand_in(&["throttle=2"]);
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
    let server = stand_in(&["error500=1"]);
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
    let server = stand_in(&["throttle=100"]);
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
    let server = stand_in(&["drop=1"]);
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
    let server = stand_in(&["drop=100"]);
    let sb = sandbox_with(64, 64);
    let err =
        fails_and_keeps_the_old_output(&sb, &server, &[("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "3")]);
    assert!(err.contains("broke off"), "{err}");
    assert!(err.contains("gave up after 3 attempts"), "{err}");
}

#[test]
fn malformed_json_or_base64_fails_cleanly() {
    for fault in ["malformed=1", "bad-base64=1"] {
        let server = stand_in(&[fault]);
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
    let server = stand_in(&["delay-ms=5000"]);
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
    let server = stand_in(&[]);
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
            predicate::str::contains("acme.painter-v9 is not served in us-east-1 under this id")
                .and(predicate::str::contains("model identifier is invalid"))
                .and(predicate::str::contains("end of life").not())
                .and(predicate::str::contains("retry").not()),
        );
    assert!(!sb.path("t.png").exists());
}

#[test]
fn a_filtered_image_is_reported_not_hidden() {
    let server = stand_in(&["filter=1"]);
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
fn a_retired_model_is_sent_and_its_refusal_names_the_date_and_a_living_model() {
    let titan_v2 = "amazon.titan-image-generator-v2:0";
    // the emulator refuses it as Bedrock does after end of life (404 ResourceNotFoundException)
    let server = stand_in(&[]);
    let sb = sandbox_with(64, 64);
    let refusal =
        "reached end of life on 2026-06-30; use us.stability.stable-image-inpaint-v1:0 instead";
    edit(&sb, &server)
        .args([
            "in.png", "--model", titan_v2, "--rect", "8,8,8,8", "-o", "l.png",
        ])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains(format!("warning: {titan_v2} reached end of life"))
                .and(predicate::str::contains(refusal))
                .and(predicate::str::contains(
                    "Bedrock said: This model version has reached the end of its life",
                )),
        );
    assert!(!sb.path("l.png").exists());
    // marked living by the user: no warning, but Bedrock's refusal is still explained
    edit(&sb, &server)
        .env("IMGEDIT_LIVING_MODELS", titan_v2)
        .args([
            "in.png", "--model", titan_v2, "--rect", "8,8,8,8", "-o", "l.png",
        ])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("warning")
                .not()
                .and(predicate::str::contains(refusal)),
        );
    assert!(!sb.path("l.png").exists());
    // a Legacy refusal (the injected fault) keeps its own message
    let server = stand_in(&[&format!("legacy={TITAN_V1}")]);
    edit(&sb, &server)
        .env("IMGEDIT_LIVING_MODELS", TITAN_V1)
        .args([
            "in.png", "--model", TITAN_V1, "--rect", "8,8,8,8", "-o", "l.png",
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "is marked Legacy by its provider and is not served to this account",
        ));
}

#[test]
fn a_retired_model_the_account_still_has_can_be_marked_living() {
    let server = stand_in(&[]);
    let sb = sandbox_with(64, 64);
    let args = ["in.png", "--model", TITAN_V1, "--rect", "8,8,8,8"];
    // by default: sent as asked, with a warning
    edit(&sb, &server)
        .args(args)
        .args(["-o", "a.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains(format!(
            "warning: {TITAN_V1} is treated as retired"
        )));
    // listed in IMGEDIT_LIVING_MODELS: no warning
    edit(&sb, &server)
        .env("IMGEDIT_LIVING_MODELS", TITAN_V1)
        .args(args)
        .args(["-o", "b.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not());
    assert!(sb.path("b.png").exists());
    // the config's default model, listed in the config's living_models: no warning either
    std::fs::create_dir_all(sb.path("config")).unwrap();
    std::fs::write(
        sb.path("config/config.toml"),
        format!("model = \"{TITAN_V1}\"\nliving_models = [\"{TITAN_V1}\"]\n"),
    )
    .unwrap();
    let out = edit(&sb, &server)
        .args(["in.png", "--rect", "8,8,8,8", "-o", "c.png", "--json"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").not())
        .get_output()
        .stdout
        .clone();
    assert_eq!(json_lines(&out)[0]["model"], TITAN_V1);
    // an id imgedit does not know is refused, naming the variable and the value
    edit(&sb, &server)
        .env("IMGEDIT_LIVING_MODELS", "amazon.titan-image-generator-v9")
        .args(args)
        .args(["-o", "d.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("IMGEDIT_LIVING_MODELS")
                .and(predicate::str::contains("amazon.titan-image-generator-v9")),
        );
    assert!(!sb.path("d.png").exists());
}

#[test]
fn without_model_every_mode_gets_a_living_us_profile() {
    let server = stand_in(&[]);
    let sb = sandbox_with(96, 96);
    // the example: --extend implies outpainting, and the outpainting tool is picked
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--extend",
            "0,0,100,0",
            "--prompt",
            "sky",
            "-o",
            "o.png",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json_lines(&out)[0]["model"],
        "us.stability.stable-outpaint-v1:0"
    );
    assert_eq!(load_rgb(&sb.path("o.png")).dimensions(), (196, 96));
    for (args, want) in [
        (
            &["--rect", "8,8,8,8", "-p", "x"][..],
            "us.stability.stable-image-inpaint-v1:0",
        ),
        (
            &["--canvas", "120x96", "-p", "x"][..],
            "us.stability.stable-outpaint-v1:0",
        ),
        (
            &["--mode", "precise-outpaint", "--extend", "8"][..],
            "us.stability.stable-outpaint-v1:0",
        ),
        (
            &["--mode", "erase", "--rect", "8,8,8,8"][..],
            "us.stability.stable-image-erase-object-v1:0",
        ),
        (
            &["--mode", "replace", "--search", "a", "-p", "b"][..],
            "us.stability.stable-image-search-replace-v1:0",
        ),
    ] {
        let out = edit(&sb, &server)
            .arg("in.png")
            .args(args)
            .args(["--dry-run", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["model"], want, "{args:?}");
        assert_eq!(v["engine_plan"]["lifecycle"], "active", "{args:?}");
    }
}

#[test]
fn stability_ids_take_only_the_us_profile_and_bare_ids_work() {
    let server = stand_in(&[]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "eu.stability.stable-image-inpaint-v1:0",
            "--rect",
            "8,8,8,8",
            "-p",
            "x",
            "-o",
            "x.png",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("no eu. inference profile")
                .and(predicate::str::contains(
                    "us.stability.stable-image-inpaint-v1:0",
                ))
                .and(predicate::str::contains("us-east-1, us-east-2, us-west-2")),
        );
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "stability.stable-image-inpaint-v1:0",
            "--rect",
            "8,8,8,8",
            "-p",
            "x",
            "-o",
            "b.png",
        ])
        .assert()
        .success();
}

#[test]
fn a_region_without_the_profiles_warns_and_an_invalid_id_says_where_to_go() {
    let server = stand_in(&[]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .env("AWS_REGION", "eu-central-1")
        .args(["in.png", "--rect", "8,8,8,8", "-p", "x", "-o", "w.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "warning: us.stability.stable-image-inpaint-v1:0 is served in us-east-1, us-east-2, us-west-2, not in eu-central-1",
        ));
    // an id Bedrock does not know: "The provided model identifier is invalid."
    edit(&sb, &server)
        .args([
            "in.png",
            "--model",
            "stability.stable-image-inpaint-v9:0",
            "--model-family",
            "stability-inpaint",
        ])
        .args(["--rect", "8,8,8,8", "-p", "x", "-o", "v.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("not served in us-east-1 under this id")
                .and(predicate::str::contains("us-east-1, us-east-2, us-west-2"))
                .and(predicate::str::contains(
                    "The provided model identifier is invalid",
                )),
        );
}

/// Lines of `text` that present a retired model id as something to use.
fn retired_ids_as_defaults(text: &str) -> Vec<String> {
    let retired = [
        "amazon.titan-image-generator-v1",
        "amazon.titan-image-generator-v2:0",
        "amazon.nova-canvas-v1:0",
    ];
    text.lines()
        .filter(|l| retired.iter().any(|id| l.contains(id)))
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            // the retired models' own table rows, and descriptions of what they were
            !(l.contains("end of life")
                || l.contains("retired")
                || l.contains("the api's model is titan"))
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn readme_and_config_init_name_no_retired_model_as_a_default() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert_eq!(retired_ids_as_defaults(&readme), Vec::<String>::new());
    assert!(
        readme.contains("| `amazon.nova-canvas-v1:0` | Nova Canvas | end of life 2026-09-30 |")
    );
    let sb = Sandbox::new();
    sb.cmd().args(["config", "init"]).assert().success();
    let template = std::fs::read_to_string(sb.path("config/config.toml")).unwrap();
    assert_eq!(retired_ids_as_defaults(&template), Vec::<String>::new());
    assert!(template.contains("# model = \"us.stability.stable-image-inpaint-v1:0\""));
    // the check itself finds a retired default
    assert_eq!(
        retired_ids_as_defaults("# model = \"amazon.nova-canvas-v1:0\"").len(),
        1
    );
}

#[test]
fn malformed_response_is_an_error_and_writes_nothing() {
    let server = stand_in(&["malformed=1"]);
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
    let server = stand_in(&[]);
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
    // the rectangle given is the oracle, not the product's own mask
    let inside = |x: u32, y: u32| (3000..3064).contains(&x) && (2000..2048).contains(&y);
    assert_eq!(changed_outside(&src, &out, inside), 0);
    let changed = src
        .enumerate_pixels()
        .filter(|(x, y, p)| inside(*x, *y) && out.get_pixel(*x, *y) != *p)
        .count();
    assert!(changed > 0);
    let _ = load_gray(&sb.path("m.png"));
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
    let server = stand_in(&[]);
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
    let server = stand_in(&[]);
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

#[test]
fn stability_makes_one_call_per_seed_for_n_images() {
    // the three calls go at once: the emulator's default limit (the CPU count) may be lower
    let server = stand_in(&[]);
    let sb = sandbox_with(96, 96);
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--rect",
            "20,20,30,30",
            "-p",
            "moss",
            "-n",
            "3",
            "--seed",
            "40",
            "-o",
            "s.png",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let seeds: Vec<u64> = json_lines(&out)
        .iter()
        .map(|l| l["seed"].as_u64().unwrap())
        .collect();
    assert_eq!(seeds, vec![40, 41, 42]);
    for f in ["s-1.png", "s-2.png", "s-3.png"] {
        assert!(sb.path(f).exists(), "{f}");
    }
    edit(&sb, &server)
        .args([
            "in.png", "--rect", "1,1,9,9", "-p", "x", "-n", "6", "-o", "x.png",
        ])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("--num-images must be 1..5, got 6"));
}

#[test]
fn the_first_calls_access_denied_is_retried_while_the_subscription_is_set_up() {
    let server = stand_in(&["access-denied=2"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args(["in.png", "--rect", "8,8,8,8", "-p", "x", "-o", "a.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "AWS Marketplace subscription to us.stability.stable-image-inpaint-v1:0 may still be being set up",
        ));
    // denied for longer than the wait: the advice names Marketplace, not the retired console page
    let server = stand_in(&["access-denied=1000"]);
    edit(&sb, &server)
        .env("IMGEDIT_BEDROCK_ACCESS_WAIT_SECS", "1")
        .args(["in.png", "--rect", "8,8,8,8", "-p", "x", "-o", "d.png"])
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("aws-marketplace:Subscribe")
                .and(predicate::str::contains("Bedrock console (Model access)").not())
                .and(predicate::str::contains("still denied after")),
        );
    assert!(!sb.path("d.png").exists());
}

#[test]
fn an_inference_error_is_retried_and_a_filter_is_reported() {
    let server = stand_in(&["inference-error=1"]);
    let sb = sandbox_with(64, 64);
    edit(&sb, &server)
        .args(["in.png", "--rect", "8,8,8,8", "-p", "x", "-o", "i.png"])
        .assert()
        .success()
        .stderr(predicate::str::contains("Inference error: retry 1 of 2"));
    // the filtered shape without images: reported, exit 4, nothing written
    let server = stand_in(&["filter=1"]);
    edit(&sb, &server)
        .args([
            "in.png", "--mode", "erase", "--rect", "8,8,8,8", "-o", "f.png",
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "1 of 1 images were withheld: Filter reason: output image",
        ));
    assert!(!sb.path("f.png").exists());
}

#[test]
fn grow_mask_is_checked_and_sent() {
    let sb = sandbox_with(96, 96);
    let plan = |extra: &[&str]| -> serde_json::Value {
        let out = sb
            .cmd()
            .args([
                "edit",
                "in.png",
                "--engine",
                "bedrock",
                "--rect",
                "20,20,30,30",
                "-p",
                "x",
            ])
            .args(extra)
            .args(["--dry-run", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).unwrap()
    };
    let v = plan(&[]);
    assert_eq!(v["engine_plan"]["requests"][0]["grow_mask"], 5);
    assert_eq!(v["engine_plan"]["requests"][0]["output_format"], "png");
    let v = plan(&["--grow-mask", "0", "--output-format", "jpeg"]);
    assert_eq!(v["engine_plan"]["requests"][0]["grow_mask"], 0);
    assert_eq!(v["engine_plan"]["requests"][0]["output_format"], "jpeg");
    let v = plan(&["-o", "x.webp"]);
    assert_eq!(v["engine_plan"]["requests"][0]["output_format"], "webp");
    sb.cmd()
        .args([
            "edit", "in.png", "--engine", "bedrock", "--rect", "1,1,9,9", "-p", "x",
        ])
        .args(["--grow-mask", "21", "-o", "g.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "us.stability.stable-image-inpaint-v1:0: --grow-mask must be 0..20, got 21",
        ));
}

/// The audit's outpainting examples through the SDK: the sizes the emulator receives and the
/// canvas imgedit writes.
#[test]
fn stability_outpaint_geometry_examples() {
    let server = stand_in(&[]);
    // a canvas wider than 2.5:1 is fine: the limits apply to the image sent
    let sb = sandbox_with(200, 200);
    edit(&sb, &server)
        .args([
            "in.png", "--canvas", "600x200", "--anchor", "left", "-p", "sea", "-o", "w.png",
        ])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("w.png")).dimensions(), (600, 200));
    let sb = sandbox_with(1000, 1000);
    let plan = |args: &[&str]| -> serde_json::Value {
        let out = edit(&sb, &server)
            .arg("in.png")
            .args(args)
            .args(["--dry-run", "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice::<serde_json::Value>(&out).unwrap()["engine_plan"].clone()
    };
    // 1000x1000 extended to 3000x1000
    let p = plan(&["--canvas", "3000x1000", "--anchor", "left"]);
    let r = &p["requests"][0];
    assert_eq!(
        (r["left"].as_u64(), r["right"].as_u64()),
        (Some(0), Some(2000))
    );
    assert_eq!(p["window"]["sent_width"], 3000);
    // extended left by 2500: scaled so that the extension is 2000
    let p = plan(&["--extend", "2500,0,0,0"]);
    let r = &p["requests"][0];
    assert_eq!(
        (r["left"].as_u64(), r["right"].as_u64()),
        (Some(2000), Some(0))
    );
    assert_eq!(p["window"]["sent_width"], 800 + 2000);
    assert_eq!(p["window"]["width"], 3500);
}

#[test]
fn recolor_and_mask_prompt_use_the_search_tools() {
    let server = stand_in(&[]);
    let sb = sandbox_with(96, 96);
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--mode",
            "recolor",
            "--select",
            "the jacket",
            "--prompt",
            "bright red",
            "--style-preset",
            "photographic",
            "-o",
            "r.png",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json_lines(&out)[0]["model"],
        "us.stability.stable-image-search-recolor-v1:0"
    );
    let (src, r) = (load_rgb(&sb.path("in.png")), load_rgb(&sb.path("r.png")));
    assert_eq!(r.dimensions(), (96, 96));
    assert_ne!(
        r.get_pixel(48, 48),
        src.get_pixel(48, 48),
        "the emulator recolours the centre"
    );
    edit(&sb, &server)
        .args([
            "in.png", "--mode", "recolor", "--prompt", "red", "-o", "x.png",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--mode recolor needs --select (what to recolour)",
        ));
    edit(&sb, &server)
        .args(["in.png", "--mode", "recolor", "--select", "a", "-p", "b"])
        .args(["--style-preset", "watercolour", "-o", "x.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "--style-preset \"watercolour\" is not one of",
        ));
    // --mask-prompt: "find the region from text" is search-and-replace's search_prompt
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--mask-prompt",
            "the dog",
            "-p",
            "a cat",
            "--dry-run",
            "--json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["model"], "us.stability.stable-image-search-replace-v1:0");
    assert_eq!(v["engine_plan"]["requests"][0]["search_prompt"], "the dog");
    edit(&sb, &server)
        .args([
            "in.png",
            "--mask-prompt",
            "the dog",
            "-p",
            "a cat",
            "-o",
            "m.png",
        ])
        .assert()
        .success();
}

#[test]
fn remove_background_keeps_alpha_and_refuses_jpeg() {
    let server = stand_in(&[]);
    let sb = sandbox_with(96, 96);
    edit(&sb, &server)
        .args(["in.png", "--mode", "remove-background", "-o", "cut.png"])
        .assert()
        .success();
    let cut = image::open(sb.path("cut.png")).unwrap();
    assert!(cut.color().has_alpha());
    let cut = cut.to_rgba8();
    assert_eq!(cut.get_pixel(0, 0).0[3], 0, "background transparent");
    assert_eq!(cut.get_pixel(48, 48).0[3], 255, "subject opaque");
    edit(&sb, &server)
        .args(["in.png", "--mode", "remove-background", "-o", "cut.jpg"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cut.jpg").and(predicate::str::contains("PNG or WebP")));
    assert!(!sb.path("cut.jpg").exists());
}

#[test]
fn upscale_returns_the_new_size_and_checks_each_tools_limits() {
    let server = stand_in(&[]);
    let sb = sandbox_with(64, 64);
    for (upscaler, id) in [
        ("fast", "us.stability.stable-fast-upscale-v1:0"),
        (
            "conservative",
            "us.stability.stable-conservative-upscale-v1:0",
        ),
        ("creative", "us.stability.stable-creative-upscale-v1:0"),
    ] {
        let out = edit(&sb, &server)
            .args([
                "in.png",
                "--mode",
                "upscale",
                "--upscaler",
                upscaler,
                "-p",
                "sharp",
            ])
            .args(["-o", &format!("{upscaler}.png"), "--json"])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(json_lines(&out)[0]["model"], id);
        assert_eq!(
            load_rgb(&sb.path(&format!("{upscaler}.png"))).dimensions(),
            (256, 256),
            "{upscaler}: the result is the new size, not composited"
        );
    }
    // the fast upscaler takes at most 1536 px a side, checked before any call
    let server = stand_in(&["throttle=100"]);
    let big = sandbox_with(1600, 100);
    edit(&big, &server)
        .args(["in.png", "--mode", "upscale", "-o", "u.png"])
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("us.stability.stable-fast-upscale-v1:0")
                .and(predicate::str::contains("1600x100"))
                .and(predicate::str::contains("1536"))
                .and(predicate::str::contains("retry").not()),
        );
    edit(&sb, &server)
        .args([
            "in.png",
            "--mode",
            "upscale",
            "--upscaler",
            "creative",
            "-p",
            "x",
        ])
        .args(["--creativity", "0.7", "-o", "c.png"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(
            "--creativity must be 0.1..0.5, got 0.7",
        ));
}

/// The TUI's mode cycle offers recolor (with its select prompt) and upscale (with its upscaler),
/// run against the emulator in tmux.
#[test]
fn tui_recolor_and_upscale_in_tmux() {
    use std::time::Duration;
    let server = stand_in(&[]);
    let Some((dir, input, tmux)) = bedrock_tui_in_tmux("bedrock", &server) else {
        return;
    };
    // Tab: erase, outpaint, precise-outpaint, recolor
    for _ in 0..4 {
        tmux.send(&["Tab"]);
    }
    tmux.wait_for("recolor (Tab)", Duration::from_secs(10));
    tmux.wait_for("Select (j)", Duration::from_secs(10));
    tmux.send(&["j"]);
    tmux.text("the sky");
    tmux.send(&["Enter"]);
    tmux.send(&["p"]);
    tmux.text("bright red");
    tmux.send(&["Enter"]);
    tmux.wait_for("bright red", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1 result ready", Duration::from_secs(60));
    // Tab: upscale with the fast upscaler
    tmux.send(&["Tab"]);
    tmux.wait_for("upscale fast (Tab)", Duration::from_secs(10));
    tmux.wait_for("fast upscaler", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1 result ready", Duration::from_secs(60));
    tmux.send(&["q"]);

    let work = dir.path().join("data/work");
    let mut results: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.path())
        .collect();
    results.sort();
    let sizes: Vec<(u32, u32)> = results
        .iter()
        .map(|p| image::image_dimensions(p).unwrap())
        .collect();
    let (w, h) = image::image_dimensions(&input).unwrap();
    assert!(
        sizes.contains(&(w, h)),
        "the recolour keeps the size: {sizes:?}"
    );
    assert!(
        sizes.contains(&(w * 4, h * 4)),
        "the upscale is the new size: {sizes:?}"
    );
}

/// Esc in the TUI stops a bedrock run at once while Bedrock has not answered (the stand-in holds
/// every answer for 20 s): the call is raced with the cancel token, not checked after it.
#[test]
fn tui_esc_cancels_a_bedrock_call_at_once() {
    use std::time::{Duration, Instant};
    let server = stand_in(&["delay-ms=20000"]);
    let Some((_dir, _input, tmux)) = bedrock_tui_in_tmux("cancel", &server) else {
        return;
    };
    tmux.send(&["i"]); // the whole image is the selection
    tmux.send(&["p"]);
    tmux.text("green grass");
    tmux.send(&["Enter"]);
    tmux.wait_for("green grass", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("running", Duration::from_secs(10));
    // the point of the test: a call in flight that the stand-in holds unanswered
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    tmux.send(&["Escape"]);
    // the stand-in answers after 20 s: 10 s tells a dropped call from an answered one on any
    // machine (a tighter bound would only measure its load)
    let screen = tmux.wait_for("cancelled", Duration::from_secs(10));
    let _ = t;
    assert!(!screen.contains("result ready"), "{screen}");
    tmux.send(&["q"]);
}

/// Bedrock out of reach: the error names the endpoint it tried (here the override that points
/// at a closed port), whole, and the exit code is the engine's.
#[test]
fn an_unreachable_bedrock_is_named_by_its_endpoint() {
    let sb = sandbox_with(64, 64);
    // a port nobody listens on: bound, then closed
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut c = sb.cmd();
    c.envs(crate::common::bedrock_client_env(&sb, &url))
        .env("IMGEDIT_BEDROCK_RETRY_BASE_MS", "1")
        .args([
            "edit",
            "in.png",
            "--engine",
            "bedrock",
            "--rect",
            "8,8,16,16",
            "-p",
            "a cat",
            "-o",
            "out.png",
        ])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(format!(
            "cannot reach Bedrock at {url}"
        )));
    assert!(!sb.path("out.png").exists());
}
