//! Who may call `imgedit serve`: starting without auth, Cognito tokens checked against the
//! pool's keys, and CORS origins.

use image::DynamicImage;
use serde_json::{Value, json};

use crate::common::*;

#[test]
fn cors_preflight_and_origin_list() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    let a = rt().block_on(send_async(
        &reqwest::Client::new(),
        reqwest::Method::OPTIONS,
        &edit_url(&s),
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
        ],
        vec![],
    ));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        a.header("access-control-allow-methods"),
        Some("OPTIONS,POST,GET")
    );
    assert!(
        a.header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );

    let s = serve(
        &sb,
        &["--no-auth", "--cors-origin", "https://app.example"],
        &[],
    );
    let pre = |origin: &str| {
        rt().block_on(send_async(
            &reqwest::Client::new(),
            reqwest::Method::OPTIONS,
            &edit_url(&s),
            &[("Origin", origin)],
            vec![],
        ))
    };
    assert_eq!(
        pre("https://app.example").header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        pre("https://evil.example").header("access-control-allow-origin"),
        None
    );
}

#[test]
fn serve_refuses_to_start_without_auth_or_no_auth() {
    let sb = Sandbox::new();
    sb.cmd()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--no-auth"));
    sb.cmd()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-auth",
            "--engine",
            "bedrock",
            "--model",
            "stability.stable-image-erase-object-v1:0",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("inpainting and outpainting"));
}

#[test]
fn tokens_are_checked_against_the_pools_keys() {
    let Some(url) = ministack() else { return };
    let pool = crate::cognito::provision(&url, true);
    let sb = Sandbox::new();
    pool.login(&sb, &[], &format!("{}\n", crate::cognito::PASSWORD))
        .success();
    let cache = crate::cognito::cache(&sb);
    let id = cache["id_token"].as_str().unwrap().to_string();
    let access = cache["access_token"].as_str().unwrap().to_string();

    // a second app client whose ID tokens last one second, and a token from another pool
    let short_client = rt().block_on(async {
        let c = crate::cognito::admin(&url).await;
        use aws_sdk_cognitoidentityprovider::types::{
            ExplicitAuthFlowsType, TimeUnitsType, TokenValidityUnitsType,
        };
        let client = c
            .create_user_pool_client()
            .user_pool_id(&pool.pool_id)
            .client_name("short-lived")
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
            .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
            .id_token_validity(1)
            .token_validity_units(
                TokenValidityUnitsType::builder()
                    .id_token(TimeUnitsType::Seconds)
                    .build(),
            )
            .send()
            .await
            .unwrap();
        client
            .user_pool_client()
            .unwrap()
            .client_id()
            .unwrap()
            .to_string()
    });
    let other_pool = crate::cognito::provision(&url, true);
    let token_of = |p: &crate::cognito::Pool, client: &str| {
        let sb = Sandbox::new();
        let mut p2 = crate::cognito::Pool {
            client_id: client.to_string(),
            ..p.clone()
        };
        p2.client_secret = None;
        p2.login(
            &sb,
            &["--auth-flow", "password"],
            &format!("{}\n", crate::cognito::PASSWORD),
        )
        .success();
        let c = crate::cognito::cache(&sb);
        c["id_token"].as_str().unwrap().to_string()
    };
    let short_lived = token_of(&pool, &short_client);
    let foreign = token_of(&other_pool, &other_pool.client_id);

    let s = serve(
        &sb,
        &[
            "--user-pool-id",
            &pool.pool_id,
            "--client-id",
            &pool.client_id,
        ],
        &[("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &url)],
    );
    let body = small_request();
    let ok = |t: &str| post(&edit_url(&s), Some(t), &body);
    assert_eq!(
        ok(&id).status,
        200,
        "raw ID token, as the browser client sends it"
    );
    assert_eq!(ok(&format!("Bearer {id}")).status, 200);
    assert_eq!(ok(&access).status, 200, "access token");

    let tampered = tampered(&id);
    for (what, token) in [
        ("no token", None),
        ("garbage", Some("not-a-jwt")),
        ("tampered signature", Some(tampered.as_str())),
        ("another pool", Some(foreign.as_str())),
        ("an app client not accepted", Some(short_lived.as_str())),
    ] {
        let a = post(&edit_url(&s), token, &body);
        assert_eq!(a.status, 401, "{what}: {}", short(&a.body));
        assert_eq!(a.json(), json!({"message": "Unauthorized"}), "{what}");
        assert_eq!(a.header("access-control-allow-origin"), Some("*"), "{what}");
    }
    // accepted client, expired token: the server logs why
    let s2 = serve(
        &sb,
        &[
            "--user-pool-id",
            &pool.pool_id,
            "--client-id",
            &short_client,
            "--no-log",
        ],
        &[("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", &url)],
    );
    let claims = {
        use base64::Engine as _;
        let payload = short_lived.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        serde_json::from_slice::<Value>(&bytes).unwrap()
    };
    // a token is good through its exp second: wait (bounded) until that second has passed
    let exp = claims["exp"].as_i64().unwrap();
    wait_until(std::time::Duration::from_secs(10), || {
        chrono::Utc::now().timestamp() > exp
    });
    let a = post(&edit_url(&s2), Some(&short_lived), &body);
    assert_eq!(
        a.status,
        401,
        "a token that expired at {} (issued {}) was accepted at {}",
        claims["exp"],
        claims["iat"],
        chrono::Utc::now().timestamp()
    );
    assert!(
        s2.stderr_with("expired").contains("expired"),
        "{}",
        s2.stderr()
    );
    assert!(!s2.stderr().contains(&short_lived), "the token was logged");

    // the api engine sends the cached token; a refused token says to log in again
    let src = textured(48, 40);
    sb.save("in.png", &DynamicImage::ImageRgb8(src));
    pool.cmd(&sb)
        .args([
            "edit",
            "--engine",
            "api",
            "--api-url",
            &edit_url(&s),
            "--model",
            "local",
        ])
        .args(["in.png", "--rect", "4,4,10,10", "-o", "out.png"])
        .assert()
        .success();
    assert!(sb.path("out.png").exists());
    pool.cmd(&sb)
        .args([
            "edit",
            "--engine",
            "api",
            "--api-url",
            &edit_url(&s),
            "--model",
            "local",
        ])
        .args([
            "in.png",
            "--rect",
            "4,4,10,10",
            "-o",
            "out2.png",
            "--token",
            &foreign,
        ])
        .assert()
        .code(5)
        .stderr(predicates::str::contains("refused the token"));
    assert!(!sb.path("out2.png").exists());
}
