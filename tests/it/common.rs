//! Shared fixtures: an isolated imgedit command, generated images, polling with a deadline, and
//! the one harness for `imgedit serve` on 127.0.0.1 with HTTP helpers for its API.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use image::{DynamicImage, GrayImage, Luma, Rgb, RgbImage};
use serde_json::{Value, json};

/// A temporary home for config, data and files, removed on drop.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `imgedit` with config and data directories inside the sandbox and no IMGEDIT_* (nor
    /// DYNAMODB_TABLE_NAME) from outside.
    pub fn cmd(&self) -> Command {
        let mut c = Command::cargo_bin("imgedit").unwrap();
        for (k, _) in std::env::vars() {
            if k.starts_with("IMGEDIT_") || k == "DYNAMODB_TABLE_NAME" {
                c.env_remove(k);
            }
        }
        c.env("IMGEDIT_CONFIG_DIR", self.path("config"))
            .env("IMGEDIT_DATA_DIR", self.path("data"))
            .current_dir(self.dir.path());
        c
    }

    /// Files in the sandbox's top directory, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    pub fn save(&self, name: &str, img: &DynamicImage) -> PathBuf {
        let p = self.path(name);
        img.save(&p).unwrap();
        p
    }
}

/// The MiniStack emulator's URL (`scripts/test` sets IMGEDIT_TEST_MINISTACK), or None (skip)
/// outside CI.
pub fn ministack() -> Option<String> {
    match std::env::var("IMGEDIT_TEST_MINISTACK") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("CI is set but IMGEDIT_TEST_MINISTACK is not: run the suite with scripts/test")
        }
        _ => {
            eprintln!("SKIPPED: emulator test (IMGEDIT_TEST_MINISTACK unset; run scripts/test)");
            None
        }
    }
}

/// A textured RGB test image of any size.
pub fn textured(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        let v = ((x * 7 + y * 13) % 32) as u8 * 6;
        Rgb([v, 255 - v, ((x / 4 + y / 4) % 2 * 200) as u8 + 20])
    })
}

/// A mask with a white rectangle.
pub fn rect_mask(w: u32, h: u32, x0: u32, y0: u32, rw: u32, rh: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let inside = x >= x0 && x < x0 + rw && y >= y0 && y < y0 + rh;
        Luma([if inside { 255 } else { 0 }])
    })
}

pub fn load_rgb(p: &Path) -> RgbImage {
    image::open(p).unwrap().to_rgb8()
}

pub fn load_gray(p: &Path) -> GrayImage {
    image::open(p).unwrap().to_luma8()
}

/// CRC-32 (PNG's), for hand-made chunks.
pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A small valid PNG whose header claims `w` x `h` pixels: a decompression bomb's shape.
pub fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    RgbImage::new(1, 1)
        .write_to(&mut buf, image::ImageFormat::Png)
        .unwrap();
    let mut bytes = buf.into_inner();
    // IHDR data starts at 16: width, height; its CRC covers type + data (12..29) and sits at 29.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// JPEG bytes of an image, with an EXIF APP1 segment carrying `orientation` when given.
pub fn jpeg_bytes(img: &RgbImage, orientation: Option<u16>) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Jpeg).unwrap();
    let jpeg = buf.into_inner();
    let Some(o) = orientation else { return jpeg };
    // TIFF header (big endian), one IFD entry: 0x0112 Orientation, SHORT, count 1.
    let mut tiff = vec![b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1];
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]);
    tiff.extend_from_slice(&o.to_be_bytes());
    tiff.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let len = (app1.len() + 2) as u16;
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Polls `cond` (every 20 ms) until it holds or `within` has passed; whether it held. For waiting
/// on another process or thread instead of a fixed sleep.
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A running `imgedit serve`, killed on drop; its stderr is collected.
pub struct Server {
    child: Child,
    pub url: String,
    pub log: Arc<Mutex<Vec<String>>>,
    /// The home of a server started by `serve_alone`, removed after the server is killed.
    _home: Option<Sandbox>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// A line of the server's /proc status, in kB (VmRSS now, VmHWM the peak).
    pub fn memory_kb(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {field} in /proc status"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// The server's log once it contains `text` (waits up to 10 s for the reader thread).
    pub fn stderr_with(&self, text: &str) -> String {
        wait_until(Duration::from_secs(10), || self.stderr().contains(text));
        self.stderr()
    }
}

/// `imgedit serve ARGS` in a sandbox of its own, kept until the server is dropped.
pub fn serve_alone(args: &[&str]) -> Server {
    let home = Sandbox::new();
    let mut s = serve(&home, args, &[]);
    s._home = Some(home);
    s
}

/// Starts `imgedit serve ARGS --listen 127.0.0.1:0` in the sandbox with extra environment, and
/// returns once it has printed the address it listens on (bound before it prints): no AWS or
/// IMGEDIT settings from outside, stderr collected by a thread (so it never blocks on a full
/// pipe), killed on drop.
pub fn serve(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut cmd = StdCommand::new(assert_cmd::cargo::cargo_bin("imgedit"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IMGEDIT_") || k.starts_with("AWS_") || k == "DYNAMODB_TABLE_NAME" {
            cmd.env_remove(k);
        }
    }
    cmd.env("IMGEDIT_CONFIG_DIR", sb.path("config"))
        .env("IMGEDIT_DATA_DIR", sb.path("data"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", sb.path("no-aws-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", sb.path("no-aws-credentials"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    // stdout goes to the same log: a test that scans what the server said sees both
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut url = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        log.lock().unwrap().push(line.clone());
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            url = Some(
                u.trim_end_matches("/image-edit")
                    .trim_end_matches('/')
                    .to_string(),
            );
            break;
        }
    }
    let Some(url) = url else {
        let _ = child.wait();
        panic!(
            "the server did not start:\n{}",
            log.lock().unwrap().join("\n")
        );
    };
    let sink = log.clone();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    let sink = log.clone();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(l);
        }
    });
    Server {
        child,
        url,
        log,
        _home: None,
    }
}

/// An HTTP answer: status, headers (lower-case names) and body.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub async fn send_async(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Answer {
    let mut req = client.request(method, url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    Answer {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.bytes().await.unwrap().to_vec(),
    }
}

/// `n` identical POSTs sent at once; the answers in order.
pub fn posts_at_once(url: &str, headers: &[(&str, &str)], body: &[u8], n: usize) -> Vec<Answer> {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    rt().block_on(async {
        let client = reqwest::Client::new();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (c, u, b, h) = (
                    client.clone(),
                    url.to_string(),
                    body.to_vec(),
                    headers.clone(),
                );
                tokio::spawn(async move {
                    let h: Vec<(&str, &str)> =
                        h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    send_async(&c, reqwest::Method::POST, &u, &h, b).await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    })
}

/// One request, as the browser client sends it (raw token header when given).
pub fn post(url: &str, token: Option<&str>, body: &Value) -> Answer {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(t) = token {
        headers.push(("Authorization", t));
    }
    rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::POST,
        url,
        &headers,
        serde_json::to_vec(body).unwrap(),
    ))
}

/// A black-on-white mask (Titan polarity: black = change) with a black box.
pub fn titan_mask(w: u32, h: u32, x0: u32, y0: u32, bw: u32, bh: u32) -> Vec<u8> {
    let m = GrayImage::from_fn(w, h, |x, y| {
        let inside = x >= x0 && x < x0 + bw && y >= y0 && y < y0 + bh;
        Luma([if inside { 0 } else { 255 }])
    });
    let mut buf = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageLuma8(m)
        .write_to(&mut buf, image::ImageFormat::Png)
        .unwrap();
    buf.into_inner()
}

/// The browser client's request: JPEG data URL, PNG mask data URL or null, model "titan".
pub fn browser_body(text: &str, mode: &str, jpeg: &[u8], mask: Option<&[u8]>) -> Value {
    json!({
        "prompt": {"text": text, "mode": mode},
        "base_image": format!("data:image/jpeg;base64,{}", b64(jpeg)),
        "mask": mask.map(|m| format!("data:image/png;base64,{}", b64(m))),
        "model": "titan",
        "canvas_config": {},
    })
}

pub fn decode_b64_image(s: &str) -> RgbImage {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

pub fn photo(w: u32, h: u32) -> (RgbImage, Vec<u8>) {
    let jpeg = jpeg_bytes(&textured(w, h), None);
    let seen = image::load_from_memory(&jpeg).unwrap().to_rgb8();
    (seen, jpeg)
}

pub fn changed_outside(a: &RgbImage, b: &RgbImage, inside: impl Fn(u32, u32) -> bool) -> usize {
    a.enumerate_pixels()
        .filter(|(x, y, p)| !inside(*x, *y) && **p != *b.get_pixel(*x, *y))
        .count()
}

pub fn edit_url(s: &Server) -> String {
    format!("{}/image-edit", s.url)
}

/// The start of a body, for assertion messages (never a whole image).
pub fn short(b: &[u8]) -> String {
    String::from_utf8_lossy(&b[..b.len().min(300)]).into_owned()
}

pub fn b64(b: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// `imgedit serve --bedrock` (a Bedrock stand-in with faults) behind `imgedit serve --engine bedrock`.
pub fn bedrock_backed(sb: &Sandbox, faults: &[&str]) -> (Server, Server) {
    let mut args = vec!["--bedrock"];
    for f in faults {
        args.extend(["--fault", f]);
    }
    let upstream = serve(sb, &args, &[]);
    let api = serve(
        sb,
        &["--no-auth", "--engine", "bedrock", "--no-log"],
        &[
            ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", &upstream.url),
            ("AWS_ACCESS_KEY_ID", "AKIDIMGEDITTEST"),
            ("AWS_SECRET_ACCESS_KEY", "imgedit-test-secret"),
            ("AWS_REGION", "us-east-1"),
            ("IMGEDIT_BEDROCK_MAX_ATTEMPTS", "1"),
        ],
    );
    (upstream, api)
}

/// `serve --bedrock` and an /image-edit server in front of it with `--engine bedrock`, the given
/// arguments and environment (AWS credentials included).
pub fn bedrock_backed_with(sb: &Sandbox, args: &[&str], env: &[(&str, &str)]) -> (Server, Server) {
    let upstream = serve(sb, &["--bedrock"], &[]);
    let mut all_env = vec![("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", upstream.url.as_str())];
    all_env.extend_from_slice(env);
    let mut all_args = vec!["--engine", "bedrock"];
    all_args.extend_from_slice(args);
    let api = serve(sb, &all_args, &all_env);
    (upstream, api)
}

pub fn small_request() -> Value {
    let (_, jpeg) = photo(32, 32);
    let mut b = browser_body(
        "x",
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(32, 32, 8, 8, 8, 8)),
    );
    b["num_images"] = json!(1);
    b
}

/// The environment that points an AWS SDK client (the bedrock engine) at the emulated Bedrock at
/// `url`, with throwaway credentials and no AWS files or instance metadata from the machine.
pub fn bedrock_client_env(sb: &Sandbox, url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", url.to_string()),
        ("AWS_ACCESS_KEY_ID", "AKIDIMGEDITTEST".into()),
        ("AWS_SECRET_ACCESS_KEY", "imgedit-test-secret".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        (
            "AWS_CONFIG_FILE",
            sb.path("no-aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            sb.path("no-aws-credentials").display().to_string(),
        ),
    ]
}

/// `token` with one character in the middle of its signature changed: the signature's bytes
/// change (a last character may only carry padding bits, which base64 strictness would refuse
/// instead of the RSA check), and the header and claims still parse.
pub fn tampered(token: &str) -> String {
    let sig = token.rfind('.').map_or(0, |i| i + 1);
    let middle = sig + (token.len() - sig) / 2;
    let mut bytes = token.as_bytes().to_vec();
    bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
    String::from_utf8(bytes).unwrap()
}
