//! Cognito JWT verification for `/image-edit`: RS256 against the user pool's JWKS (fetched once,
//! cached, fetched again when a token names an unknown key), then `iss`, `exp`, `token_use` and
//! `aud` (ID tokens) or `client_id` (access tokens).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::{Mutex, RwLock};

use crate::error::error_chain;

/// Why a token was refused (never shown to the caller, who only sees 401 Unauthorized; logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no token in the Authorization header")]
    Missing,
    #[error("the token has expired")]
    Expired,
    #[error("the token is malformed: {0}")]
    Malformed(String),
    #[error("the token's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the token was issued by {0}, not this user pool")]
    WrongIssuer(String),
    #[error("the token is for app client {0}, which this server does not accept")]
    WrongClient(String),
    #[error("token_use is {0:?}; expected id or access")]
    WrongUse(String),
    #[error("cannot fetch the user pool's keys: {0}")]
    Jwks(String),
}

/// Where the verifier finds the pool and what it accepts.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub region: String,
    pub user_pool_id: String,
    /// App client ids whose tokens are accepted.
    pub client_ids: Vec<String>,
    /// The JWKS URL; by default Cognito's, or under `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`.
    pub jwks_url: String,
}

impl JwtConfig {
    /// The issuer every token of the pool carries.
    pub fn issuer(&self) -> String {
        format!(
            "https://cognito-idp.{}.amazonaws.com/{}",
            self.region, self.user_pool_id
        )
    }

    /// The pool's JWKS URL: under `endpoint` when given (an emulator), else Cognito's.
    pub fn default_jwks_url(region: &str, user_pool_id: &str, endpoint: Option<&str>) -> String {
        match endpoint {
            Some(e) => format!(
                "{}/{user_pool_id}/.well-known/jwks.json",
                e.trim_end_matches('/')
            ),
            None => {
                format!(
                    "https://cognito-idp.{region}.amazonaws.com/{user_pool_id}/.well-known/jwks.json"
                )
            }
        }
    }
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    #[serde(default)]
    kty: String,
    #[serde(default)]
    n: String,
    #[serde(default)]
    e: String,
}

/// The claims a verified token yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub subject: String,
    pub username: Option<String>,
    pub token_use: String,
}

/// Verifies tokens; cheap to share behind an `Arc`.
pub struct JwtVerifier {
    config: JwtConfig,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the JWKS was last fetched: unknown `kid`s trigger at most one fetch per interval.
    last_fetch: Mutex<Option<Instant>>,
}

/// The shortest interval between two JWKS fetches caused by unknown key ids.
const REFETCH_INTERVAL: Duration = Duration::from_secs(10);

impl JwtVerifier {
    /// A verifier for the pool; an HTTP client that cannot be built (no TLS backend) is an error,
    /// never a default client without the fetch timeout.
    pub fn new(config: JwtConfig) -> Result<Self, TokenError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| {
                TokenError::Jwks(format!("cannot set up an HTTP client: {}", error_chain(&e)))
            })?;
        Ok(JwtVerifier {
            config,
            http,
            keys: RwLock::new(HashMap::new()),
            last_fetch: Mutex::new(None),
        })
    }

    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Fetches the JWKS now (used at start-up so a wrong pool id shows at once).
    pub async fn fetch_keys(&self) -> Result<usize, TokenError> {
        let mut last = self.last_fetch.lock().await;
        self.fetch_locked(&mut last).await
    }

    async fn fetch_locked(&self, last: &mut Option<Instant>) -> Result<usize, TokenError> {
        *last = Some(Instant::now());
        let url = &self.config.jwks_url;
        tracing::debug!(url, "fetching the pool's signing keys");
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| TokenError::Jwks(format!("{url}: {}", error_chain(&e))))?;
        if !resp.status().is_success() {
            return Err(TokenError::Jwks(format!("{url}: HTTP {}", resp.status())));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| TokenError::Jwks(format!("{url}: {e}")))?;
        let jwks: Jwks = serde_json::from_slice(&bytes)
            .map_err(|e| TokenError::Jwks(format!("{url}: not a JWKS: {e}")))?;
        let mut keys = HashMap::new();
        for k in jwks.keys.iter().filter(|k| k.kty == "RSA") {
            if let Ok(key) = DecodingKey::from_rsa_components(&k.n, &k.e) {
                keys.insert(k.kid.clone(), key);
            }
        }
        let n = keys.len();
        *self.keys.write().await = keys;
        Ok(n)
    }

    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, TokenError> {
        if let Some(k) = self.keys.read().await.get(kid) {
            return Ok(Some(k.clone()));
        }
        let mut last = self.last_fetch.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if let Some(k) = self.keys.read().await.get(kid) {
            return Ok(Some(k.clone()));
        }
        if last.is_some_and(|t| t.elapsed() < REFETCH_INTERVAL) {
            return Ok(None);
        }
        self.fetch_locked(&mut last).await?;
        Ok(self.keys.read().await.get(kid).cloned())
    }

    /// Verifies an `Authorization` header value (a raw token, or `Bearer <token>`).
    pub async fn verify_header(&self, header: Option<&str>) -> Result<Verified, TokenError> {
        let raw = header.map(str::trim).unwrap_or("");
        let token = raw
            .strip_prefix("Bearer ")
            .or_else(|| raw.strip_prefix("bearer "))
            .unwrap_or(raw)
            .trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        self.verify(token).await
    }

    /// Verifies a token.
    pub async fn verify(&self, token: &str) -> Result<Verified, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::Malformed(format!(
                "algorithm {:?}; Cognito signs with RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Malformed("no kid in the header".into()))?;
        let key = self
            .key(&kid)
            .await?
            .ok_or_else(|| TokenError::BadSignature(format!("unknown key id {kid}")))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_aud = false;
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "iss"]);
        let data = jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).map_err(
            |e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    TokenError::BadSignature("signature mismatch".into())
                }
                _ => TokenError::Malformed(e.to_string()),
            },
        )?;
        let claims = data.claims;
        let s = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let iss = s("iss").unwrap_or_default();
        if iss != self.config.issuer() {
            return Err(TokenError::WrongIssuer(iss));
        }
        let token_use = s("token_use").unwrap_or_default();
        let client = match token_use.as_str() {
            "id" => s("aud"),
            "access" => s("client_id"),
            other => return Err(TokenError::WrongUse(other.to_string())),
        }
        .unwrap_or_default();
        if !self.config.client_ids.contains(&client) {
            return Err(TokenError::WrongClient(client));
        }
        Ok(Verified {
            subject: s("sub").unwrap_or_default(),
            username: s("cognito:username").or_else(|| s("username")),
            token_use,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    /// A key made for these tests only (2048-bit RSA): the private half as PKCS#1 DER in
    /// base64, the public half as the JWKS's `n` and `e`.
    const PRIVATE_DER: &str = "MIIEowIBAAKCAQEAlQZbtLHqmsPKpMhYeJ3S4vsct85uDcvHySkmvA6KyFhv9NtsKQb4NcpA6zCHx3OAax3HJjz/mKUBVZuJ7eHCoeh55nQFTM3dZGcz/gM432xIqvaaKNATEyLlSVTzTMqdqf5F9lA2+TC2iGAMiXK+OhrYOipRwCxBKfaA39yT0lPOyiWSJtjRUUz5E0HrdvtClxmd8WQNUwhd/vqsVm6R2kylrfRYhlw1zOzHL8P3q+Z0gVXo3x9LWj+V6oYvTYg1p3efN/DtgOSy5EyYXbv8PkFke19x7pTlRfe84OEt5sNONUQLWL8Cyj7XHQLklWZxW31ouGvxh+WNdk5q3CC0tQIDAQABAoIBABW4Z4VeqSMFhnOd/8cUubf7gaQIomHAYc4gAVVHiVLKEQdPM+SG74ZnhC7DVAbt/rmeDXi1S0ukQR2JHgFd9lBC4gGEx4D6QFpx8FIFhjSKQ80nRDDOovkXDPQzPYLjxTcRqIDOEDUhtHkMBsfBwZgWcY2IvYGU8ap8EyyNqb3t4DGC/riZR2SoFFzldHM40bGqAU5F8blAYXsVz601lGHTd6vq4jhs5FPyI59Ettwh6gwQOlF4yAoP+XKDQNcLgpr3jia4zrnUakcbWSpBiX9QnblFFFrh4BuHdk13yI2dX8wx/niD/h04gZ/+k5H+c0GZmDFGms314o89fefv38ECgYEAyEuLf883niFkRsnujCE4Wrb4dhBvW3bmF7t3vpnbKcaNbxQ8SNGXE9K6aTMNtat3S7r1OxkKr+4Feb53UtgFS931N8PQD06bY62m/Gqk9+TiW0vFJIl9Ha7aWGP7+qZg1dDE4KrshKiESAnWfF7LLt9ujXQq6kJTbG0kdVCe2rcCgYEAvniDVqQsIoTT3y2eYNFU/5uik7eYgCOwWhxLUtrhaE62Ye1Ewtw+krtqxG9o6FuJJq9gFDbGTwSrONX0nSXZtAMgZBG+hjg0nc5LjThFOls+hpACkSXkBx+z2yLld7dvZ2mYLkGyJ3q+cvlwfhE+7Lia0K8PZDOK00igYyzMr/MCgYEAl6PiNFxcvkKHmbRt/vdzo/Jcv34H4NZus08CBHKVY9Zn484NKhBL8f0blmPJoF31joc3/Isj9TgeOyLBUh4sPFkJuzNrhPs9V8Tz5KyUwv0thnMiCVxyNhPYSQ1Bi22FaLuLIpElSfYPWD7ifPyDlbQhDcUCbKLUaAVlkc/8xJcCgYAmGIyMY8HAFbkaxlELJFNP3J0j1nDWEE1ReJ9ILycuaa/o3kAGiW6qgnnUWEQvVT+VUTZyVJJNc62bbI/EbrGgY4+y9CmbRtqfRYeu8zZFecKDv4ID7gQxuJGMnuoui63ojSI2/kTXyKEW9fUeAe0IA9RTMPBvJi/6GmiZ7XfzKQKBgBgzAHP45Par2enmBpHJ5Gq5Xof4TrRUaSKMN+XDI2IqZUxxm1YK8fFXHjQDbQoGve3y7VdcJqr+v1s5YA/XO2KgeT+b090AuoFukfIVo5uVkLGAwg6ABPyb9pUe73ONYSL1EHOg7ghXGb4y8WIoOGJzaKcaEmK9nVLu7k5D5scH";
    const N: &str = "lQZbtLHqmsPKpMhYeJ3S4vsct85uDcvHySkmvA6KyFhv9NtsKQb4NcpA6zCHx3OAax3HJjz_mKUBVZuJ7eHCoeh55nQFTM3dZGcz_gM432xIqvaaKNATEyLlSVTzTMqdqf5F9lA2-TC2iGAMiXK-OhrYOipRwCxBKfaA39yT0lPOyiWSJtjRUUz5E0HrdvtClxmd8WQNUwhd_vqsVm6R2kylrfRYhlw1zOzHL8P3q-Z0gVXo3x9LWj-V6oYvTYg1p3efN_DtgOSy5EyYXbv8PkFke19x7pTlRfe84OEt5sNONUQLWL8Cyj7XHQLklWZxW31ouGvxh-WNdk5q3CC0tQ";
    const E: &str = "AQAB";

    fn config() -> JwtConfig {
        JwtConfig {
            region: "us-east-1".into(),
            user_pool_id: "us-east-1_pool".into(),
            client_ids: vec!["client-1".into()],
            // nothing listens: every key comes from the test, never a fetch
            jwks_url: "http://127.0.0.1:9/jwks.json".into(),
        }
    }

    /// A verifier that knows the test key as `kid1` and fetches nothing.
    async fn verifier() -> JwtVerifier {
        let v = JwtVerifier::new(config()).unwrap();
        let key = DecodingKey::from_rsa_components(N, E).unwrap();
        v.keys.write().await.insert("kid1".into(), key);
        *v.last_fetch.lock().await = Some(Instant::now());
        v
    }

    fn claims() -> serde_json::Value {
        json!({
            "sub": "user-1",
            "cognito:username": "alice",
            "iss": config().issuer(),
            "aud": "client-1",
            "token_use": "id",
            "exp": chrono::Utc::now().timestamp() + 600,
        })
    }

    fn signed(kid: &str, claims: &serde_json::Value) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        use base64::Engine as _;
        let der = base64::engine::general_purpose::STANDARD
            .decode(PRIVATE_DER)
            .unwrap();
        let key = EncodingKey::from_rsa_der(&der);
        jsonwebtoken::encode(&header, claims, &key).unwrap()
    }

    fn with(change: impl Fn(&mut serde_json::Value)) -> serde_json::Value {
        let mut c = claims();
        change(&mut c);
        c
    }

    #[tokio::test]
    async fn a_good_token_verifies_and_every_kind_of_bad_one_is_refused_for_its_reason() {
        let v = verifier().await;
        let good = signed("kid1", &claims());
        let ok = v.verify(&good).await.unwrap();
        assert_eq!(
            (ok.subject.as_str(), ok.username.as_deref()),
            ("user-1", Some("alice"))
        );

        // one character inside the signature changed: the RSA check refuses it
        let sig = good.rfind('.').unwrap() + 1;
        let mut bad = good.clone().into_bytes();
        let at = sig + (bad.len() - sig) / 2;
        bad[at] = if bad[at] == b'A' { b'B' } else { b'A' };
        let bad = String::from_utf8(bad).unwrap();
        assert!(matches!(
            v.verify(&bad).await,
            Err(TokenError::BadSignature(_))
        ));

        let cases: Vec<(String, &str)> = vec![
            (signed("kid2", &claims()), "unknown key"),
            (
                signed(
                    "kid1",
                    &with(|c| c["iss"] = json!("https://evil.example/pool")),
                ),
                "issuer",
            ),
            (
                signed("kid1", &with(|c| c["aud"] = json!("client-2"))),
                "client",
            ),
            (
                signed(
                    "kid1",
                    &with(|c| c["exp"] = json!(chrono::Utc::now().timestamp() - 5)),
                ),
                "expired",
            ),
            (
                signed("kid1", &with(|c| c["token_use"] = json!("refresh"))),
                "use",
            ),
        ];
        for (token, why) in cases {
            let e = v.verify(&token).await.unwrap_err();
            let right = match why {
                "unknown key" => matches!(e, TokenError::BadSignature(_)),
                "issuer" => matches!(e, TokenError::WrongIssuer(_)),
                "client" => matches!(e, TokenError::WrongClient(_)),
                "expired" => e == TokenError::Expired,
                _ => matches!(e, TokenError::WrongUse(_)),
            };
            assert!(right, "{why}: {e:?}");
        }

        // alg none, and HS256 keyed with the public key: refused before any key is used
        let b64 = |v: &serde_json::Value| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
        };
        let none = format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "kid": "kid1", "typ": "JWT"})),
            b64(&claims())
        );
        assert!(v.verify(&none).await.is_err());
        let mut hs = Header::new(Algorithm::HS256);
        hs.kid = Some("kid1".into());
        let hs256 =
            jsonwebtoken::encode(&hs, &claims(), &EncodingKey::from_secret(N.as_bytes())).unwrap();
        assert!(matches!(
            v.verify(&hs256).await,
            Err(TokenError::Malformed(_))
        ));
    }
}
