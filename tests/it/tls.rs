//! The api engine and the JWKS fetch trust the platform's roots, as the AWS SDK does for Bedrock:
//! a certificate from a CA in `SSL_CERT_FILE` (a corporate TLS proxy's, say) is accepted, one from
//! an unknown CA is refused with an error that says so. The server is a small rustls one on
//! 127.0.0.1 with the certificates of `tests/fixtures/tls/` (a test CA and a leaf for 127.0.0.1).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::common::{Sandbox, textured};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// An HTTPS server on 127.0.0.1 that answers every request with `status` and the JSON `body`;
/// returns its base URL and how many requests came through a completed handshake.
fn https_server(status: &'static str, body: &'static str) -> (String, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("server.key")).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let served = Arc::new(AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(tcp) = tcp else { continue };
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
            let Ok(conn) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            // The handshake happens in the first read; a client that refuses the certificate
            // ends it there.
            let Some(()) = read_request(&mut tls) else {
                continue;
            };
            count.fetch_add(1, Ordering::SeqCst);
            let answer = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(answer.as_bytes());
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    (url, served)
}

/// Reads one HTTP/1.1 request (headers and a Content-Length body); None when the connection
/// fails first.
fn read_request(r: &mut impl Read) -> Option<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = r.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return Some(());
        }
    }
}

/// `imgedit edit` through the api engine at `url`, with `SSL_CERT_FILE` as given.
fn edit_via_api(url: &str, cert_file: Option<&Path>) -> (i32, String) {
    let sb = Sandbox::new();
    sb.save("in.png", &image::DynamicImage::ImageRgb8(textured(64, 64)));
    let mut c = sb.cmd();
    c.args(["edit", "in.png", "--rect", "0,0,4,4", "--engine", "api"])
        .args(["--api-url", &format!("{url}/image-edit"), "--token", "t"])
        .args(["-o", "out.png"])
        .env("IMGEDIT_API_MAX_ATTEMPTS", "1")
        // an empty directory: nothing from the machine's own extra roots
        .env("SSL_CERT_DIR", sb.path("no-certs"))
        .timeout(Duration::from_secs(60));
    match cert_file {
        Some(f) => c.env("SSL_CERT_FILE", f),
        None => c.env_remove("SSL_CERT_FILE"),
    };
    let out = c.output().unwrap();
    assert!(!sb.path("out.png").exists(), "no output on failure");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_api_engine_trusts_a_ca_in_the_platform_store() {
    let (url, served) = https_server("401 Unauthorized", r#"{"error": "hello over TLS"}"#);
    let (code, stderr) = edit_via_api(&url, Some(&fixture("ca.pem")));
    // The token is refused, so the request got through the TLS handshake to the server.
    assert!(stderr.contains("hello over TLS"), "{stderr}");
    assert_ne!(code, 0);
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[test]
fn the_api_engine_refuses_an_unknown_ca_and_says_why() {
    let (url, served) = https_server("401 Unauthorized", r#"{"error": "hello over TLS"}"#);
    let (code, stderr) = edit_via_api(&url, None);
    assert_ne!(code, 0);
    assert!(
        stderr.contains(&format!("cannot reach {url}/image-edit")),
        "{stderr}"
    );
    assert!(
        stderr.contains("invalid peer certificate: UnknownIssuer"),
        "the cause is not named: {stderr}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 0);
}

/// `imgedit serve` with its JWKS at `url`; it fetches the keys at start-up.
fn serve_with_jwks(url: &str, cert_file: Option<&Path>) -> (i32, String) {
    let sb = Sandbox::new();
    let mut c = sb.cmd();
    c.args(["serve", "--listen", "127.0.0.1:0", "--no-log"])
        .args(["--user-pool-id", "us-east-1_test", "--client-id", "app"])
        .args(["--jwks-url", &format!("{url}/jwks.json")])
        .env("SSL_CERT_DIR", sb.path("no-certs"))
        .timeout(Duration::from_secs(60));
    match cert_file {
        Some(f) => c.env("SSL_CERT_FILE", f),
        None => c.env_remove("SSL_CERT_FILE"),
    };
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_jwks_fetch_trusts_the_platform_store_and_names_a_refused_certificate() {
    // No RSA key in the set: serve stops at start-up, after a fetch that got through.
    let (url, served) = https_server("200 OK", r#"{"keys": []}"#);
    let (code, stderr) = serve_with_jwks(&url, Some(&fixture("ca.pem")));
    assert_ne!(code, 0);
    assert!(stderr.contains("holds no RSA signing key"), "{stderr}");
    assert_eq!(served.load(Ordering::SeqCst), 1);

    let (code, stderr) = serve_with_jwks(&url, None);
    assert_ne!(code, 0);
    assert!(stderr.contains(&format!("{url}/jwks.json")), "{stderr}");
    assert!(
        stderr.contains("invalid peer certificate: UnknownIssuer"),
        "the cause is not named: {stderr}"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
}
