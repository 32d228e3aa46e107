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
