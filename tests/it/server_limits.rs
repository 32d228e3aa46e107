//! What `imgedit serve` refuses and how: validation errors by field, oversize bodies, images
//! that claim too many pixels, and requests beyond the concurrency limit.

use serde_json::{Value, json};

use crate::common::*;

#[test]
fn every_validation_error_is_a_400_naming_the_field() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    let (_, jpeg) = photo(32, 32);
    let mask = titan_mask(32, 32, 8, 8, 8, 8);
    let good = browser_body("x", "INPAINTING", &jpeg, Some(&mask));
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        b
    };
    let other_size = titan_mask(16, 16, 0, 0, 4, 4);
    let all_white = titan_mask(32, 32, 0, 0, 0, 0);
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("prompt");
            }),
            "prompt",
            "missing",
        ),
        (
            with(&|b| {
                b["prompt"].as_object_mut().unwrap().remove("text");
            }),
            "prompt.text",
            "missing",
        ),
        (
            with(&|b| b["prompt"]["mode"] = json!("PAINTING")),
            "prompt.mode",
            "PAINTING",
        ),
        (
            with(&|b| {
                b.as_object_mut().unwrap().remove("base_image");
            }),
            "base_image",
            "missing",
        ),
        (
            with(&|b| b["mask"] = Value::Null),
            "mask",
            "INPAINTING needs a mask",
        ),
        (
            with(&|b| b["base_image"] = json!("data:image/png;base64,@@@")),
            "base_image",
            "base64",
        ),
        (
            with(&|b| b["base_image"] = json!("aGVsbG8gd29ybGQ=")),
            "base_image",
            "not a PNG",
        ),
        (
            with(&|b| b["mask"] = json!(format!("data:image/png;base64,{}", b64(&other_size)))),
            "mask",
            "16x16",
        ),
        (
            with(&|b| b["mask"] = json!(format!("data:image/png;base64,{}", b64(&all_white)))),
            "mask",
            "no black pixel",
        ),
        (with(&|b| b["model"] = json!("dall-e")), "model", "dall-e"),
        (
            with(&|b| b["num_images"] = json!(0)),
            "num_images",
            "at least 1",
        ),
        (
            with(&|b| b["num_images"] = json!(20)),
            "num_images",
            "1..16",
        ),
        (with(&|b| b["quality"] = json!("ultra")), "quality", "ultra"),
        (
            with(&|b| b["canvas_config"] = json!({"extend": [1, 1, 1, 1]})),
            "canvas_config",
            "INPAINTING",
        ),
        (
            with(&|b| b["surprise"] = json!(1)),
            "surprise",
            "unknown field",
        ),
    ];
    for (body, field, words) in cases {
        let a = post(&edit_url(&s), None, &body);
        assert_eq!(a.status, 400, "{field}: {}", short(&a.body));
        let v = a.json();
        assert_eq!(v["field"], field, "{v}");
        let msg = v["error"].as_str().unwrap();
        assert!(
            msg.starts_with(field) && msg.contains(words),
            "{field}: {msg}"
        );
        assert!(v["request_id"].is_string());
    }
    for raw in [&b""[..], b"{not json", b"[]"] {
        let a = rt().block_on(send_async(
            &reqwest::Client::new(),
            reqwest::Method::POST,
            &edit_url(&s),
            &[],
            raw.to_vec(),
        ));
        assert_eq!(a.status, 400);
        assert!(a.json()["error"].is_string());
    }
    // every failure is in the request log, with the reason
    let log = std::fs::read_to_string(sb.path("data/history.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 18);
    assert!(log.lines().all(|l| l.contains("\"success\":false")));
}

#[test]
fn oversize_bodies_get_413_and_the_server_keeps_serving() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--max-body-bytes", "100000"], &[]);
    let big = json!({"prompt": {"text": "x"}, "base_image": "A".repeat(150_000), "mask": "B"});
    let a = post(&edit_url(&s), None, &big);
    assert_eq!(a.status, 413);
    let v = a.json();
    assert!(v["error"].as_str().unwrap().contains("100000"), "{v}");
    assert_eq!(post(&edit_url(&s), None, &small_request()).status, 200);
}

#[test]
fn a_40_mb_body_is_refused_in_bounded_memory() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    let before = s.memory_kb("VmRSS");
    let big = format!(
        "{{\"prompt\": {{\"text\": \"x\", \"mode\": \"INPAINTING\"}}, \"base_image\": \"{}\", \"mask\": null}}",
        "A".repeat(40 << 20)
    )
    .into_bytes();
    // once with a Content-Length, once streamed in chunks without one
    let (status, answer) = post_big(&edit_url(&s), &big, false);
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("6291456"), "{answer}");
    assert_eq!(post_big(&edit_url(&s), &big, true).0, 413);
    // the server never held the 40 MB body: its peak stays far below it
    let peak = s.memory_kb("VmHWM");
    assert!(
        peak < before + 24 * 1024,
        "peak RSS {peak} kB against {before} kB at start"
    );
    // and it keeps serving
    assert_eq!(post(&edit_url(&s), None, &small_request()).status, 200);
}

/// POSTs `body` over a plain socket, with a Content-Length or `Transfer-Encoding: chunked` (no
/// length known up front); returns the status and the answer. The server may answer and close
/// before the upload ends, so write errors end the upload, not the test.
fn post_big(url: &str, body: &[u8], chunked: bool) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut sock = std::net::TcpStream::connect(host).unwrap();
    sock.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let length = if chunked {
        "Transfer-Encoding: chunked".to_string()
    } else {
        format!("Content-Length: {}", body.len())
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{length}\r\nConnection: close\r\n\r\n"
    );
    let mut sent = sock.write_all(head.as_bytes());
    for c in body.chunks(1 << 20) {
        if sent.is_err() {
            break;
        }
        sent = if chunked {
            sock.write_all(format!("{:x}\r\n", c.len()).as_bytes())
                .and_then(|()| sock.write_all(c))
                .and_then(|()| sock.write_all(b"\r\n"))
        } else {
            sock.write_all(c)
        };
    }
    if sent.is_ok() && chunked {
        let _ = sock.write_all(b"0\r\n\r\n");
    }
    let mut answer = Vec::new();
    let _ = sock.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    (status, text)
}

#[test]
fn beyond_the_concurrency_limit_requests_get_503_with_retry_after() {
    let sb = Sandbox::new();
    let s = serve(
        &sb,
        &["--no-auth", "--max-concurrent", "1", "--no-log"],
        &[],
    );
    let (_, jpeg) = photo(384, 384);
    let body = serde_json::to_vec(&browser_body(
        "x",
        "INPAINTING",
        &jpeg,
        Some(&titan_mask(384, 384, 40, 40, 300, 300)),
    ))
    .unwrap();
    let answers = posts_at_once(
        &edit_url(&s),
        &[("Content-Type", "application/json")],
        &body,
        4,
    );
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.contains(&503), "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    let busy = answers.iter().find(|a| a.status == 503).unwrap();
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert_eq!(busy.json()["error_code"], "ServerBusy");
}

#[test]
fn images_claiming_10_gigapixels_are_refused_by_field_before_decoding() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--no-log"], &[]);
    let bomb = png_claiming(100_000, 100_000);
    let mut body = small_request();
    body["base_image"] = json!(b64(&bomb));
    let a = post(&edit_url(&s), None, &body);
    assert_eq!(a.status, 400, "{}", short(&a.body));
    assert_eq!(a.json()["field"], "base_image");
    assert!(
        a.json()["error"]
            .as_str()
            .unwrap()
            .contains("100000x100000"),
        "{}",
        a.json()
    );
    let mut body = small_request();
    body["mask"] = json!(b64(&bomb));
    let a = post(&edit_url(&s), None, &body);
    assert_eq!(a.status, 400, "{}", short(&a.body));
    assert_eq!(a.json()["field"], "mask");
    // the Bedrock-compatible endpoint (a --bedrock server)
    let bedrock = serve(&sb, &["--bedrock"], &[]);
    let titan = json!({
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": b64(&bomb), "text": "x", "maskPrompt": "a cat"},
    });
    let a = rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::POST,
        &format!(
            "{}/model/amazon.titan-image-generator-v1/invoke",
            bedrock.url
        ),
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer k"),
        ],
        serde_json::to_vec(&titan).unwrap(),
    ));
    assert_eq!(a.status, 400, "{}", short(&a.body));
    assert!(short(&a.body).contains("100000"), "{}", short(&a.body));
    // and the server is still fine
    assert_eq!(post(&edit_url(&s), None, &small_request()).status, 200);
}
