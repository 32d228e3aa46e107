//! The token cache: one JSON file per profile in the config directory, mode 0600, written
//! atomically. On Windows the file inherits the user profile directory's private ACL.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Tokens of one signed-in user, and where they came from.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Unix seconds when the ID and access tokens expire.
    pub expires_at: i64,
    pub username: String,
    pub user_pool_id: String,
    pub client_id: String,
    pub region: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("username", &self.username)
            .field("user_pool_id", &self.user_pool_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Seconds until the ID and access tokens expire (negative once expired).
    pub fn seconds_left(&self) -> i64 {
        self.expires_at - chrono::Utc::now().timestamp()
    }
}

/// Where a profile's tokens live.
#[derive(Debug, Clone)]
pub struct TokenCache {
    pub path: PathBuf,
}

impl TokenCache {
    /// `<config dir>/tokens/<profile>.json`.
    pub fn for_profile(config_dir: &Path, profile: &str) -> Result<Self> {
        if profile.is_empty()
            || !profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            || profile.starts_with('.')
        {
            return Err(Error::Usage(format!(
                "--profile {profile:?}: use letters, digits, '-', '_' and '.' only"
            )));
        }
        Ok(TokenCache {
            path: config_dir.join("tokens").join(format!("{profile}.json")),
        })
    }

    pub fn load(&self) -> Result<Option<Tokens>> {
        match crate::image_io::files::read_if_exists(
            &self.path,
            crate::image_io::files::SMALL_TEXT,
        )? {
            Some(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::Auth(format!(
                    "{}: unreadable token cache ({e}); run imgedit login",
                    self.path.display()
                ))
            }),
            None => Ok(None),
        }
    }

    /// Writes the tokens: a private temporary file in the same directory, then a rename.
    pub fn save(&self, tokens: &Tokens) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let bytes = serde_json::to_vec_pretty(tokens)
            .map_err(|e| Error::Engine(format!("cannot serialise tokens: {e}")))?;
        crate::image_io::write_private(&self.path, &bytes)
    }

    /// Removes the cache file; true when there was one.
    pub fn remove(&self) -> Result<bool> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            id_token: "id".into(),
            access_token: "access".into(),
            refresh_token: Some("refresh".into()),
            expires_at: 1,
            username: "alice".into(),
            user_pool_id: "us-east-1_x".into(),
            client_id: "c".into(),
            region: "us-east-1".into(),
        }
    }

    #[test]
    fn saved_tokens_round_trip_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let cache = TokenCache::for_profile(dir.path(), "work").unwrap();
        assert_eq!(cache.load().unwrap(), None);
        cache.save(&tokens()).unwrap();
        assert_eq!(cache.load().unwrap(), Some(tokens()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&cache.path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(cache.remove().unwrap());
        assert!(!cache.remove().unwrap());
    }

    #[test]
    fn debug_output_hides_tokens() {
        // values found nowhere else in the struct, so that each one printed would show
        let t = Tokens {
            id_token: "ID-TOKEN-7f3a".into(),
            access_token: "ACCESS-TOKEN-91bc".into(),
            refresh_token: Some("REFRESH-TOKEN-c0de".into()),
            ..tokens()
        };
        let s = format!("{t:?}");
        for secret in ["ID-TOKEN-7f3a", "ACCESS-TOKEN-91bc", "REFRESH-TOKEN-c0de"] {
            assert!(!s.contains(secret), "{secret} in {s}");
        }
        // what Debug shows stays: the user and the pool
        assert!(s.contains("alice") && s.contains("us-east-1_x"), "{s}");
    }

    #[test]
    fn profile_names_cannot_escape_the_directory() {
        let d = Path::new("/tmp");
        assert!(TokenCache::for_profile(d, "../x").is_err());
        assert!(TokenCache::for_profile(d, "").is_err());
        assert!(TokenCache::for_profile(d, "team.prod").is_ok());
    }
}
