//! What `imgedit serve` exposes to a client it does not trust: which routes exist on each kind of
//! server, and what slow, idle or too many connections get. Everything on 127.0.0.1, bounded in
//! count and time. The time bounds tell a server that cut a connection (or answered it) from one
//! that held it until our own read gave up (10 to 15 s); they are not speed targets.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::*;

fn host_port(s: &Server) -> String {
    s.url.trim_start_matches("http://").to_string()
}

/// A POST as an attacker would send it: a JSON body, a SigV4-looking header, no token.
fn poke(url: &str) -> u16 {
    rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::POST,
        url,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=x"),
        ],
        serde_json::to_vec(&json!({"delay-ms": 60000, "throttle": 1000})).unwrap(),
    ))
    .status
}

/// `GET /health`'s status, or None when the connection failed.
fn health(s: &Server) -> Option<u16> {
    rt().block_on(async {
        let r = reqwest::Client::new()
            .get(format!("{}/health", s.url))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .ok()?;
        Some(r.status().as_u16())
    })
}

/// Reads what the server sends until it closes the connection (or `limit` passes); returns the
/// text and how long it took.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Duration) {
    let t = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
        if t.elapsed() > limit {
            break;
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), t.elapsed())
}

#[test]
fn an_image_edit_server_mounts_no_fault_control_and_no_bedrock_endpoint() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--no-log"], &[]);
    assert_eq!(poke(&format!("{}/__imgedit/faults", s.url)), 404);
    assert_eq!(
        poke(&format!(
            "{}/model/us.stability.stable-image-inpaint-v1:0/invoke",
            s.url
        )),
        404
    );
    // the edit still works: nothing was injected by the attempt
    assert_eq!(post(&edit_url(&s), None, &small_request()).status, 200);

    // --fault-control mounts it, on a local server without token checks only
    let t = serve(&sb, &["--no-auth", "--no-log", "--fault-control"], &[]);
    let a = post(
        &format!("{}/__imgedit/faults", t.url),
        None,
        &json!({"throttle": 1}),
    );
    assert_eq!(a.status, 200);
    assert_eq!(post(&edit_url(&t), None, &small_request()).status, 429);
    assert_eq!(post(&edit_url(&t), None, &small_request()).status, 200);
}

#[test]
fn a_bedrock_server_has_no_image_edit_and_no_fault_control_unless_asked() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--bedrock"], &[]);
    assert_eq!(poke(&format!("{}/__imgedit/faults", s.url)), 404);
    assert_eq!(post(&edit_url(&s), None, &small_request()).status, 404);
    assert_eq!(
        post(&format!("{}/", s.url), None, &small_request()).status,
        404
    );
}

#[test]
fn test_controls_are_refused_beside_lambda_and_token_checks() {
    let sb = Sandbox::new();
    for args in [
        &["--lambda", "--fault", "throttle=1"][..],
        &["--lambda", "--fault-control"],
        &["--lambda", "--bedrock"],
    ] {
        sb.cmd()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicates::str::contains(
                "--lambda serves /image-edit only",
            ));
    }
}

#[test]
fn an_authenticated_server_refuses_test_controls_and_answers_401_without_a_token() {
    let Some(url) = ministack() else { return };
    let pool = crate::cognito::provision(&url, true);
    let sb = Sandbox::new();
    let env = [("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", url.as_str())];
    let auth = [
        "--user-pool-id",
        &pool.pool_id,
        "--client-id",
        &pool.client_id,
    ];
    for extra in [&["--fault", "throttle=1"][..], &["--fault-control"]] {
        let mut c = sb.cmd();
        c.args(["serve", "--listen", "127.0.0.1:0", "--no-log"])
            .args(auth)
            .args(extra)
            .env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &url)
            .timeout(Duration::from_secs(30))
            .assert()
            .code(2)
            .stderr(predicates::str::contains("never beside token checks"));
    }
    let s = serve(&sb, &[&auth[..], &["--no-log"]].concat(), &env);
    assert_eq!(poke(&format!("{}/__imgedit/faults", s.url)), 404);
    assert_eq!(
        poke(&format!(
            "{}/model/us.stability.stable-image-inpaint-v1:0/invoke",
            s.url
        )),
        404
    );
    for path in ["/image-edit", "/", "/prod", "/prod/", "/prod/image-edit"] {
        let a = post(&format!("{}{path}", s.url), None, &small_request());
        assert_eq!(a.status, 401, "{path}");
        assert_eq!(a.json(), json!({"message": "Unauthorized"}), "{path}");
    }
}

#[test]
fn the_bedrock_endpoint_has_the_same_concurrency_limit() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--bedrock", "--max-concurrent", "1"], &[]);
    let (_, png) = {
        let img = textured(512, 512);
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img.clone())
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        (img, png)
    };
    let mask = {
        let m = image::GrayImage::from_fn(512, 512, |x, y| {
            image::Luma([if (64..448).contains(&x) && (64..448).contains(&y) {
                255
            } else {
                0
            }])
        });
        let mut out = Vec::new();
        image::DynamicImage::ImageLuma8(m)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    };
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let body = serde_json::to_vec(&json!({
        "image": b64(&png), "mask": b64(&mask), "prompt": "grass", "seed": 7, "output_format": "png"
    }))
    .unwrap();
    let url = format!(
        "{}/model/us.stability.stable-image-inpaint-v1:0/invoke",
        s.url
    );
    let answers = posts_at_once(
        &url,
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "AWS4-HMAC-SHA256 Credential=x"),
        ],
        &body,
        4,
    );
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(statuses.contains(&200), "{statuses:?}");
    assert!(statuses.contains(&503), "{statuses:?}");
    let busy = answers.iter().find(|a| a.status == 503).unwrap();
    assert_eq!(
        busy.header("x-amzn-errortype").map(|v| v.split(':').next()),
        Some(Some("ServiceUnavailableException"))
    );
}

#[test]
fn connections_beyond_the_cap_get_503_and_the_server_recovers() {
    let sb = Sandbox::new();
    let s = serve(
        &sb,
        &["--no-auth", "--no-log", "--max-connections", "4"],
        &[],
    );
    let addr = host_port(&s);
    // four idle connections hold every slot
    let mut idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    // a fifth client gets a 503 once the server has taken the four (it may still be accepting
    // them when the first fifth arrives: asked again, within a deadline)
    let (mut answer, mut took) = (String::new(), Duration::ZERO);
    wait_until(Duration::from_secs(10), || {
        let mut fifth = TcpStream::connect(&addr).unwrap();
        fifth
            .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        (answer, took) = read_until_closed(&mut fifth, Duration::from_secs(15));
        answer.starts_with("HTTP/1.1 503")
    });
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(answer.contains("too many open connections"), "{answer:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    // freeing the slots lets clients in again
    for c in &mut idle {
        let _ = c.shutdown(std::net::Shutdown::Both);
    }
    drop(idle);
    assert!(
        wait_until(Duration::from_secs(5), || health(&s) == Some(200)),
        "the server did not recover after the idle clients left"
    );
}

#[test]
fn slow_headers_idle_connections_and_slow_bodies_are_cut_off() {
    let sb = Sandbox::new();
    let s = serve(
        &sb,
        &[
            "--no-auth",
            "--no-log",
            "--header-timeout",
            "1",
            "--body-timeout",
            "1",
        ],
        &[],
    );
    let addr = host_port(&s);
    // headers that never finish
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"POST /image-edit HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let (_, took) = read_until_closed(&mut slow, Duration::from_secs(10));
    assert!(took < Duration::from_secs(8), "slow headers held {took:?}");

    // a kept-alive connection that goes quiet after its answer
    let mut idle = TcpStream::connect(&addr).unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, took) = read_until_closed(&mut idle, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(
        took < Duration::from_secs(8),
        "idle connection held {took:?}"
    );

    // a body that trickles: 408 at the deadline
    let mut trickle = TcpStream::connect(&addr).unwrap();
    trickle
        .write_all(
            b"POST /image-edit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"prompt\":",
        )
        .unwrap();
    let (answer, took) = read_until_closed(&mut trickle, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(answer.contains("did not arrive within 1 s"), "{answer:?}");
    assert!(took < Duration::from_secs(8), "{took:?}");
}

#[test]
fn three_hundred_slow_clients_do_not_exhaust_the_server() {
    let sb = Sandbox::new();
    let s = serve(
        &sb,
        &["--no-auth", "--no-log", "--header-timeout", "2"],
        &[],
    );
    let addr = host_port(&s);
    let t = Instant::now();
    let mut slow: Vec<TcpStream> = (0..300)
        .filter_map(|_| {
            let mut c = TcpStream::connect(&addr).ok()?;
            c.write_all(b"POST /image-edit HTTP/1.1\r\nHost: x\r\n")
                .ok()?;
            Some(c)
        })
        .collect();
    assert!(slow.len() >= 256, "only {} connected", slow.len());
    // while they hold every slot, a new client gets an answer at once, not a hang
    let mut probe = TcpStream::connect(&addr).unwrap();
    probe
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (answer, took) = read_until_closed(&mut probe, Duration::from_secs(15));
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    let fds = std::fs::read_dir(format!("/proc/{}/fd", s.pid()))
        .unwrap()
        .count();
    assert!(fds < 256 + 64 + 32, "{fds} open descriptors");
    // the header deadline frees every slot, and the server answers again
    let left = Duration::from_secs(15).saturating_sub(t.elapsed());
    assert!(
        wait_until(left, || health(&s) == Some(200)),
        "no 200 within 15 s of the flood"
    );
    for c in &mut slow {
        let _ = c.shutdown(std::net::Shutdown::Both);
    }
}

#[test]
fn the_original_clients_preflight_and_a_stage_invoke_url_work() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth", "--no-log"], &[]);
    let asked =
        "access-control-allow-headers,access-control-allow-origin,content-type,authorization";
    for path in ["/image-edit", "/prod", "/prod/", "/prod/image-edit"] {
        let a = rt().block_on(send_async(
            &reqwest::Client::new(),
            reqwest::Method::OPTIONS,
            &format!("{}{path}", s.url),
            &[
                ("Origin", "https://main.d1example.amplifyapp.com"),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", asked),
            ],
            vec![],
        ));
        assert_eq!(a.status, 200, "{path}");
        let allowed: Vec<String> = a
            .header("access-control-allow-headers")
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        for h in asked.split(',') {
            assert!(
                allowed.contains(&h.to_string()),
                "{path}: {h} not in {allowed:?}"
            );
        }
        assert_eq!(a.header("access-control-allow-origin"), Some("*"), "{path}");
    }
    // the original client's POST carries those two headers too
    let a = rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::POST,
        &format!("{}/prod", s.url),
        &[
            ("Content-Type", "application/json"),
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Headers", "*"),
        ],
        serde_json::to_vec(&small_request()).unwrap(),
    ));
    assert_eq!(a.status, 200, "{}", String::from_utf8_lossy(&a.body));
    let v: Value = a.json();
    assert_eq!(v["images"].as_array().map(Vec::len), Some(1));
}
