//! Cognito's SRP-6a (as amazon-cognito-identity-js's AuthenticationHelper computes it), written out
//! so every step can be checked against known-answer vectors: the RFC 5054 3072-bit group, g = 2,
//! k = H(pad(N) | pad(g)), HKDF-SHA256 ("Caldera Derived Key", 16 bytes) and the claim signature.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);

fn n() -> BigUint {
    BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default()
}

fn g() -> BigUint {
    BigUint::from(2u32)
}

/// Big-endian bytes with a leading zero byte when the high bit is set (the SDKs' padHex).
fn pad(v: &BigUint) -> Vec<u8> {
    let mut b = v.to_bytes_be();
    if b.first().is_some_and(|&x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    b
}

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().to_vec()
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut m = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

/// The SRP errors a server's challenge can cause.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SrpError {
    #[error("the server's SRP_B is not valid hex or is 0 mod N")]
    BadB,
    #[error("the server's SALT is not valid hex")]
    BadSalt,
    #[error("the server's SECRET_BLOCK is not valid base64")]
    BadSecretBlock,
    #[error("the pool id {0:?} is not REGION_ID")]
    BadPoolId(String),
}

/// One SRP exchange: the private `a` and public `A`.
pub struct SrpSession {
    a: BigUint,
    big_a: BigUint,
}

impl std::fmt::Debug for SrpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SrpSession { .. }")
    }
}

impl SrpSession {
    /// A session with a random 128-byte `a`.
    pub fn new() -> Self {
        let mut a = [0u8; 128];
        loop {
            for b in a.iter_mut() {
                *b = rand::random();
            }
            if let Some(s) = Self::with_a(&a) {
                return s;
            }
        }
    }

    /// A session with a given `a` (known-answer tests); None when A would be 0 mod N.
    pub fn with_a(a_bytes: &[u8]) -> Option<Self> {
        let a = BigUint::from_bytes_be(a_bytes);
        let big_a = g().modpow(&a, &n());
        (big_a != BigUint::default()).then_some(SrpSession { a, big_a })
    }

    /// SRP_A for InitiateAuth, lowercase hex.
    pub fn srp_a(&self) -> String {
        self.big_a.to_str_radix(16)
    }

    /// PASSWORD_CLAIM_SIGNATURE for the PASSWORD_VERIFIER challenge.
    #[allow(clippy::too_many_arguments)]
    pub fn claim_signature(
        &self,
        pool_id: &str,
        user_id: &str,
        password: &str,
        salt_hex: &str,
        srp_b_hex: &str,
        secret_block_b64: &str,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let pool_name = pool_id
            .split_once('_')
            .map(|(_, name)| name)
            .ok_or_else(|| SrpError::BadPoolId(pool_id.to_string()))?;
        let n = n();
        let big_b = BigUint::parse_bytes(srp_b_hex.as_bytes(), 16).ok_or(SrpError::BadB)?;
        if &big_b % &n == BigUint::default() {
            return Err(SrpError::BadB);
        }
        let salt = BigUint::parse_bytes(salt_hex.as_bytes(), 16).ok_or(SrpError::BadSalt)?;
        let k = BigUint::from_bytes_be(&sha256(&[&pad(&n), &pad(&g())]));
        let u = BigUint::from_bytes_be(&sha256(&[&pad(&self.big_a), &pad(&big_b)]));
        let inner = sha256(&[format!("{pool_name}{user_id}:{password}").as_bytes()]);
        let x = BigUint::from_bytes_be(&sha256(&[&pad(&salt), &inner]));
        let g_x = g().modpow(&x, &n);
        let kgx = (&k * &g_x) % &n;
        // (B - k g^x) mod N, kept non-negative
        let base = ((&big_b % &n) + &n - kgx) % &n;
        let exp = &self.a + &u * &x;
        let s = base.modpow(&exp, &n);
        // HKDF-SHA256: extract with salt = pad(u), expand one block with the info string.
        let prk = hmac(&pad(&u), &[&pad(&s)]);
        let okm = hmac(&prk, &[b"Caldera Derived Key", &[1u8]]);
        let key = &okm[..16];
        let secret_block = base64::engine::general_purpose::STANDARD
            .decode(secret_block_b64)
            .map_err(|_| SrpError::BadSecretBlock)?;
        let sig = hmac(
            key,
            &[
                pool_name.as_bytes(),
                user_id.as_bytes(),
                &secret_block,
                timestamp.as_bytes(),
            ],
        );
        Ok(base64::engine::general_purpose::STANDARD.encode(sig))
    }
}

impl Default for SrpSession {
    fn default() -> Self {
        Self::new()
    }
}

/// Cognito's timestamp: `EEE MMM d HH:mm:ss UTC yyyy` in English with an unpadded day.
pub fn timestamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%a %b %-d %H:%M:%S UTC %Y").to_string()
}

/// SECRET_HASH = Base64(HMAC-SHA256(key = client secret, message = username + client id)).
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let mac = hmac(
        client_secret.as_bytes(),
        &[username.as_bytes(), client_id.as_bytes()],
    );
    base64::engine::general_purpose::STANDARD.encode(mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn known_answer_vectors() {
        let text = include_str!("../../tests/fixtures/cognito_srp_vectors.json");
        let vectors: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
        assert!(vectors.len() >= 3);
        for v in &vectors {
            let s = |k: &str| v[k].as_str().unwrap().to_string();
            let session = SrpSession::with_a(&hex(&s("a"))).unwrap();
            assert_eq!(session.srp_a(), s("SRP_A").to_lowercase(), "SRP_A");
            let sig = session
                .claim_signature(
                    &s("pool_id"),
                    &s("username"),
                    &s("password"),
                    &s("SALT"),
                    &s("SRP_B"),
                    &s("SECRET_BLOCK"),
                    &s("TIMESTAMP"),
                )
                .unwrap();
            assert_eq!(sig, s("PASSWORD_CLAIM_SIGNATURE"));
            // a wrong password gives another signature
            let wrong = session
                .claim_signature(
                    &s("pool_id"),
                    &s("username"),
                    "nope",
                    &s("SALT"),
                    &s("SRP_B"),
                    &s("SECRET_BLOCK"),
                    &s("TIMESTAMP"),
                )
                .unwrap();
            assert_ne!(wrong, s("PASSWORD_CLAIM_SIGNATURE"));
        }
    }

    #[test]
    fn timestamps_have_an_unpadded_day_and_english_names() {
        let t = chrono::Utc.with_ymd_and_hms(2026, 11, 4, 9, 5, 1).unwrap();
        assert_eq!(timestamp(t), "Wed Nov 4 09:05:01 UTC 2026");
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 1, 25, 23, 59, 59)
            .unwrap();
        assert_eq!(timestamp(t), "Sun Jan 25 23:59:59 UTC 2026");
        let t = chrono::Utc.with_ymd_and_hms(2026, 11, 5, 10, 0, 0).unwrap();
        assert_eq!(timestamp(t), "Thu Nov 5 10:00:00 UTC 2026");
    }

    #[test]
    fn secret_hash_matches_a_known_hmac() {
        // HMAC-SHA256(key="key", "The quick brown fox jumps over the lazy dog"), RFC 4231-style check
        assert_eq!(
            secret_hash("key", "The quick brown fox ", "jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
    }

    #[test]
    fn bad_server_values_are_errors() {
        let s = SrpSession::new();
        assert_eq!(
            s.claim_signature("nounderscore", "u", "p", "ab", "ab", "", "t"),
            Err(SrpError::BadPoolId("nounderscore".into()))
        );
        assert_eq!(
            s.claim_signature("r_p", "u", "p", "ab", "0", "", "t"),
            Err(SrpError::BadB)
        );
        assert_eq!(
            s.claim_signature("r_p", "u", "p", "zz", "ab", "", "t"),
            Err(SrpError::BadSalt)
        );
    }
}
