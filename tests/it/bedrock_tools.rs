//! The rest of the Stability catalogue (sketch, structure, style guide, style transfer), the
//! price of a run, and `imgedit models`: through the real AWS SDK (aws-sdk-bedrockruntime and
//! aws-sdk-bedrock) against `imgedit serve --bedrock` on 127.0.0.1, whose bodies are checked
//! against the documented ones (tests/fixtures/bedrock).

use assert_cmd::Command;
use image::{DynamicImage, RgbImage};
use predicates::prelude::*;
use serde_json::Value;

use crate::common::*;

use crate::bedrock::{bedrock_tui_in_tmux, stand_in};

/// An imgedit command pointed at the stand-in for both Bedrock endpoints, with throwaway
/// credentials.
fn cmd(sb: &Sandbox, server: &Server) -> Command {
    let mut c = sb.cmd();
    c.envs(bedrock_client_env(sb, &server.url))
        .env("AWS_ENDPOINT_URL_BEDROCK", &server.url)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_BEARER_TOKEN_BEDROCK")
        .env("IMGEDIT_BEDROCK_RETRY_BASE_MS", "10");
    c
}

fn edit(sb: &Sandbox, server: &Server) -> Command {
    let mut c = cmd(sb, server);
    c.args(["edit", "--engine", "bedrock"]);
    c
}

fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(96, 96)));
    sb.save(
        "style.png",
        &DynamicImage::ImageRgb8(RgbImage::from_pixel(80, 64, image::Rgb([250, 20, 40]))),
    );
    sb
}

fn json_line(out: &[u8]) -> Value {
    let text = String::from_utf8_lossy(out);
    serde_json::from_str(text.lines().next().unwrap()).unwrap()
}

#[test]
fn sketch_structure_and_style_guide_write_the_new_picture_as_made() {
    let server = stand_in(&[]);
    let sb = sandbox();
    let src = load_rgb(&sb.path("in.png"));
    for (mode, id, extra) in [
        (
            "sketch",
            "us.stability.stable-image-control-sketch-v1:0",
            vec!["--control-strength", "0.4"],
        ),
        (
            "structure",
            "us.stability.stable-image-control-structure-v1:0",
            vec![],
        ),
    ] {
        let out = edit(&sb, &server)
            .args(["in.png", "--mode", mode, "-p", "a castle", "--json"])
            .args(&extra)
            .args(["-o", &format!("{mode}.png")])
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        assert_eq!(json_line(&out)["model"], id);
        // the stand-in redraws the whole picture (inverted): every pixel is the tool's, none
        // composited back from the source
        let got = load_rgb(&sb.path(&format!("{mode}.png")));
        assert_eq!(got.dimensions(), (96, 96));
        for (x, y, p) in src.enumerate_pixels() {
            let q = got.get_pixel(x, y).0;
            assert_eq!(q, p.0.map(|c| 255 - c), "{mode}: pixel {x},{y}");
        }
    }
    // the guide's picture takes the aspect ratio asked for: a new size, written as made
    edit(&sb, &server)
        .args(["in.png", "--mode", "style-guide", "-p", "a city"])
        .args(["--aspect-ratio", "16:9", "--fidelity", "0.8", "-o", "g.png"])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("g.png")).dimensions(), (96, 54));
}

#[test]
fn style_transfer_sends_both_images_and_writes_the_restyled_picture() {
    let server = stand_in(&[]);
    let sb = sandbox();
    let out = edit(&sb, &server)
        .args([
            "in.png",
            "--mode",
            "style-transfer",
            "--style-image",
            "style.png",
        ])
        .args(["--style-strength", "0.5", "--composition-fidelity", "0.9"])
        .args(["--change-strength", "0.1", "-o", "t.png", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(
        json_line(&out)["model"],
        "us.stability.stable-style-transfer-v1:0"
    );
    // the stand-in moves every pixel halfway to the reference's colour: it got both images
    let src = load_rgb(&sb.path("in.png"));
    let got = load_rgb(&sb.path("t.png"));
    for (x, y, p) in src.enumerate_pixels() {
        let want = [250u16, 20, 40];
        let q = got.get_pixel(x, y).0;
        for c in 0..3 {
            assert_eq!(
                u16::from(q[c]),
                (u16::from(p.0[c]) + want[c]).div_ceil(2),
                "pixel {x},{y}"
            );
        }
    }
}

#[test]
fn the_new_tools_refuse_bad_settings_before_any_call() {
    // every call would be throttled: a refusal that reaches the server would say so
    let server = stand_in(&["throttle=100"]);
    let sb = sandbox();
    sb.save(
        "wide.png",
        &DynamicImage::ImageRgb8(RgbImage::new(300, 100)),
    );
    let refused = |args: &[&str], code: i32, words: &[&str]| {
        let a = edit(&sb, &server)
            .args(args)
            .args(["-o", "x.png"])
            .assert()
            .code(code);
        let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
        for w in words {
            assert!(err.contains(w), "{args:?}: {w:?} not in {err}");
        }
        assert!(
            !err.contains("Throttl"),
            "{args:?} reached the server: {err}"
        );
    };
    refused(
        &[
            "in.png",
            "--mode",
            "sketch",
            "-p",
            "x",
            "--control-strength",
            "1.5",
        ],
        3,
        &["--control-strength must be 0..1, got 1.5"],
    );
    refused(
        &[
            "in.png",
            "--mode",
            "style-transfer",
            "--style-image",
            "style.png",
            "--change-strength",
            "0.05",
        ],
        3,
        &["--change-strength must be 0.1..1, got 0.05"],
    );
    refused(
        &["in.png", "--mode", "style-transfer"],
        2,
        &["--style-image"],
    );
    refused(
        &[
            "in.png",
            "--mode",
            "style-transfer",
            "--style-image",
            "wide.png",
        ],
        3,
        &["--style-image", "300x100"],
    );
    refused(
        &[
            "in.png",
            "--mode",
            "style-transfer",
            "--style-image",
            "missing.png",
        ],
        3,
        &["missing.png"],
    );
    refused(
        &[
            "in.png",
            "--mode",
            "style-guide",
            "-p",
            "x",
            "--aspect-ratio",
            "7:5",
        ],
        3,
        &["--aspect-ratio", "7:5", "16:9"],
    );
    refused(
        &["in.png", "--mode", "sketch", "-p", "x", "--fidelity", "0.5"],
        2,
        &["--fidelity"],
    );
    refused(&["in.png", "--mode", "structure"], 3, &["prompt"]);
    assert!(!sb.path("x.png").exists());
}

#[test]
fn dry_run_and_batch_estimate_count_each_image_at_the_tools_price() {
    let sb = sandbox();
    let out = sb
        .cmd()
        .args(["edit", "in.png", "--engine", "bedrock", "--rect", "8,8,8,8"])
        .args(["-p", "ivy", "-n", "2", "--dry-run"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("about $0.14 ($0.07 an image)"), "{text}");
    let out = sb
        .cmd()
        .args([
            "edit",
            "in.png",
            "--engine",
            "bedrock",
            "--mode",
            "style-transfer",
        ])
        .args(["--style-image", "style.png", "--dry-run", "--json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert!((v["engine_plan"]["estimated_price_usd"].as_f64().unwrap() - 0.08).abs() < 1e-9);
    let req = &v["engine_plan"]["requests"][0];
    assert!(req.get("init_image").is_some() && req.get("style_image").is_some());
    // a batch: 3 items of 2 images each at Inpaint's $0.07
    sb.save("b.png", &DynamicImage::ImageRgb8(textured(96, 96)));
    sb.save("c.png", &DynamicImage::ImageRgb8(textured(96, 96)));
    let out = sb
        .cmd()
        .args(["edit", "in.png", "b.png", "c.png", "--engine", "bedrock"])
        .args([
            "--rect",
            "8,8,8,8",
            "-p",
            "ivy",
            "-n",
            "2",
            "--output-dir",
            "out",
        ])
        .args(["--dry-run"])
        .assert()
        .success()
        .get_output()
        .clone();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("6 images, about $0.42"), "{all}");
}

fn models(sb: &Sandbox, server: &Server, json: bool) -> std::process::Output {
    let mut c = cmd(sb, server);
    c.arg("models");
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

/// `imgedit models --json`'s report, which must exit 0.
fn models_json(sb: &Sandbox, server: &Server) -> Value {
    let out = models(sb, server, true);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn models_reports_every_tool_ready_by_default() {
    let server = stand_in(&[]);
    let sb = Sandbox::new();
    let v = models_json(&sb, &server);
    assert_eq!(v["region"], "us-east-1");
    let tools = v["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 13);
    assert!(tools.iter().all(|t| t["state"] == "ready"), "{v}");
    let st = tools
        .iter()
        .find(|t| t["mode"] == "style-transfer")
        .unwrap();
    assert_eq!(st["id"], "us.stability.stable-style-transfer-v1:0");
    assert_eq!(st["price_per_image_usd"], 0.08);
    let text = String::from_utf8_lossy(&models(&sb, &server, false).stdout).into_owned();
    assert!(
        text.contains("13 of 13 ready") && text.contains("$0.60"),
        "{text}"
    );
    assert!(!text.contains("What to do"), "{text}");
}

#[test]
fn models_tells_agreement_iam_region_and_legacy_apart() {
    let server = stand_in(&[
        "agreement=stability.stable-image-inpaint-v1:0",
        "unauthorized=us.stability.stable-image-erase-object-v1:0",
        "not-offered=stability.stable-fast-upscale-v1:0",
        "legacy=us.stability.stable-outpaint-v1:0",
    ]);
    let sb = Sandbox::new();
    let v = models_json(&sb, &server);
    let state = |id: &str| -> (String, String) {
        let t = v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            .unwrap();
        (
            t["state"].as_str().unwrap().to_string(),
            format!(
                "{}: {}",
                t["words"].as_str().unwrap(),
                t["advice"].as_str().unwrap_or("-")
            ),
        )
    };
    let (s, w) = state("us.stability.stable-image-inpaint-v1:0");
    assert_eq!(s, "agreement_not_accepted");
    assert!(
        w.contains("aws-marketplace:Subscribe") && w.contains("model-catalog"),
        "{w}"
    );
    let (s, w) = state("us.stability.stable-image-erase-object-v1:0");
    assert_eq!(s, "not_authorized");
    assert!(
        w.starts_with("not authorized (IAM: bedrock:InvokeModel"),
        "{w}"
    );
    let (s, w) = state("us.stability.stable-fast-upscale-v1:0");
    assert_eq!(
        (s.as_str(), w.as_str()),
        (
            "not_offered",
            "not offered in us-east-1: use a Region that serves it: us-east-1, us-east-2, us-west-2 (--region)"
        )
    );
    let (s, w) = state("us.stability.stable-outpaint-v1:0");
    assert_eq!(s, "legacy");
    assert!(w.starts_with("legacy, end of life"), "{w}");
    assert_eq!(
        state("us.stability.stable-image-search-replace-v1:0").0,
        "ready"
    );
    // the Region asked is the one the SDK signs for
    let out = cmd(&sb, &server)
        .args(["models", "--region", "us-west-2", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["region"], "us-west-2");
}

#[test]
fn models_exits_non_zero_when_the_control_plane_refuses() {
    let server = stand_in(&["access-denied=1"]);
    let sb = Sandbox::new();
    cmd(&sb, &server)
        .arg("models")
        .assert()
        .code(4)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("bedrock:ListFoundationModels"));
    cmd(&sb, &server)
        .arg("models")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("HOME", sb.path("home"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("no usable AWS credentials"));
}

#[test]
fn an_access_denied_call_suggests_imgedit_models() {
    let server = stand_in(&["agreement=*"]);
    let sb = sandbox();
    edit(&sb, &server)
        .env("IMGEDIT_BEDROCK_ACCESS_WAIT_SECS", "1")
        .args(["in.png", "--rect", "8,8,8,8", "-p", "x", "-o", "d.png"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "imgedit models --region us-east-1",
        ));
    assert!(!sb.path("d.png").exists());
    // and `imgedit models` says why
    let out = models(&sb, &server, false);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("0 of 13 ready") && text.contains("agreement not accepted"),
        "{text}"
    );
    // the advice once, for every tool it is for
    assert_eq!(
        text.matches("aws-marketplace:Subscribe").count(),
        1,
        "{text}"
    );
    assert!(
        text.contains("inpaint; outpaint, precise-outpaint; erase;"),
        "{text}"
    );
}

/// The control plane's answers have the documented shapes: the fixture's bodies (the API
/// reference's Response Syntax) and the stand-in's answers have the same keys, and every value
/// the stand-in gives is one the reference lists.
#[test]
fn the_control_planes_answers_have_the_documented_shapes() {
    let fixture: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/bedrock/control_plane.json"
    )))
    .unwrap();
    let server = stand_in(&["agreement=stability.stable-image-inpaint-v1:0"]);
    let signed = "AWS4-HMAC-SHA256 Credential=AKIDIMGEDITTEST/20261206/us-east-2/bedrock/aws4_request, SignedHeaders=host, Signature=00";
    let get = |path: &str| {
        rt().block_on(send_async(
            &reqwest::Client::new(),
            reqwest::Method::GET,
            &format!("{}{path}", server.url),
            &[("Authorization", signed)],
            Vec::new(),
        ))
    };
    let list = get("/foundation-models");
    assert_eq!(list.status, 200, "{}", short(&list.body));
    let list = list.json();
    let avail = get("/foundation-model-availability/stability.stable-image-inpaint-v1%3A0");
    assert_eq!(avail.status, 200, "{}", short(&avail.body));
    let avail = avail.json();
    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    }
    let doc_list = &fixture["responses"]["ListFoundationModels"];
    assert_eq!(keys(&list), keys(doc_list));
    let doc_summary = &doc_list["modelSummaries"][0];
    let summaries = list["modelSummaries"].as_array().unwrap();
    assert!(summaries.len() >= 13);
    for s in summaries {
        assert_eq!(keys(s), keys(doc_summary), "{s}");
        assert_eq!(
            keys(&s["modelLifecycle"]),
            keys(&doc_summary["modelLifecycle"])
        );
        assert!(
            fixture["values"]["modelLifecycle.status"]
                .as_array()
                .unwrap()
                .contains(&s["modelLifecycle"]["status"])
        );
        // the Region is the one signed for
        assert!(
            s["modelArn"]
                .as_str()
                .unwrap()
                .starts_with("arn:aws:bedrock:us-east-2::foundation-model/")
        );
    }
    let inpaint = summaries
        .iter()
        .find(|s| s["modelId"] == "stability.stable-image-inpaint-v1:0")
        .unwrap();
    assert_eq!(inpaint["providerName"], doc_summary["providerName"]);
    let doc_avail = &fixture["responses"]["GetFoundationModelAvailability"];
    assert_eq!(keys(&avail), keys(doc_avail));
    assert_eq!(
        keys(&avail["agreementAvailability"]),
        keys(&doc_avail["agreementAvailability"])
    );
    for (field, value) in [
        ("authorizationStatus", &avail["authorizationStatus"]),
        ("entitlementAvailability", &avail["entitlementAvailability"]),
        ("regionAvailability", &avail["regionAvailability"]),
        (
            "agreementAvailability.status",
            &avail["agreementAvailability"]["status"],
        ),
    ] {
        assert!(
            fixture["values"][field].as_array().unwrap().contains(value),
            "{field}: {value}"
        );
    }
    assert_eq!(avail["agreementAvailability"]["status"], "NOT_AVAILABLE");
    assert_eq!(avail["modelId"], "stability.stable-image-inpaint-v1:0");
    // the documented bodies are what the shared wire types read (unknown keys are refused)
    use imgedit::wire::bedrock_control as w;
    let l: w::ListFoundationModelsResponse = serde_json::from_value(doc_list.clone()).unwrap();
    assert_eq!(serde_json::to_value(&l).unwrap(), *doc_list);
    let a: w::GetFoundationModelAvailabilityResponse =
        serde_json::from_value(doc_avail.clone()).unwrap();
    assert_eq!(serde_json::to_value(&a).unwrap(), *doc_avail);
    // unsigned requests are refused as Bedrock does
    let unsigned = rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::GET,
        &format!("{}/foundation-models", server.url),
        &[],
        Vec::new(),
    ));
    assert_eq!(unsigned.status, 403);
}

/// The TUI runs a style transfer against the stand-in in tmux: Tab to the mode, the file prompt
/// names the reference, Enter runs, and the result is the restyled picture.
#[test]
fn tui_style_transfer_in_tmux() {
    use std::time::Duration;
    let server = stand_in(&[]);
    let Some((dir, input, tmux)) = bedrock_tui_in_tmux("style", &server) else {
        return;
    };
    let style = dir.path().join("style.png");
    RgbImage::from_pixel(96, 80, image::Rgb([10, 200, 250]))
        .save(&style)
        .unwrap();
    // erase, outpaint, precise, recolor, 3 upscalers, remove-background, sketch, structure,
    // style-guide, style-transfer
    for _ in 0..12 {
        tmux.send(&["Tab"]);
    }
    tmux.wait_for("reference image", Duration::from_secs(10));
    tmux.wait_for("Style  (none: Enter asks)", Duration::from_secs(10));
    tmux.text(&style.display().to_string());
    tmux.send(&["Enter"]);
    tmux.wait_for("Enter runs the style transfer", Duration::from_secs(10));
    tmux.wait_for("Style  style.png", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1 result ready", Duration::from_secs(60));
    tmux.send(&["q"]);
    let work = dir.path().join("data/work");
    let results: Vec<_> = std::fs::read_dir(&work)
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(results.len(), 1, "{results:?}");
    let src = load_rgb(&input);
    let got = load_rgb(&results[0]);
    assert_eq!(got.dimensions(), src.dimensions());
    // every pixel halfway to the reference's colour: the stand-in got both images
    for (x, y) in [(0, 0), (src.width() / 2, src.height() / 3)] {
        let (p, q) = (src.get_pixel(x, y).0, got.get_pixel(x, y).0);
        for (c, want) in [10u16, 200, 250].into_iter().enumerate() {
            assert_eq!(
                u16::from(q[c]),
                (u16::from(p[c]) + want).div_ceil(2),
                "{x},{y}"
            );
        }
    }
}
