//! `imgedit edit --engine api` (and the TUI) against a stand-in of the serverless editor's
//! original Python Lambda behind API Gateway, on 127.0.0.1. The stand-in answers as the original
//! does (contracts.md section 1): no seeds and no `model_id`, always 2 images whatever was asked,
//! `request_id` in every 200 and 500, every Bedrock error a 500 with botocore's text (its
//! `precise-outpaint` copied into Titan's `taskType` included), and API Gateway's
//! `x-amzn-RequestId` header and `{"message": "Unauthorized"}` 401.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use image::{DynamicImage, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::common::*;

const TITAN: &str = "amazon.titan-image-generator-v2:0";
const THROTTLED: &str = "An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests, please wait before trying again.";
const BLOCKED: &str = "An error occurred (ValidationException) when calling the InvokeModel operation: This request has been blocked by our content filters. Our filters automatically flagged this prompt because it may conflict with our AUP or AWS Responsible AI Policy.";
const TASK_TYPE: &str = "An error occurred (ValidationException) when calling the InvokeModel operation: Malformed input request: #/taskType: precise-outpaint is not a valid enum value, please reformat your input and try again.";

/// One item of the stand-in's request log (the original's DynamoDB table).
#[derive(Debug, Clone)]
pub struct LogItem {
    pub id: String,
    pub success: bool,
    pub error_message: Option<String>,
}

/// What the stand-in was sent and what it is told to do.
#[derive(Default)]
pub struct Script {
    /// Request bodies received, without the images.
    pub requests: Vec<Value>,
    pub log: Vec<LogItem>,
    /// `x-amzn-RequestId` of every answer, in order.
    pub gateway_ids: Vec<String>,
    /// Answer the next this many calls with a throttled 500 (botocore gave up after 5 tries).
    pub throttle: usize,
    /// Throttle every call after the first this many.
    pub throttle_after: Option<usize>,
    /// Answer every call after the first this many with a 200 that cannot be read.
    pub broken_after: Option<usize>,
    /// Answer every call as Bedrock's content filter does (a 500 ValidationException).
    pub blocked: bool,
    /// Images in the next answers, as moderation leaves them: None = the usual 2, Some(None) =
    /// `"images": null`.
    pub images: Option<Option<usize>>,
}

/// The stand-in, served on a thread of its own until dropped.
pub struct Original {
    pub url: String,
    pub script: Arc<Mutex<Script>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Original {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Original {
    pub fn start() -> Original {
        let script = Arc::new(Mutex::new(Script::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = std::sync::mpsc::channel();
        let (s, st) = (script.clone(), stop.clone());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(listener.local_addr().unwrap()).unwrap();
                let app = axum::Router::new()
                    .route("/image-edit", axum::routing::post(handle))
                    .layer(DefaultBodyLimit::max(7 * 1024 * 1024))
                    .with_state(s);
                let stopped = async move {
                    while !st.load(Ordering::Relaxed) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                };
                axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
                    .unwrap();
            });
        });
        let addr = rx.recv().unwrap();
        Original {
            url: format!("http://{addr}/image-edit"),
            script,
            stop,
        }
    }

    pub fn requests(&self) -> Vec<Value> {
        self.script.lock().unwrap().requests.clone()
    }

    pub fn log(&self) -> Vec<LogItem> {
        self.script.lock().unwrap().log.clone()
    }

    pub fn gateway_ids(&self) -> Vec<String> {
        self.script.lock().unwrap().gateway_ids.clone()
    }

    pub fn set(&self, f: impl FnOnce(&mut Script)) {
        f(&mut self.script.lock().unwrap());
    }
}

fn answer(status: StatusCode, body: Value, gateway_id: &str) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    let h = r.headers_mut();
    h.insert("x-amzn-RequestId", gateway_id.parse().unwrap());
    h.insert("Access-Control-Allow-Origin", "*".parse().unwrap());
    h.insert(
        "Access-Control-Allow-Methods",
        "OPTIONS,POST,GET".parse().unwrap(),
    );
    r
}

fn b64_decode(s: &str) -> Option<Vec<u8>> {
    let data = match s.find(";base64,") {
        Some(i) => &s[i + 8..],
        None => s,
    };
    base64::engine::general_purpose::STANDARD.decode(data).ok()
}

/// The original's handler: API Gateway's authorizer, then the Lambda.
async fn handle(
    State(script): State<Arc<Mutex<Script>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let gateway_id = uuid::Uuid::new_v4().to_string();
    script.lock().unwrap().gateway_ids.push(gateway_id.clone());
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if token.is_empty() || token == "expired" {
        return answer(
            StatusCode::UNAUTHORIZED,
            json!({"message": "Unauthorized"}),
            &gateway_id,
        );
    }
    let bad = |e: &str| answer(StatusCode::BAD_REQUEST, json!({"error": e}), &gateway_id);
    let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
        return bad("Invalid JSON in request body");
    };
    let (Some(_text), Some(mode)) = (
        v.pointer("/prompt/text").and_then(Value::as_str),
        v.pointer("/prompt/mode").and_then(Value::as_str),
    ) else {
        return bad("Missing required field: prompt");
    };
    let mode = mode.to_string();
    let Some(image) = v
        .get("base_image")
        .and_then(Value::as_str)
        .and_then(b64_decode)
    else {
        return bad("Missing required field: base_image");
    };
    let Some(mask) = v.get("mask").and_then(Value::as_str).and_then(b64_decode) else {
        return bad("Missing required field: mask");
    };
    if v.get("model").and_then(Value::as_str).unwrap_or("titan") != "titan" {
        return bad("Unsupported model");
    }
    for key in ["base_image", "mask"] {
        v[key] = json!("<image>");
    }
    let id = uuid::Uuid::new_v4().to_string();
    let mut s = script.lock().unwrap();
    s.requests.push(v);
    let call = s.requests.len();
    let throttled = s.throttle > 0 || s.throttle_after.is_some_and(|n| call > n);
    s.throttle = s.throttle.saturating_sub(1);
    // Titan's request: the mode is copied into taskType as it came
    let failure = if throttled {
        Some(THROTTLED)
    } else if s.blocked {
        Some(BLOCKED)
    } else if !matches!(mode.as_str(), "INPAINTING" | "OUTPAINTING") {
        Some(TASK_TYPE)
    } else {
        None
    };
    if let Some(error) = failure {
        s.log.push(LogItem {
            id: id.clone(),
            success: false,
            error_message: Some(error.to_string()),
        });
        return answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": error, "model_attempted": TITAN, "request_id": id}),
            &gateway_id,
        );
    }
    // The original ignores seed, num_images, cfg_scale, quality and negative_text: a random
    // seed of its own, always 2 images.
    if s.broken_after.is_some_and(|n| call > n) {
        return answer(
            StatusCode::OK,
            json!({"images": "cut", "request_id": id}),
            &gateway_id,
        );
    }
    let seed: u32 = rand::random::<u32>() % 100_001;
    let count = s.images.unwrap_or(Some(2));
    s.log.push(LogItem {
        id: id.clone(),
        success: true,
        error_message: None,
    });
    drop(s);
    let source = image::load_from_memory(&image).unwrap().to_rgb8();
    let mask = image::load_from_memory(&mask).unwrap().to_luma8();
    let images: Option<Vec<String>> = count.map(|n| {
        (0..n)
            .map(|i| {
                let colour = seed
                    .wrapping_mul(2_654_435_761)
                    .wrapping_add(i as u32 * 977);
                let fill = Rgb([colour as u8, (colour >> 8) as u8, (colour >> 16) as u8]);
                let out = RgbImage::from_fn(source.width(), source.height(), |x, y| {
                    // Titan's polarity: black = inside; inpainting changes it, outpainting keeps it
                    let inside = mask.get_pixel(x, y).0[0] < 128;
                    if inside == (mode == "INPAINTING") {
                        fill
                    } else {
                        *source.get_pixel(x, y)
                    }
                });
                let mut buf = std::io::Cursor::new(Vec::new());
                DynamicImage::ImageRgb8(out)
                    .write_to(&mut buf, image::ImageFormat::Png)
                    .unwrap();
                base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
            })
            .collect()
    });
    answer(
        StatusCode::OK,
        json!({"images": images, "model_used": "titan", "request_id": id, "generation_time_ms": 2543}),
        &gateway_id,
    )
}

/// `imgedit edit --engine api` against `url` with a token and short retry waits.
fn edit(sb: &Sandbox, url: &str) -> assert_cmd::Command {
    let mut c = sb.cmd();
    c.env("IMGEDIT_API_RETRY_BASE_MS", "10").args([
        "edit",
        "--engine",
        "api",
        "--api-url",
        url,
        "--token",
        "t",
    ]);
    c
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

fn json_lines(a: &assert_cmd::assert::Assert) -> Vec<Value> {
    String::from_utf8_lossy(&a.get_output().stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn sandbox_with_photo() -> Sandbox {
    let sb = Sandbox::new();
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(512, 384)));
    sb
}

#[test]
fn seeds_the_original_ignores_are_reported_as_unconfirmed() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    let run = |out: &str| {
        let a = edit(&sb, &api.url)
            .args([
                "in.png",
                "--rect",
                "100,100,64,64",
                "--seed",
                "42",
                "-n",
                "2",
            ])
            .args(["-o", out, "--json"])
            .assert()
            .success();
        json_lines(&a)
    };
    let first = run("a.png");
    let second = run("b.png");
    assert_eq!(first.len(), 2);
    for line in first.iter().chain(&second) {
        assert_eq!(line["seed"], Value::Null, "{line}");
        let note = line["note"].as_str().unwrap();
        assert!(note.contains("did not confirm a seed"), "{note}");
        assert!(note.contains("will not repeat"), "{note}");
    }
    // the stand-in drew its own seeds, as the original does: the same --seed gave other pixels
    assert_ne!(load_rgb(&sb.path("a-1.png")), load_rgb(&sb.path("b-1.png")));
    // the seed was sent all the same
    assert_eq!(api.requests()[0]["seed"], 42);
    // outside the selection nothing changed
    let src = textured(512, 384);
    let out = load_rgb(&sb.path("a-1.png"));
    let inside = |x: u32, y: u32| (100..164).contains(&x) && (100..164).contains(&y);
    assert!(
        out.enumerate_pixels()
            .all(|(x, y, p)| inside(x, y) || p == src.get_pixel(x, y))
    );
    // the human message says so as well
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "--seed",
            "42",
            "-n",
            "2",
        ])
        .args(["-o", "c.png"])
        .assert()
        .success();
    let err = stderr(&a);
    assert!(err.contains("seed not confirmed by the API"), "{err}");
    assert!(!err.contains("seed 42"), "{err}");
    assert!(err.contains("results will not repeat"), "{err}");
}

#[test]
fn an_api_that_returns_seeds_still_reports_them() {
    let sb = sandbox_with_photo();
    let s = crate::common::serve(&sb, &["--no-auth", "--no-log"], &[]);
    let a = edit(&sb, &crate::common::edit_url(&s))
        .args(["in.png", "--model", "local", "--rect", "10,10,20,20"])
        .args(["--seed", "5", "-n", "2", "-o", "s.png", "--json"])
        .assert()
        .success();
    let lines = json_lines(&a);
    assert_eq!(lines[0]["seed"], 5);
    assert_eq!(lines[1]["seed"], 6);
    assert_eq!(lines[0]["note"], Value::Null);
    // imgedit serve's request id is there too, and no warning about ignored options
    assert_eq!(lines[0]["request_id"].as_str().unwrap().len(), 36);
    assert!(!stderr(&a).contains("warning"), "{}", stderr(&a));
}

#[test]
fn options_the_original_ignores_are_named_once_per_run() {
    let sb = sandbox_with_photo();
    sb.save("in2.png", &DynamicImage::ImageRgb8(textured(512, 384)));
    let api = Original::start();
    let a = edit(&sb, &api.url)
        .args(["in.png", "in2.png", "--rect", "100,100,64,64", "-n", "2"])
        .args([
            "--quality",
            "standard",
            "--cfg-scale",
            "3",
            "--negative",
            "blurry",
        ])
        .assert()
        .success();
    let err = stderr(&a);
    assert_eq!(err.matches("warning: this API ignores").count(), 1, "{err}");
    for named in [
        "the negative prompt (it sends none)",
        "cfg scale 3 (it always uses 8.0)",
        "quality standard (it always uses premium)",
        "and the seed (it draws its own, so results will not repeat)",
        "it answers like the original /image-edit Lambda",
    ] {
        assert!(err.contains(named), "{named}: {err}");
    }
    // both requests carried the options: it is the API that drops them
    let reqs = api.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["quality"], "standard");
    assert_eq!(reqs[0]["prompt"]["negative_text"], "blurry");
    // premium and 8.0 are what it does anyway: not named
    let a = edit(&sb, &api.url)
        .args(["in.png", "--rect", "100,100,64,64", "-n", "2", "--force"])
        .args(["--quality", "premium", "--cfg-scale", "8"])
        .args(["-o", "p.png"])
        .assert()
        .success();
    let err = stderr(&a);
    assert!(
        err.contains("warning: this API ignores the seed (it draws"),
        "{err}"
    );
    assert!(
        !err.contains("quality") && !err.contains("cfg scale"),
        "{err}"
    );
}

#[test]
fn three_images_take_a_second_call_and_say_why() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "3",
            "--seed",
            "7",
        ])
        .args(["-o", "out.png", "--json"])
        .assert()
        .success();
    let err = stderr(&a);
    assert!(
        err.contains("the API returned 2 of the 3 images asked for"),
        "{err}"
    );
    assert!(err.contains("at most 2 per call"), "{err}");
    assert!(err.contains("billed for, 2 images"), "{err}");
    assert!(!err.contains("output filter"), "{err}");
    let reqs = api.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(reqs[0]["num_images"], 3);
    assert_eq!(
        (reqs[1]["num_images"].clone(), reqs[1]["seed"].clone()),
        (json!(1), json!(9))
    );
    for n in 1..=3 {
        assert!(sb.path(&format!("out-{n}.png")).exists());
    }
    // each image names the call that made it
    let log = api.log();
    let lines = json_lines(&a);
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["request_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [&log[0].id, &log[0].id, &log[1].id].map(String::as_str)
    );
    let gw = api.gateway_ids();
    assert_eq!(lines[2]["gateway_request_id"], gw[1]);
    // -n 1: one call, its second image dropped, and said so once
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "1",
            "-o",
            "one.png",
        ])
        .assert()
        .success();
    assert_eq!(api.requests().len(), 3);
    assert!(
        stderr(&a).contains("1 of the 2 made for this edit is dropped"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn images_the_original_drops_are_withheld_not_blamed_on_the_count() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    // moderation dropped one of its 2
    api.set(|s| s.images = Some(Some(1)));
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "2",
            "-o",
            "m.png",
        ])
        .assert()
        .code(4);
    let err = stderr(&a);
    assert!(err.contains("1 of 2 images were withheld"), "{err}");
    assert!(
        err.contains("returned 1 image where it always makes 2"),
        "{err}"
    );
    assert!(sb.path("m-1.png").exists() && !sb.path("m-2.png").exists());
    assert_eq!(
        api.requests().len(),
        1,
        "no further call for a withheld image"
    );
    // images: null
    api.set(|s| s.images = Some(None));
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "1",
            "-o",
            "null.png",
        ])
        .assert()
        .code(4);
    assert!(stderr(&a).contains("returned 0 images"), "{}", stderr(&a));
    assert!(!sb.path("null.png").exists());
    // a further call that fails keeps what the first delivered, and says which call failed
    api.set(|s| {
        s.images = None;
        s.throttle_after = Some(s.requests.len() + 1);
    });
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "3",
            "-o",
            "f.png",
        ])
        .assert()
        .code(4);
    let err = stderr(&a);
    assert!(err.contains("1 of 3 images were withheld"), "{err}");
    assert!(err.contains("the further call for them failed"), "{err}");
    let last = api.log().last().unwrap().id.clone();
    assert!(err.contains(&format!("request id {last}")), "{err}");
    assert!(sb.path("f-1.png").exists() && sb.path("f-2.png").exists());
    assert!(!sb.path("f-3.png").exists());
    // a further answer that cannot be read: the same
    api.set(|s| {
        s.throttle_after = None;
        s.broken_after = Some(s.requests.len() + 1);
    });
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--rect",
            "100,100,64,64",
            "-n",
            "4",
            "-o",
            "b.png",
        ])
        .assert()
        .code(4);
    let err = stderr(&a);
    assert!(err.contains("2 of 4 images were withheld"), "{err}");
    assert!(err.contains("images\" that is not a list"), "{err}");
    assert!(sb.path("b-2.png").exists() && !sb.path("b-3.png").exists());
}

#[test]
fn precise_outpaint_against_the_original_says_what_to_do() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    let a = edit(&sb, &api.url)
        .args([
            "in.png",
            "--mode",
            "precise-outpaint",
            "--extend",
            "0,0,64,0",
        ])
        .args(["-p", "more sky", "-o", "wide.png"])
        .assert()
        .code(3);
    let err = stderr(&a);
    assert!(err.contains("ValidationException"), "{err}");
    assert!(err.contains("cannot do precise-outpaint"), "{err}");
    assert!(err.contains("--mode outpaint"), "{err}");
    assert!(err.contains("deploy imgedit serve"), "{err}");
    let log = api.log();
    assert_eq!(log.len(), 1, "a validation error is not retried");
    assert!(err.contains(&format!("request id {}", log[0].id)), "{err}");
    assert!(!sb.path("wide.png").exists());
    // the advice works
    edit(&sb, &api.url)
        .args(["in.png", "--mode", "outpaint", "--extend", "0,0,64,0"])
        .args(["-p", "more sky", "-o", "wide.png"])
        .assert()
        .success();
    assert_eq!(load_rgb(&sb.path("wide.png")).dimensions(), (576, 384));
}

#[test]
fn errors_carry_the_request_id_of_the_log_item_and_api_gateways() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    api.set(|s| s.throttle = 100);
    let a = edit(&sb, &api.url)
        .env("IMGEDIT_API_RETRY_BASE_MS", "1")
        .args(["in.png", "--rect", "100,100,64,64", "-o", "t.png"])
        .assert()
        .code(4);
    let err = stderr(&a);
    let log = api.log();
    let gw = api.gateway_ids();
    let last = format!(
        "[request id {}, API Gateway request id {}]",
        log.last().unwrap().id,
        gw.last().unwrap()
    );
    assert!(err.contains(&last), "{last}\n{err}");
    assert!(!log.last().unwrap().success);
    let logged = log.last().unwrap().error_message.clone().unwrap();
    assert!(logged.contains("ThrottlingException"), "{logged}");
    // each retry line names its own attempt's ids
    assert!(err.contains(&format!("request id {}", log[0].id)), "{err}");
    // API Gateway's own 401 has only its id; still exit 5
    let a = sb
        .cmd()
        .args([
            "edit",
            "--engine",
            "api",
            "--api-url",
            &api.url,
            "--token",
            "expired",
        ])
        .args(["in.png", "--rect", "100,100,64,64", "-o", "u.png"])
        .assert()
        .code(5);
    let err = stderr(&a);
    let gw = api.gateway_ids();
    assert!(
        err.contains(&format!("[API Gateway request id {}]", gw.last().unwrap())),
        "{err}"
    );
}

#[test]
fn throttled_500s_are_retried_once_after_a_longer_wait() {
    let sb = sandbox_with_photo();
    let api = Original::start();
    // one throttled 500, then success: one retry, after about 10x the usual base (20 ms)
    api.set(|s| s.throttle = 1);
    let t = Instant::now();
    let a = edit(&sb, &api.url)
        .env("IMGEDIT_API_RETRY_BASE_MS", "20")
        .args(["in.png", "--rect", "100,100,64,64", "-o", "r.png"])
        .assert()
        .success();
    assert!(
        t.elapsed() >= Duration::from_millis(100),
        "{:?}",
        t.elapsed()
    );
    let err = stderr(&a);
    assert!(err.contains("retry 1 of 1"), "{err}");
    assert!(err.contains("already tried Bedrock up to 5 times"), "{err}");
    assert!(err.contains("logged each as a failed request"), "{err}");
    assert_eq!(api.requests().len(), 2);
    // always throttled: two calls in all, although four attempts are allowed for other answers
    api.set(|s| s.throttle = 100);
    let a = edit(&sb, &api.url)
        .env("IMGEDIT_API_MAX_ATTEMPTS", "4")
        .args(["in.png", "--rect", "100,100,64,64", "-o", "g.png"])
        .assert()
        .code(4);
    let err = stderr(&a);
    assert_eq!(api.requests().len(), 4, "{err}");
    assert!(err.contains("gave up after 2 attempts"), "{err}");
    assert!(err.contains("retries such answers at most once"), "{err}");
    assert!(!sb.path("g.png").exists());
    // IMGEDIT_API_MAX_ATTEMPTS=1 still means no retry at all
    let a = edit(&sb, &api.url)
        .env("IMGEDIT_API_MAX_ATTEMPTS", "1")
        .args(["in.png", "--rect", "100,100,64,64", "-o", "g.png"])
        .assert()
        .code(4);
    assert_eq!(api.requests().len(), 5, "{}", stderr(&a));
}

#[test]
fn the_tui_shows_unconfirmed_seeds_request_ids_and_the_warning() {
    let api = Original::start();
    let dir = tempfile::tempdir().unwrap();
    let mut runner = crate::tui::ApiRunner::new(&api.url, dir.path());
    let mut app = crate::tui::with_rect();
    app.work_dir = Some(dir.path().join("work"));
    app.params.engine = imgedit::edit::engine::EngineKind::Api;
    app.params.model = None;
    app.params.num_images = 2;
    let mut run = |app: &mut imgedit::tui::app::App| runner.run(app);
    run(&mut app);
    let log = api.log();
    assert_eq!(log.len(), 1);
    assert!(dir.path().join("work/result-1.png").exists());
    let status = app.status.text.clone();
    assert!(status.starts_with("warning: this API ignores "), "{status}");
    assert!(status.contains("; 2 results ready"), "{status}");
    let result = app.selected_result().unwrap();
    assert_eq!(result.seed, None);
    assert_eq!(result.request_id.as_deref(), Some(log[0].id.as_str()));
    let screen = crate::tui::screen(&app);
    assert!(screen.contains("seed not confirmed"), "{screen}");
    assert!(
        screen.contains(&format!("request id {}", log[0].id)),
        "{screen}"
    );
    // a failed job: the error on the status line names the log item, ahead of the long text
    api.set(|s| s.blocked = true);
    run(&mut app);
    let last = api.log().last().unwrap().id.clone();
    assert!(app.status.error, "{}", app.status.text);
    assert!(
        app.status
            .text
            .starts_with(&format!("[request id {last}, API Gateway request id ")),
        "{}",
        app.status.text
    );
    assert!(
        app.status.text.contains("content filters"),
        "{}",
        app.status.text
    );
    let screen = crate::tui::screen(&app);
    assert!(screen.contains(&format!("[request id {last}")), "{screen}");
}
