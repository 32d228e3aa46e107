//! No secret in any byte imgedit writes: login (SRP and password flows), token refresh, edits over
//! the api engine, `serve` with auth, a DynamoDB request log and a Bedrock upstream, all with the
//! most verbose logging, then every output, log and file is scanned for the password, the app
//! client secret, the AWS secret key and every token (the token cache itself excepted).

use std::collections::BTreeSet;

use image::DynamicImage;

use crate::cognito::{PASSWORD, Pool, cache, provision_with, walk};
use crate::common::*;

const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY";

/// What must never appear: a token in full and its signature on its own.
fn add_token(secrets: &mut BTreeSet<String>, token: &str) {
    secrets.insert(token.to_string());
    if let Some(sig) = token.rsplit('.').next().filter(|s| s.len() >= 16) {
        secrets.insert(sig.to_string());
    }
}

fn add_cached_tokens(secrets: &mut BTreeSet<String>, sb: &Sandbox) {
    let c = cache(sb);
    for k in ["id_token", "access_token", "refresh_token"] {
        if let Some(t) = c[k].as_str() {
            add_token(secrets, t);
        }
    }
}

fn output(a: &assert_cmd::assert::Assert) -> String {
    let o = a.get_output();
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn no_secret_reaches_any_output_log_or_file() {
    let Some(url) = ministack() else { return };
    let pool: Pool = provision_with(&url, true, true);
    let sb = Sandbox::new();
    let mut secrets = BTreeSet::from([
        PASSWORD.to_string(),
        AWS_SECRET.to_string(),
        pool.client_secret.clone().expect("an app client secret"),
    ]);
    let mut said = Vec::new();

    // sign in both ways, most verbose, to stderr and to a log file
    let a = pool
        .login(&sb, &["-vv"], &format!("{PASSWORD}\n"))
        .success();
    said.push(output(&a));
    add_cached_tokens(&mut secrets, &sb);
    let a = pool
        .login(
            &sb,
            &["-vv", "--auth-flow", "password", "--log-file", "login.log"],
            &format!("{PASSWORD}\n"),
        )
        .success();
    said.push(output(&a));
    add_cached_tokens(&mut secrets, &sb);
    assert!(
        std::fs::read_to_string(sb.path("login.log"))
            .unwrap()
            .contains("InitiateAuth"),
        "the log file holds imgedit's own lines"
    );

    // serve with auth, a DynamoDB log and a Bedrock upstream signed with the AWS secret
    let table = crate::dynamo::unique_table();
    let env = [
        ("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", url.as_str()),
        ("AWS_ENDPOINT_URL_DYNAMODB", url.as_str()),
        // the emulator knows the key id "test" and does not check signatures
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET),
        ("AWS_REGION", "us-east-1"),
    ];
    let serve_log = sb.path("serve.log").display().to_string();
    let (upstream, s) = bedrock_backed_with(
        &sb,
        &[
            "-vv",
            "--user-pool-id",
            &pool.pool_id,
            "--client-id",
            &pool.client_id,
            "--table",
            &table,
            "--create-table",
            "--log-file",
            &serve_log,
        ],
        &env,
    );

    // edits over the api engine with the cached session, then again after a forced refresh
    sb.save("in.png", &DynamicImage::ImageRgb8(textured(48, 40)));
    let api_edit = |extra_env: &[(&str, &str)], out: &str| {
        let mut c = pool.cmd(&sb);
        c.args(["-vv", "edit", "in.png", "--engine", "api", "--api-url"])
            .arg(edit_url(&s))
            .args(["--rect", "8,8,12,12", "-p", "a red door", "-o", out]);
        for (k, v) in extra_env {
            c.env(k, v);
        }
        c.assert().success()
    };
    said.push(output(&api_edit(&[], "a.png")));
    let mut c = cache(&sb);
    c["expires_at"] = serde_json::json!(chrono::Utc::now().timestamp() + 30);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    said.push(output(&api_edit(&[("IMGEDIT_LOG", "trace")], "b.png")));
    add_cached_tokens(&mut secrets, &sb);
    assert_ne!(
        cache(&sb)["id_token"],
        c["id_token"],
        "the session was refreshed"
    );
    let a = pool.cmd(&sb).args(["-vv", "whoami"]).assert().success();
    said.push(output(&a));

    // raw requests: a good token, a tampered one, a token from the query-string-less header
    let id = cache(&sb)["id_token"].as_str().unwrap().to_string();
    let tampered = tampered(&id);
    add_token(&mut secrets, &tampered);
    assert_eq!(post(&edit_url(&s), Some(&id), &small_request()).status, 200);
    assert_eq!(
        post(
            &edit_url(&s),
            Some(&format!("Bearer {tampered}")),
            &small_request()
        )
        .status,
        401
    );
    let server_log = s.stderr_with("401");
    said.push(server_log.clone());
    said.push(upstream.stderr());
    drop(s);
    drop(upstream);

    // the scan: everything said, and every file except the token cache
    let all = walk(sb.dir.path());
    let cache_file = sb.path("config/tokens/default.json");
    let mut scanned = 0;
    for path in all.iter().filter(|p| **p != cache_file) {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a secret is in {}",
                path.display()
            );
        }
        scanned += 1;
    }
    for (i, text) in said.iter().enumerate() {
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "a secret is in output #{i}:\n{text}"
            );
        }
    }
    // the scan looked at real logs: verbose lines from both sides and the files they went to
    let serve_log = std::fs::read_to_string(&serve_log).unwrap();
    assert!(serve_log.contains("PutItem"), "{serve_log}");
    assert!(serve_log.contains("InvokeModel"), "{serve_log}");
    assert!(said.iter().any(|t| t.contains("POST /image-edit")));
    assert!(said.iter().any(|t| t.contains("REFRESH_TOKEN_AUTH")));
    assert!(scanned >= 5, "scanned {scanned} files");
    assert!(secrets.len() >= 9, "{} secrets", secrets.len());
}

/// The TOTP secret is shown once, on the terminal (stdout) of the sign-in that sets the app up,
/// and goes nowhere else; no code goes anywhere: every output, the log file and every file are
/// scanned, with the most verbose logging, through setup, later sign-ins (both flows, code from
/// stdin and from --mfa-code), a wrong code, and a refresh.
#[test]
fn no_totp_secret_or_code_reaches_a_log_or_file() {
    use crate::mfa::{provision_mfa, set_up, totp, wrong_code};
    let Some(url) = ministack() else { return };
    let pool = provision_mfa(&url, true);
    let sb = Sandbox::new();
    let log = sb.path("login.log").display().to_string();
    let setup = set_up(&pool, &sb, &["-vv", "--log-file", &log], false);
    assert!(setup.ok, "{}\n{}", setup.stdout, setup.stderr);
    let secret = setup.secret.clone();
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    // shown where the person reads it, grouped for typing and inside the URI
    assert!(
        setup
            .stdout
            .contains(&format!("secret key: {}", grouped.join(" ")))
    );
    assert!(setup.stdout.contains(&format!("secret={secret}")));

    let mut codes = vec![setup.code.clone()];
    let mut said = vec![setup.stderr.clone()];
    let mut stdouts = vec![setup.stdout.clone()];
    let code = totp(&secret);
    let a = pool
        .login(&sb, &["-vv"], &format!("{PASSWORD}\n{code}\n"))
        .success();
    codes.push(code);
    said.push(String::from_utf8_lossy(&a.get_output().stderr).into_owned());
    stdouts.push(String::from_utf8_lossy(&a.get_output().stdout).into_owned());
    let code = totp(&secret);
    let a = pool
        .cmd(&sb)
        .args([
            "-vv",
            "login",
            "-u",
            "alice",
            "--password-stdin",
            "--auth-flow",
            "password",
        ])
        .args(["--mfa-code", &code, "--log-file", &log])
        .env("IMGEDIT_LOG", "trace")
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .success();
    codes.push(code);
    said.push(String::from_utf8_lossy(&a.get_output().stderr).into_owned());
    stdouts.push(String::from_utf8_lossy(&a.get_output().stdout).into_owned());
    let wrong = wrong_code(&secret);
    let a = pool
        .login(
            &sb,
            &["-vv", "--mfa-code", &wrong, "--log-file", &log],
            &format!("{PASSWORD}\n"),
        )
        .code(5);
    codes.push(wrong);
    said.push(String::from_utf8_lossy(&a.get_output().stderr).into_owned());
    let mut c = cache(&sb);
    c["expires_at"] = serde_json::json!(0);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    let a = pool
        .cmd(&sb)
        .args(["-vv", "whoami", "--log-file", &log])
        .env("IMGEDIT_LOG", "trace")
        .assert()
        .success();
    said.push(String::from_utf8_lossy(&a.get_output().stderr).into_owned());
    stdouts.push(String::from_utf8_lossy(&a.get_output().stdout).into_owned());

    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains("AssociateSoftwareToken"), "{log_text}");
    assert!(log_text.contains("VerifySoftwareToken"), "{log_text}");
    assert!(log_text.contains("MFA_SETUP"), "{log_text}");
    assert!(log_text.contains("REFRESH_TOKEN_AUTH"), "{log_text}");
    // one sign-in logged to stderr instead of the file
    assert!(said[1].contains("SOFTWARE_TOKEN_MFA"), "{}", said[1]);

    let mut secrets = BTreeSet::from([secret.clone(), PASSWORD.to_string()]);
    let chunks = grouped.windows(2).map(|w| w.join(" "));
    secrets.extend(chunks);
    let cache_file = sb.path("config/tokens/default.json");
    for path in walk(sb.dir.path()).iter().filter(|p| **p != cache_file) {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{s:?} is in {}", path.display());
        }
        for s in &codes {
            assert!(!has_code(&text, s), "{s:?} is in {}", path.display());
        }
    }
    for text in &said {
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{s:?} is in stderr:\n{text}");
        }
        for s in &codes {
            assert!(!has_code(text, s), "{s:?} is in stderr:\n{text}");
        }
    }
    // stdout shows the secret only while setting the app up, and never a code
    for (i, text) in stdouts.iter().enumerate() {
        for s in &codes {
            assert!(!has_code(text, s), "a code is in stdout #{i}:\n{text}");
        }
        if i > 0 {
            assert!(
                !text.contains(&secret),
                "the secret is in stdout #{i}:\n{text}"
            );
        }
    }
}

/// Whether a 6-digit code stands in `text` as a number of its own: not inside a longer run of
/// digits, and not a timestamp's microseconds (`11:21:36.123456Z`), which would match a code by
/// chance about once in a thousand runs of a trace log.
fn has_code(text: &str, code: &str) -> bool {
    let b = text.as_bytes();
    text.match_indices(code).any(|(i, m)| {
        let before = i.checked_sub(1).map(|j| b[j]);
        let after = b.get(i + m.len()).copied();
        !before.is_some_and(|c| c.is_ascii_digit() || c == b'.')
            && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn a_code_is_found_as_a_number_of_its_own_not_inside_timestamps() {
    assert!(has_code("USER_CODE: \"123456\"", "123456"));
    assert!(has_code("123456", "123456"));
    assert!(!has_code("2026-11-30T11:21:36.123456Z", "123456"));
    assert!(!has_code("x9123456", "123456"));
    assert!(!has_code("1234567", "123456"));
}
