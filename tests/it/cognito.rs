//! `imgedit login/whoami/logout` against a real Cognito emulator (MiniStack, which verifies SRP
//! proofs) on 127.0.0.1. `scripts/test` starts it and sets IMGEDIT_TEST_MINISTACK; without it the
//! tests are skipped with a message, unless CI is set, where they fail.

use std::io::{Read, Write};

use aws_sdk_cognitoidentityprovider as cip;
use cip::types::{AttributeType, ExplicitAuthFlowsType, MessageActionType};
use predicates::prelude::*;

use crate::common::*;

pub const PASSWORD: &str = "Corr3ct-Horse-Battery!";

/// A fresh pool, app client and user in the emulator.
#[derive(Clone)]
pub struct Pool {
    pub url: String,
    pub pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub username: String,
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub async fn admin(url: &str) -> cip::Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(cip::config::Credentials::new(
            "test", "test", None, None, "tests",
        ))
        .load()
        .await;
    cip::Client::new(&cfg)
}

/// `permanent = false` leaves the user in FORCE_CHANGE_PASSWORD (NEW_PASSWORD_REQUIRED).
pub fn provision(url: &str, permanent: bool) -> Pool {
    provision_with(url, permanent, false)
}

/// As `provision`, optionally with an app client that has a secret (SECRET_HASH required).
pub fn provision_with(url: &str, permanent: bool, secret: bool) -> Pool {
    rt().block_on(async {
        let c = admin(url).await;
        let name = format!("imgedit-{}", uuid::Uuid::new_v4().simple());
        let pool = c.create_user_pool().pool_name(&name).send().await.unwrap();
        let pool_id = pool.user_pool().unwrap().id().unwrap().to_string();
        let client = c
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name("imgedit-cli")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserSrpAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .generate_secret(secret)
            .send()
            .await
            .unwrap();
        let client_id = client
            .user_pool_client()
            .unwrap()
            .client_id()
            .unwrap()
            .to_string();
        let client_secret = client
            .user_pool_client()
            .unwrap()
            .client_secret()
            .map(str::to_string);
        let username = "alice".to_string();
        c.admin_create_user()
            .user_pool_id(&pool_id)
            .username(&username)
            .temporary_password(if permanent {
                "Temp-Passw0rd!"
            } else {
                PASSWORD
            })
            .message_action(MessageActionType::Suppress)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value("alice@example.com")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        if permanent {
            c.admin_set_user_password()
                .user_pool_id(&pool_id)
                .username(&username)
                .password(PASSWORD)
                .permanent(true)
                .send()
                .await
                .unwrap();
        }
        Pool {
            url: url.to_string(),
            pool_id,
            client_id,
            client_secret,
            username,
        }
    })
}

impl Pool {
    pub fn cmd(&self, sb: &Sandbox) -> assert_cmd::Command {
        let mut c = sb.cmd();
        c.env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &self.url)
            .env("IMGEDIT_COGNITO_USER_POOL_ID", &self.pool_id)
            .env("IMGEDIT_COGNITO_CLIENT_ID", &self.client_id)
            .env("AWS_EC2_METADATA_DISABLED", "true");
        if let Some(secret) = &self.client_secret {
            c.env("IMGEDIT_COGNITO_CLIENT_SECRET", secret);
        }
        c
    }

    pub fn login(&self, sb: &Sandbox, extra: &[&str], stdin: &str) -> assert_cmd::assert::Assert {
        self.cmd(sb)
            .args(["login", "--username", &self.username, "--password-stdin"])
            .args(extra)
            .write_stdin(stdin.to_string())
            .assert()
    }

    fn jwks(&self) -> serde_json::Value {
        let rest = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(rest).unwrap();
        write!(
            s,
            "GET /{}/.well-known/jwks.json HTTP/1.1\r\nHost: {rest}\r\nConnection: close\r\n\r\n",
            self.pool_id
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let body = resp.split("\r\n\r\n").nth(1).unwrap();
        serde_json::from_str(body).unwrap()
    }

    /// Verifies an ID token's RS256 signature against the pool's JWKS, with iss, aud and token_use.
    pub fn verify_id_token(&self, token: &str) -> serde_json::Value {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(self.jwks()).unwrap();
        let jwk = jwks
            .find(header.kid.as_deref().unwrap())
            .expect("kid in the JWKS");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        v.set_issuer(&[format!(
            "https://cognito-idp.us-east-1.amazonaws.com/{}",
            self.pool_id
        )]);
        v.set_audience(&[&self.client_id]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).unwrap();
        assert_eq!(data.claims["token_use"], "id");
        data.claims
    }
}

/// The cached tokens of the default profile.
pub fn cache(sb: &Sandbox) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(sb.path("config/tokens/default.json")).unwrap()).unwrap()
}

/// Every byte imgedit wrote under the sandbox, except the token cache itself.
fn scan_for(sb: &Sandbox, needle: &str, outputs: &[Vec<u8>]) {
    for o in outputs {
        assert!(
            !String::from_utf8_lossy(o).contains(needle),
            "the password appeared in output"
        );
    }
    for entry in walk(sb.dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(needle),
            "the password appeared in {}",
            entry.display()
        );
    }
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn srp_login_gives_verifiable_tokens_and_a_private_cache() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, true);
    let sb = Sandbox::new();
    let login = pool
        .login(&sb, &[], &format!("{PASSWORD}\n"))
        .success()
        .stderr(predicate::str::contains("signed in as alice"));
    let c = cache(&sb);
    let claims = pool.verify_id_token(c["id_token"].as_str().unwrap());
    assert_eq!(claims["cognito:username"], "alice");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(sb.path("config/tokens/default.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let who = pool.cmd(&sb).args(["whoami", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&who.get_output().stdout).unwrap();
    assert_eq!(v["user"], "alice");
    assert_eq!(v["user_pool_id"], pool.pool_id.as_str());
    assert_eq!(v["refreshed"], false);
    let out = login.get_output();
    scan_for(
        &sb,
        PASSWORD,
        &[
            out.stdout.clone(),
            out.stderr.clone(),
            who.get_output().stdout.clone(),
        ],
    );
}

#[test]
fn wrong_password_is_plain_words_and_exit_5() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, true);
    let sb = Sandbox::new();
    let wrong = "Not-The-Password-1!";
    let a = pool
        .login(&sb, &[], &format!("{wrong}\n"))
        .code(5)
        .stderr(predicate::str::contains("wrong user name or password"));
    assert!(!sb.path("config/tokens/default.json").exists());
    let out = a.get_output();
    scan_for(&sb, wrong, &[out.stdout.clone(), out.stderr.clone()]);
    // an unknown user gets the same words
    pool.cmd(&sb)
        .args(["login", "--username", "mallory", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(5)
        .stderr(predicate::str::contains("wrong user name or password"));
}

#[test]
fn user_password_auth_flow() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, true);
    let sb = Sandbox::new();
    pool.login(&sb, &["--auth-flow", "password"], &format!("{PASSWORD}\n"))
        .success();
    pool.verify_id_token(cache(&sb)["id_token"].as_str().unwrap());
}

#[test]
fn new_password_required_is_answered() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, false);
    let sb = Sandbox::new();
    let new_password = "Brand-New-Passw0rd!";
    let a = pool
        .login(&sb, &[], &format!("{PASSWORD}\n{new_password}\n"))
        .success();
    pool.verify_id_token(cache(&sb)["id_token"].as_str().unwrap());
    // the new password works from now on
    let sb2 = Sandbox::new();
    pool.login(&sb2, &[], &format!("{new_password}\n"))
        .success();
    let out = a.get_output();
    scan_for(&sb, new_password, &[out.stdout.clone(), out.stderr.clone()]);
}

#[test]
fn tokens_near_expiry_are_refreshed_transparently() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, true);
    let sb = Sandbox::new();
    pool.login(&sb, &[], &format!("{PASSWORD}\n")).success();
    let mut c = cache(&sb);
    let old_id = c["id_token"].as_str().unwrap().to_string();
    c["expires_at"] = serde_json::json!(chrono::Utc::now().timestamp() + 60);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    let who = pool.cmd(&sb).args(["whoami", "--json"]).assert().success();
    let v: serde_json::Value = serde_json::from_slice(&who.get_output().stdout).unwrap();
    assert_eq!(v["refreshed"], true);
    assert!(v["seconds_left"].as_i64().unwrap() > 300);
    let fresh = cache(&sb);
    assert_ne!(fresh["id_token"], old_id.as_str());
    pool.verify_id_token(fresh["id_token"].as_str().unwrap());
}

#[test]
fn logout_everywhere_ends_the_session() {
    let Some(url) = ministack() else { return };
    let pool = provision(&url, true);
    let sb = Sandbox::new();
    pool.login(&sb, &[], &format!("{PASSWORD}\n")).success();
    let saved = std::fs::read(sb.path("config/tokens/default.json")).unwrap();
    // GlobalSignOut revokes tokens issued before it; the emulator compares whole seconds: wait
    // until the second the tokens were issued in (at the latest, this one) has passed.
    let unix = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let issued = unix();
    assert!(wait_until(std::time::Duration::from_secs(3), || unix() > issued));
    pool.cmd(&sb)
        .args(["logout", "--everywhere"])
        .assert()
        .success()
        .stderr(predicate::str::contains("signed out on every device"));
    assert!(!sb.path("config/tokens/default.json").exists());
    pool.cmd(&sb)
        .args(["whoami"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("run imgedit login"));
    // the old refresh token no longer works either
    let mut c: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    c["expires_at"] = serde_json::json!(0);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    pool.cmd(&sb)
        .args(["whoami"])
        .assert()
        .code(5)
        .stderr(predicate::str::contains("run imgedit login"));
}

#[test]
fn login_without_a_pool_says_how_to_configure_one() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["login", "--username", "a", "--password-stdin"])
        .write_stdin("x\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cognito.user_pool_id"));
}

#[test]
fn an_app_client_with_a_secret_gets_secret_hashes() {
    let Some(url) = ministack() else { return };
    let pool = provision_with(&url, true, true);
    assert!(pool.client_secret.is_some());
    let sb = Sandbox::new();
    pool.login(&sb, &[], &format!("{PASSWORD}\n")).success();
    pool.login(&sb, &["--auth-flow", "password"], &format!("{PASSWORD}\n"))
        .success();
    // refresh needs the SECRET_HASH too
    let mut c = cache(&sb);
    c["expires_at"] = serde_json::json!(0);
    std::fs::write(sb.path("config/tokens/default.json"), c.to_string()).unwrap();
    pool.cmd(&sb)
        .args(["whoami"])
        .assert()
        .success()
        .stdout(predicate::str::contains("just refreshed"));
    // without the secret the pool refuses
    let sb2 = Sandbox::new();
    pool.cmd(&sb2)
        .env_remove("IMGEDIT_COGNITO_CLIENT_SECRET")
        .args(["login", "--username", "alice", "--password-stdin"])
        .write_stdin(format!("{PASSWORD}\n"))
        .assert()
        .code(5);
}
