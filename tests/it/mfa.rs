//! `imgedit login` on a pool that requires MFA, against MiniStack (started by scripts/with-ministack
//! with the MFA_SETUP challenge AWS sends): setting up an authenticator app with a code computed
//! here from the secret imgedit shows, later sign-ins with fresh codes, a wrong code, a refresh,
//! with SRP and with USER_PASSWORD_AUTH, and the interactive prompts in tmux.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::{SoftwareTokenMfaConfigType, UserPoolMfaType};
use hmac::{Hmac, Mac};
use predicates::prelude::*;

use crate::cognito::{PASSWORD, Pool, admin, cache, provision_with, walk};
use crate::common::*;

/// RFC 4648 base32 (no padding needed), as Cognito writes TOTP secrets.
fn base32(s: &str) -> Vec<u8> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.trim_end_matches('=').chars() {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .find(c.to_ascii_uppercase())
            .expect("a base32 secret") as u32;
        bits = (bits << 5) | v;
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}

/// RFC 6238: HMAC-SHA1 of the 30-second step counter, dynamic truncation, 6 digits.
pub fn totp_at(secret: &str, unix: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&base32(secret)).unwrap();
    mac.update(&(unix / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = usize::from(h[19] & 0x0f);
    let v = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]);
    format!("{:06}", v % 1_000_000)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub fn totp(secret: &str) -> String {
    totp_at(secret, now())
}

/// A six-digit code that is none of the codes Cognito accepts around now.
pub fn wrong_code(secret: &str) -> String {
    let t = now();
    let near: Vec<String> = [t - 60, t - 30, t, t + 30, t + 60]
        .iter()
        .map(|&s| totp_at(secret, s))
        .collect();
    (0..)
        .map(|i| format!("{:06}", (123_457 + i * 7919) % 1_000_000))
        .find(|c| !near.contains(c))
        .unwrap()
}

#[test]
fn totp_matches_rfc_6238_test_vectors() {
    // RFC 6238 appendix B, SHA-1 key "12345678901234567890" (base32 below), last 6 digits.
    let key = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    assert_eq!(totp_at(key, 59), "287082");
    assert_eq!(totp_at(key, 1_111_111_109), "081804");
    assert_eq!(totp_at(key, 2_000_000_000), "279037");
}

/// A fresh pool with MFA required (authenticator apps only), its app client and user alice.
pub fn provision_mfa(url: &str, secret: bool) -> Pool {
    let pool = provision_with(url, true, secret);
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            admin(url)
                .await
                .set_user_pool_mfa_config()
                .user_pool_id(&pool.pool_id)
                .mfa_configuration(UserPoolMfaType::On)
                .software_token_mfa_configuration(
                    SoftwareTokenMfaConfigType::builder().enabled(true).build(),
                )
                .send()
                .await
                .unwrap();
        });
    pool
}

/// The environment `Pool::cmd` gives imgedit, for commands run outside assert_cmd.
pub fn pool_env(pool: &Pool, sb: &Sandbox) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "IMGEDIT_CONFIG_DIR".into(),
            sb.path("config").display().to_string(),
        ),
        (
            "IMGEDIT_DATA_DIR".into(),
            sb.path("data").display().to_string(),
        ),
        (
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER".into(),
            pool.url.clone(),
        ),
        ("IMGEDIT_COGNITO_USER_POOL_ID".into(), pool.pool_id.clone()),
        ("IMGEDIT_COGNITO_CLIENT_ID".into(), pool.client_id.clone()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
    ];
    if let Some(s) = &pool.client_secret {
        env.push(("IMGEDIT_COGNITO_CLIENT_SECRET".into(), s.clone()));
    }
    env
}

/// What a first sign-in with MFA_SETUP left.
pub struct Setup {
    pub secret: String,
    pub code: String,
    pub stdout: String,
    pub stderr: String,
    pub ok: bool,
    pub exit: Option<i32>,
}

/// The secret from the `otpauth URI:` line imgedit printed.
pub fn secret_in(text: &str) -> Option<String> {
    let uri = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("otpauth URI: "))?;
    let q = uri.split_once('?')?.1;
    q.split('&')
        .find_map(|kv| kv.strip_prefix("secret="))
        .map(str::to_string)
}

/// `imgedit login --password-stdin` on a pool where alice has no second factor yet: sends the
/// password, reads the secret off stdout, then sends the first code (a wrong one if asked).
pub fn set_up(pool: &Pool, sb: &Sandbox, extra: &[&str], wrong_first_code: bool) -> Setup {
    let mut child = Process::new(assert_cmd::cargo::cargo_bin("imgedit"));
    for (k, _) in std::env::vars() {
        if k.starts_with("IMGEDIT_") {
            child.env_remove(k);
        }
    }
    let mut child = child
        .envs(pool_env(pool, sb))
        .current_dir(sb.dir.path())
        .args(["login", "--username", &pool.username, "--password-stdin"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A sign-in that waits for an answer this helper does not give would block the reads below:
    // it is killed after a minute, and the assertions then show what it said.
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pid = child.id().to_string();
    let watch = done.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(60));
        if !watch.load(std::sync::atomic::Ordering::SeqCst) {
            let _ = Process::new("kill").args(["-9", &pid]).status();
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut s).unwrap();
        s
    });
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{PASSWORD}").unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut stdout = String::new();
    let mut secret = None;
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        stdout.push_str(&line);
        if let Some(s) = secret_in(&line) {
            secret = Some(s);
            break;
        }
        line.clear();
    }
    let secret = secret.unwrap_or_default();
    let code = if wrong_first_code {
        wrong_code(&secret)
    } else {
        totp(&secret)
    };
    if !secret.is_empty() {
        writeln!(stdin, "{code}").unwrap();
    }
    drop(stdin);
    std::io::Read::read_to_string(&mut out, &mut stdout).unwrap();
    let status = child.wait().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    Setup {
        secret,
        code,
        stdout,
        stderr: errors.join().unwrap(),
        ok: status.success(),
        exit: status.code(),
    }
}

fn expire_soon(sb: &Sandbox) -> String {
    let mut c = cache(sb);
    let old = c["id_token"].as_str().unwrap().to_string();
    c["expires_at"] = serde_json::json!(now() as i64 + 60);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    old
}

/// The whole life of an MFA user with one sign-in flow (`extra` picks it).
fn mfa_user(extra: &[&str]) {
    let Some(url) = ministack() else { return };
    let pool = provision_mfa(&url, false);

    // first sign-in: MFA_SETUP, the secret and URI as text (stdout is no terminal), first code
    let sb = Sandbox::new();
    let s = set_up(&pool, &sb, extra, false);
    assert!(
        s.ok,
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        s.exit, s.stdout, s.stderr
    );
    assert_eq!(s.secret.len(), 32, "{}", s.stdout);
    assert!(
        s.stdout.contains("requires a second factor"),
        "{}",
        s.stdout
    );
    assert!(
        s.stdout.contains(&format!(
            "otpauth URI: otpauth://totp/imgedit:alice%20%28{}%29?secret={}&issuer=imgedit",
            pool.pool_id, s.secret
        )),
        "{}",
        s.stdout
    );
    assert!(
        !s.stdout.contains('█'),
        "no QR code when stdout is not a terminal"
    );
    assert!(
        s.stdout
            .contains("authenticator app registered as \"imgedit\""),
        "{}",
        s.stdout
    );
    assert!(s.stderr.contains("signed in as alice"), "{}", s.stderr);
    assert!(!s.stderr.contains(&s.secret), "{}", s.stderr);
    pool.verify_id_token(cache(&sb)["id_token"].as_str().unwrap());
    for f in walk(sb.dir.path()) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(
            !text.contains(&s.secret),
            "the TOTP secret is in {}",
            f.display()
        );
    }

    // later sign-ins: SOFTWARE_TOKEN_MFA, the code from stdin, then from --mfa-code
    let sb2 = Sandbox::new();
    pool.login(&sb2, extra, &format!("{PASSWORD}\n{}\n", totp(&s.secret)))
        .success()
        .stdout("")
        .stderr(predicate::str::contains("signed in as alice"));
    pool.verify_id_token(cache(&sb2)["id_token"].as_str().unwrap());
    let sb3 = Sandbox::new();
    let code = totp(&s.secret);
    pool.login(
        &sb3,
        &[extra, &["--mfa-code", &code]].concat(),
        &format!("{PASSWORD}\n"),
    )
    .success();
    pool.verify_id_token(cache(&sb3)["id_token"].as_str().unwrap());

    // a wrong code: plain words, exit 5, nothing cached
    let sb4 = Sandbox::new();
    let wrong = wrong_code(&s.secret);
    pool.login(
        &sb4,
        &[extra, &["--mfa-code", &wrong]].concat(),
        &format!("{PASSWORD}\n"),
    )
    .code(5)
    .stderr(predicate::str::contains(
        "sign-in failed: wrong or expired code",
    ))
    .stderr(predicate::str::contains(
        "Cognito said: Invalid code received for user",
    ))
    .stderr(predicate::str::contains(&wrong).not());
    assert!(!sb4.path("config/tokens/default.json").exists());
    // no code at all on stdin: says which answer was missing
    pool.login(&sb4, extra, &format!("{PASSWORD}\n"))
        .code(5)
        .stderr(predicate::str::contains(
            "stdin ended before the Code from your authenticator app",
        ));

    // refresh needs no second factor
    let old = expire_soon(&sb2);
    let who = pool.cmd(&sb2).args(["whoami", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&who.get_output().stdout).unwrap();
    assert_eq!(v["refreshed"], true);
    let fresh = cache(&sb2);
    assert_ne!(fresh["id_token"], old.as_str());
    pool.verify_id_token(fresh["id_token"].as_str().unwrap());
}

#[test]
fn mfa_setup_codes_and_refresh_with_srp() {
    mfa_user(&[]);
}

#[test]
fn mfa_setup_codes_and_refresh_with_user_password_auth() {
    mfa_user(&["--auth-flow", "password"]);
}

#[test]
fn a_wrong_first_code_registers_nothing() {
    let Some(url) = ministack() else { return };
    let pool = provision_mfa(&url, true);
    let sb = Sandbox::new();
    let s = set_up(&pool, &sb, &["--mfa-device-name", "alice's phone"], true);
    assert_eq!(s.exit, Some(5), "{}\n{}", s.stdout, s.stderr);
    assert!(
        s.stderr.contains(
            "the code does not match the new secret, so the authenticator app was not registered"
        ),
        "{}",
        s.stderr
    );
    assert!(!sb.path("config/tokens/default.json").exists());
    // the next sign-in sets up again, with a new secret, and this time it works
    let again = set_up(&pool, &sb, &["--mfa-device-name", "alice's phone"], false);
    assert!(again.ok, "{}\n{}", again.stdout, again.stderr);
    assert_ne!(again.secret, s.secret);
    assert!(
        again.stdout.contains("registered as \"alice's phone\""),
        "{}",
        again.stdout
    );
    pool.login(
        &Sandbox::new(),
        &[],
        &format!("{PASSWORD}\n{}\n", totp(&again.secret)),
    )
    .success();
}

#[test]
fn malformed_mfa_options_are_refused_before_signing_in() {
    let sb = Sandbox::new();
    sb.cmd()
        .args([
            "login",
            "-u",
            "a",
            "--password-stdin",
            "--mfa-code",
            "12ab56",
        ])
        .env("IMGEDIT_COGNITO_USER_POOL_ID", "us-east-1_x")
        .env("IMGEDIT_COGNITO_CLIENT_ID", "c")
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--mfa-code must be digits only (6 characters given, not all digits)",
        ))
        .stderr(predicate::str::contains("12ab56").not());
    sb.cmd()
        .args([
            "login",
            "-u",
            "a",
            "--password-stdin",
            "--mfa-device-name",
            " ",
        ])
        .env("IMGEDIT_COGNITO_USER_POOL_ID", "us-east-1_x")
        .env("IMGEDIT_COGNITO_CLIENT_ID", "c")
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--mfa-device-name is empty"));
}

/// The pane's text with wrapped lines joined, scrollback included.
fn pane(tmux: &crate::tui::Tmux) -> String {
    String::from_utf8_lossy(
        &tmux
            .cmd(&["capture-pane", "-p", "-J", "-S", "-200", "-t", "main"])
            .stdout,
    )
    .into_owned()
}

fn wait_pane(tmux: &crate::tui::Tmux, what: &str) -> String {
    let end = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let text = pane(tmux);
        if text.contains(what) {
            return text;
        }
        assert!(
            std::time::Instant::now() < end,
            "timed out waiting for {what:?}; the pane:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn login_in_tmux(pool: &Pool, sb: &Sandbox, extra: &str) -> crate::tui::Tmux {
    let env: Vec<String> = pool_env(pool, sb)
        .into_iter()
        .map(|(k, v)| format!("{k}='{v}'"))
        .collect();
    let command = format!(
        "env -u IMGEDIT_LOG {} '{}' login --username alice {extra}; echo EXIT=$?; sleep 60",
        env.join(" "),
        assert_cmd::cargo::cargo_bin("imgedit").display()
    );
    let tmux = crate::tui::Tmux {
        socket: format!("imgedit-mfa-{}", uuid::Uuid::new_v4().simple()),
        log: sb.path("tmux.log"),
    };
    tmux.start(sb.dir.path(), &command);
    tmux
}

#[test]
fn interactive_setup_draws_a_qr_code_and_takes_the_codes_in_tmux() {
    if Process::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for this test on CI"
        );
        eprintln!("tmux is not installed: skipped");
        return;
    }
    let Some(url) = ministack() else { return };
    let pool = provision_mfa(&url, false);
    let sb = Sandbox::new();

    let tmux = login_in_tmux(&pool, &sb, "");
    wait_pane(&tmux, "Password:");
    tmux.text(PASSWORD);
    tmux.send(&["Enter"]);
    let screen = wait_pane(&tmux, "First code shown by the app:");
    assert!(screen.contains("scan this QR code"), "{screen}");
    // the QR code: a square of half blocks, quiet zone included, at least 29 modules wide
    let rows: Vec<&str> = screen
        .lines()
        .filter(|l| !l.is_empty() && l.chars().all(|c| " ▀▄█".contains(c)) && !l.trim().is_empty())
        .collect();
    let width = rows.first().map(|r| r.chars().count()).unwrap_or(0);
    assert!(width >= 29, "{screen}");
    assert_eq!(rows.len(), width.div_ceil(2), "{screen}");
    assert!(rows.iter().all(|r| r.chars().count() == width), "{screen}");
    assert!(rows[0].chars().all(|c| c == '█'), "the quiet zone");
    let secret = secret_in(&screen).expect("the otpauth URI on screen");
    tmux.text(&totp(&secret));
    tmux.send(&["Enter"]);
    let screen = wait_pane(&tmux, "EXIT=");
    assert!(screen.contains("signed in as alice"), "{screen}");
    assert!(screen.contains("EXIT=0"), "{screen}");
    // the typed code was not echoed after its prompt
    let prompt = screen
        .lines()
        .find(|l| l.contains("First code shown by the app:"))
        .unwrap();
    assert!(
        prompt.trim_end().ends_with("First code shown by the app:"),
        "{prompt}"
    );
    drop(tmux);

    // a later sign-in asks for the code from the app
    let sb2 = Sandbox::new();
    let tmux = login_in_tmux(&pool, &sb2, "");
    wait_pane(&tmux, "Password:");
    tmux.text(PASSWORD);
    tmux.send(&["Enter"]);
    wait_pane(&tmux, "Code from your authenticator app");
    tmux.text(&totp(&secret));
    tmux.send(&["Enter"]);
    let screen = wait_pane(&tmux, "EXIT=");
    assert!(
        screen.contains("signed in as alice") && screen.contains("EXIT=0"),
        "{screen}"
    );
    assert!(!screen.contains('█'), "no QR code once the app is set up");
    pool.verify_id_token(cache(&sb2)["id_token"].as_str().unwrap());
}

#[test]
fn no_qr_on_a_terminal_shows_the_secret_as_text_only() {
    if Process::new("tmux").arg("-V").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tmux is needed for this test on CI"
        );
        eprintln!("tmux is not installed: skipped");
        return;
    }
    let Some(url) = ministack() else { return };
    let pool = provision_mfa(&url, false);
    let sb = Sandbox::new();
    let tmux = login_in_tmux(&pool, &sb, "--no-qr");
    wait_pane(&tmux, "Password:");
    tmux.text(PASSWORD);
    tmux.send(&["Enter"]);
    let screen = wait_pane(&tmux, "First code shown by the app:");
    assert!(
        !screen.contains('█') && !screen.contains("scan this QR code"),
        "{screen}"
    );
    let secret = secret_in(&screen).expect("the otpauth URI on screen");
    tmux.text(&totp(&secret));
    tmux.send(&["Enter"]);
    let screen = wait_pane(&tmux, "EXIT=");
    assert!(screen.contains("EXIT=0"), "{screen}");
}
