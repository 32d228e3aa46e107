//! InitiateAuth / RespondToAuthChallenge / GlobalSignOut / RevokeToken with the challenges real
//! pools send, and errors in plain words. The password never leaves this module except inside the
//! SDK request of `USER_PASSWORD_AUTH`, and never appears in a message.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, VerifySoftwareTokenResponseType,
};

use super::cache::Tokens;
use super::mfa::{self, MfaMethod, MfaOptions};
use super::prompt::Prompter;
use super::srp::{self, SrpSession};
use crate::error::{Error, Result};

/// Refresh ID and access tokens when they have less than this many seconds left.
pub const REFRESH_MARGIN_SECS: i64 = 300;

/// How to sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthFlow {
    /// USER_SRP_AUTH: the password never leaves this machine.
    #[default]
    Srp,
    /// USER_PASSWORD_AUTH: the password is sent to Cognito over TLS.
    Password,
}

crate::choice::choice!(AuthFlow { Srp => "srp", Password => "password" });

/// The user pool and app client.
#[derive(Clone)]
pub struct CognitoSettings {
    pub user_pool_id: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub region: String,
}

impl std::fmt::Debug for CognitoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CognitoSettings")
            .field("user_pool_id", &self.user_pool_id)
            .field("client_id", &self.client_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

impl CognitoSettings {
    /// The region is the pool id's prefix unless set.
    pub fn new(
        user_pool_id: String,
        client_id: String,
        client_secret: Option<String>,
        region: Option<String>,
    ) -> Result<Self> {
        let region = match region {
            Some(r) => r,
            None => user_pool_id
                .split_once('_')
                .map(|(r, _)| r.to_string())
                .ok_or_else(|| {
                    Error::Usage(format!(
                        "cognito.user_pool_id {user_pool_id:?} is not REGION_ID"
                    ))
                })?,
        };
        Ok(CognitoSettings {
            user_pool_id,
            client_id,
            client_secret,
            region,
        })
    }

    fn secret_hash(&self, username: &str) -> Option<String> {
        self.client_secret
            .as_deref()
            .map(|s| srp::secret_hash(s, username, &self.client_id))
    }
}

/// A client for the pool's region; `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER` is honoured.
/// Sign-in calls are unauthenticated, so no AWS credentials are looked up.
pub async fn client(settings: &CognitoSettings) -> Client {
    let cfg = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(settings.region.clone()))
        .no_credentials()
        .load()
        .await;
    Client::new(&cfg)
}

fn plain_words<E, R>(err: &SdkError<E, R>, what: &str) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let (code, msg) = match err {
        SdkError::ServiceError(se) => (
            se.err().code().unwrap_or("Unknown").to_string(),
            se.err().message().unwrap_or("").to_string(),
        ),
        other => {
            let text = DisplayErrorContext(other).to_string();
            let text = text.split(" (").next().unwrap_or("").to_string();
            return Error::Auth(format!("{what}: cannot reach Cognito: {text}"));
        }
    };
    let lower = msg.to_lowercase();
    let m = match code.as_str() {
        "NotAuthorizedException" if lower.contains("attempts exceeded") => {
            "too many failed attempts: wait a while before trying again".to_string()
        }
        "NotAuthorizedException" if lower.contains("session") => format!(
            "the sign-in session expired before it was finished (Cognito allows a few minutes): run imgedit login again. Cognito said: {msg}"
        ),
        "NotAuthorizedException" if lower.contains("refresh token") || lower.contains("revoked") => {
            "the session has expired or was signed out: run imgedit login".to_string()
        }
        "NotAuthorizedException" if lower.contains("not enabled") || lower.contains("not allowed") => format!(
            "the app client does not allow this sign-in flow: enable it in the app client's authentication flows (ALLOW_USER_SRP_AUTH for --auth-flow srp, ALLOW_USER_PASSWORD_AUTH for --auth-flow password). Cognito said: {msg}"
        ),
        "NotAuthorizedException" | "UserNotFoundException" => "wrong user name or password".to_string(),
        "UserNotConfirmedException" => {
            "the account is not confirmed yet: confirm it with the code Cognito sent, then sign in".to_string()
        }
        "PasswordResetRequiredException" => {
            "a password reset is required: reset the password (forgotten-password flow), then sign in".to_string()
        }
        "TooManyRequestsException" | "TooManyFailedAttemptsException" | "LimitExceededException" => {
            "too many attempts: wait a while before trying again".to_string()
        }
        "CodeMismatchException" | "ExpiredCodeException" => format!(
            "wrong or expired code: run imgedit login again and type the code shown now (an authenticator app's code changes every 30 seconds; check the phone's clock). Cognito said: {msg}"
        ),
        "EnableSoftwareTokenMFAException" => format!(
            "the code does not match the new secret, so the authenticator app was not registered: run imgedit login again, add the new secret it shows, and type the code the app shows then (check the phone's clock). Cognito said: {msg}"
        ),
        "InvalidPasswordException" => format!("the new password does not meet the pool's password policy: {msg}"),
        "InvalidParameterException" if lower.contains("flow") && lower.contains("not enabled") => format!(
            "the app client does not allow this sign-in flow: enable it in the app client's authentication flows (ALLOW_USER_SRP_AUTH for --auth-flow srp, ALLOW_USER_PASSWORD_AUTH for --auth-flow password). Cognito said: {msg}"
        ),
        "ResourceNotFoundException" => format!(
            "the user pool or app client was not found: check cognito.user_pool_id, cognito.client_id and the region. Cognito said: {msg}"
        ),
        _ => format!("{code}: {msg}"),
    };
    Error::Auth(format!("{what}: {m}"))
}

fn tokens_from(
    result: &AuthenticationResultType,
    settings: &CognitoSettings,
    username: &str,
    previous_refresh: Option<String>,
) -> Result<Tokens> {
    let id_token = result
        .id_token()
        .ok_or_else(|| Error::Auth("Cognito returned no ID token".into()))?
        .to_string();
    let access_token = result
        .access_token()
        .ok_or_else(|| Error::Auth("Cognito returned no access token".into()))?
        .to_string();
    Ok(Tokens {
        id_token,
        access_token,
        refresh_token: result
            .refresh_token()
            .map(str::to_string)
            .or(previous_refresh),
        expires_at: chrono::Utc::now().timestamp() + i64::from(result.expires_in().max(60)),
        username: username.to_string(),
        user_pool_id: settings.user_pool_id.clone(),
        client_id: settings.client_id.clone(),
        region: settings.region.clone(),
    })
}

/// Signs in and answers challenges until Cognito returns tokens.
pub async fn login(
    client: &Client,
    settings: &CognitoSettings,
    username: &str,
    password: &str,
    flow: AuthFlow,
    prompter: &mut dyn Prompter,
    mfa: &mut MfaOptions,
) -> Result<Tokens> {
    let srp = SrpSession::new();
    let (mut result, mut challenge, mut challenge_params, mut session) =
        initiate(client, settings, username, password, flow, &srp).await?;
    // Cognito's own name for the user (a UUID when signing in with an alias), used from here on.
    let mut user_id = username.to_string();

    for _ in 0..8 {
        if let Some(r) = &result {
            return tokens_from(r, settings, &user_id, None);
        }
        let Some(name) = challenge.clone() else {
            return Err(Error::Auth(
                "Cognito returned neither tokens nor a challenge".into(),
            ));
        };
        if let Some(id) = challenge_params
            .get("USER_ID_FOR_SRP")
            .or_else(|| challenge_params.get("USERNAME"))
        {
            user_id = id.clone();
        }
        tracing::debug!(challenge = name.as_str(), "Cognito asks for a challenge");
        let mut answers = HashMap::new();
        answers.insert("USERNAME".to_string(), user_id.clone());
        match name {
            ChallengeNameType::PasswordVerifier => {
                let claim = password_claim(&srp, settings, &user_id, password, &challenge_params)?;
                answers.extend(claim);
            }
            ChallengeNameType::NewPasswordRequired => {
                answers.insert("NEW_PASSWORD".into(), new_password(prompter)?);
            }
            ChallengeNameType::MfaSetup => {
                let verified = set_up_app(
                    client,
                    &challenge_params,
                    session.as_deref(),
                    (settings.user_pool_id.as_str(), username),
                    mfa,
                    prompter,
                )
                .await?;
                session = Some(verified);
            }
            ChallengeNameType::SoftwareTokenMfa
            | ChallengeNameType::SmsMfa
            | ChallengeNameType::EmailOtp
            | ChallengeNameType::SelectMfaType => {
                let more = mfa::answer(name.as_str(), &challenge_params, mfa, prompter)?;
                answers.extend(more.ok_or_else(|| cannot_answer(&name))?);
            }
            other => return Err(cannot_answer(&other)),
        }
        if let Some(h) = settings.secret_hash(&user_id) {
            answers.insert("SECRET_HASH".into(), h);
        }
        let reply = respond(client, settings, name, session.clone(), answers).await?;
        (result, challenge, challenge_params) = (reply.0, reply.1, reply.2);
        session = reply.3.or(session);
    }
    Err(Error::Auth(
        "sign-in failed: too many challenges in a row".into(),
    ))
}

/// The error for a challenge imgedit has no answer to.
fn cannot_answer(name: &ChallengeNameType) -> Error {
    Error::Auth(format!(
        "Cognito asked for {}, which imgedit cannot answer",
        name.as_str()
    ))
}

/// Cognito's reply to a sign-in step: the tokens, or the next challenge, its parameters and the
/// session to answer it in.
type Reply = (
    Option<AuthenticationResultType>,
    Option<ChallengeNameType>,
    HashMap<String, String>,
    Option<String>,
);

/// InitiateAuth with the chosen flow: SRP's public value or the password, and the secret hash
/// when the app client has a secret.
async fn initiate(
    client: &Client,
    settings: &CognitoSettings,
    username: &str,
    password: &str,
    flow: AuthFlow,
    srp: &SrpSession,
) -> Result<Reply> {
    let mut params = HashMap::new();
    params.insert("USERNAME".to_string(), username.to_string());
    let flow_type = match flow {
        AuthFlow::Srp => {
            params.insert("SRP_A".to_string(), srp.srp_a());
            AuthFlowType::UserSrpAuth
        }
        AuthFlow::Password => {
            params.insert("PASSWORD".to_string(), password.to_string());
            AuthFlowType::UserPasswordAuth
        }
    };
    if let Some(h) = settings.secret_hash(username) {
        params.insert("SECRET_HASH".to_string(), h);
    }
    tracing::debug!(flow = flow_type.as_str(), client_id = %settings.client_id, user = username, "InitiateAuth");
    let out = client
        .initiate_auth()
        .auth_flow(flow_type)
        .client_id(&settings.client_id)
        .set_auth_parameters(Some(params))
        .send()
        .await
        .map_err(|e| plain_words(&e, "sign-in failed"))?;
    Ok((
        out.authentication_result().cloned(),
        out.challenge_name().cloned(),
        out.challenge_parameters().cloned().unwrap_or_default(),
        out.session().map(str::to_string),
    ))
}

/// PASSWORD_VERIFIER: the SRP password claim (secret block, signature, timestamp) to answer with.
fn password_claim(
    srp: &SrpSession,
    settings: &CognitoSettings,
    user_id: &str,
    password: &str,
    challenge_params: &HashMap<String, String>,
) -> Result<[(String, String); 3]> {
    let get = |k: &str| {
        challenge_params
            .get(k)
            .cloned()
            .ok_or_else(|| Error::Auth(format!("Cognito's PASSWORD_VERIFIER lacks {k}")))
    };
    let timestamp = srp::timestamp(chrono::Utc::now());
    let secret_block = get("SECRET_BLOCK")?;
    let signature = srp
        .claim_signature(
            &settings.user_pool_id,
            user_id,
            password,
            &get("SALT")?,
            &get("SRP_B")?,
            &secret_block,
            &timestamp,
        )
        .map_err(|e| Error::Auth(format!("sign-in failed: {e}")))?;
    Ok([
        ("PASSWORD_CLAIM_SECRET_BLOCK".into(), secret_block),
        ("PASSWORD_CLAIM_SIGNATURE".into(), signature),
        ("TIMESTAMP".into(), timestamp),
    ])
}

/// NEW_PASSWORD_REQUIRED: asks for the new password (twice when a person types it).
fn new_password(prompter: &mut dyn Prompter) -> Result<String> {
    let new = prompter.secret("A new password is required. New password: ")?;
    if prompter.interactive() {
        let again = prompter.secret("Repeat the new password: ")?;
        if again != new {
            return Err(Error::Auth(
                "the two new passwords differ; nothing was changed".into(),
            ));
        }
    }
    Ok(new)
}

/// RespondToAuthChallenge with the answers to one challenge; the reply's session is None when
/// Cognito sent none.
async fn respond(
    client: &Client,
    settings: &CognitoSettings,
    name: ChallengeNameType,
    session: Option<String>,
    answers: HashMap<String, String>,
) -> Result<Reply> {
    let out = client
        .respond_to_auth_challenge()
        .client_id(&settings.client_id)
        .challenge_name(name)
        .set_session(session)
        .set_challenge_responses(Some(answers))
        .send()
        .await
        .map_err(|e| plain_words(&e, "sign-in failed"))?;
    Ok((
        out.authentication_result().cloned(),
        out.challenge_name().cloned(),
        out.challenge_parameters().cloned().unwrap_or_default(),
        out.session().map(str::to_string),
    ))
}

/// MFA_SETUP: registers an authenticator app with the sign-in session (AssociateSoftwareToken,
/// then VerifySoftwareToken with its first code and a device name) and returns the session to
/// answer the challenge with. The secret is shown to the person and goes nowhere else.
async fn set_up_app(
    client: &Client,
    params: &HashMap<String, String>,
    session: Option<&str>,
    (pool, username): (&str, &str),
    options: &MfaOptions,
    prompter: &mut dyn Prompter,
) -> Result<String> {
    let can = mfa::offered(params, "MFAS_CAN_SETUP")?;
    if !can.is_empty() && !can.contains(&MfaMethod::App) {
        let names: Vec<&str> = can.iter().map(|m| m.challenge()).collect();
        return Err(Error::Auth(format!(
            "the pool requires a second factor that imgedit cannot set up ({}): set it up in the web app or ask the pool's administrator, then run imgedit login again",
            names.join(", ")
        )));
    }
    let session = session.ok_or_else(|| {
        Error::Auth("Cognito's MFA_SETUP challenge came without a session".into())
    })?;
    tracing::debug!("AssociateSoftwareToken");
    let out = client
        .associate_software_token()
        .session(session)
        .send()
        .await
        .map_err(|e| plain_words(&e, "setting up the authenticator app failed"))?;
    let secret = out.secret_code().ok_or_else(|| {
        Error::Auth("Cognito returned no secret for the authenticator app".into())
    })?;
    let session = out.session().unwrap_or(session).to_string();
    let uri = mfa::otpauth_uri(secret, "imgedit", &format!("{username} ({pool})"));
    prompter.show(&mfa::setup_text(secret, &uri, options.qr)?)?;
    let typed = prompter.secret("First code shown by the app: ")?;
    let code = mfa::check_code(&typed, true, "the code")?;
    tracing::debug!(device = %options.device_name, "VerifySoftwareToken");
    let out = client
        .verify_software_token()
        .session(&session)
        .user_code(code)
        .friendly_device_name(&options.device_name)
        .send()
        .await
        .map_err(|e| plain_words(&e, "setting up the authenticator app failed"))?;
    if out.status() != Some(&VerifySoftwareTokenResponseType::Success) {
        return Err(Error::Auth(format!(
            "setting up the authenticator app failed: Cognito answered {:?} to the first code",
            out.status().map(|s| s.as_str())
        )));
    }
    prompter.show(&format!(
        "authenticator app registered as {:?}; its code is asked for at every sign-in from now on\n",
        options.device_name
    ))?;
    Ok(out.session().unwrap_or(&session).to_string())
}

/// New ID and access tokens from the refresh token (REFRESH_TOKEN_AUTH).
pub async fn refresh(
    client: &Client,
    settings: &CognitoSettings,
    tokens: &Tokens,
) -> Result<Tokens> {
    let refresh = tokens.refresh_token.clone().ok_or_else(|| {
        Error::Auth("the cached session has no refresh token: run imgedit login".into())
    })?;
    let mut params = HashMap::new();
    params.insert("REFRESH_TOKEN".to_string(), refresh.clone());
    if let Some(h) = settings.secret_hash(&tokens.username) {
        params.insert("SECRET_HASH".to_string(), h);
    }
    tracing::debug!(flow = "REFRESH_TOKEN_AUTH", client_id = %settings.client_id, "InitiateAuth");
    let out = client
        .initiate_auth()
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .client_id(&settings.client_id)
        .set_auth_parameters(Some(params))
        .send()
        .await
        .map_err(|e| {
            let Error::Auth(m) = plain_words(&e, "refreshing the session failed") else {
                return Error::Auth("refreshing the session failed: run imgedit login".into());
            };
            if m.contains("run imgedit login") {
                Error::Auth(m)
            } else {
                Error::Auth(format!("{m}; run imgedit login"))
            }
        })?;
    let result = out.authentication_result().ok_or_else(|| {
        Error::Auth("Cognito returned no tokens on refresh: run imgedit login".into())
    })?;
    tokens_from(result, settings, &tokens.username, Some(refresh))
}

/// Tokens with at least five minutes left, refreshing them when needed (the second value says so).
pub async fn ensure_fresh(
    client: &Client,
    settings: &CognitoSettings,
    tokens: Tokens,
) -> Result<(Tokens, bool)> {
    if tokens.seconds_left() >= REFRESH_MARGIN_SECS {
        return Ok((tokens, false));
    }
    refresh(client, settings, &tokens).await.map(|t| (t, true))
}

/// The tokens cached for `profile`, refreshed (and saved) when under five minutes remain; the
/// second value says whether they were refreshed.
pub async fn cached_fresh(
    settings: &CognitoSettings,
    cache: &super::TokenCache,
    profile: &str,
) -> Result<(Tokens, bool)> {
    let tokens = cache.load()?.ok_or_else(|| {
        Error::Auth(format!(
            "not signed in (profile {profile}): run imgedit login"
        ))
    })?;
    let (tokens, refreshed) = ensure_fresh(&client(settings).await, settings, tokens).await?;
    if refreshed {
        cache.save(&tokens)?;
    }
    Ok((tokens, refreshed))
}

/// Signs the user out of every device (GlobalSignOut): all refresh tokens stop working.
pub async fn global_sign_out(client: &Client, tokens: &Tokens) -> Result<()> {
    client
        .global_sign_out()
        .access_token(&tokens.access_token)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| plain_words(&e, "signing out everywhere failed"))
}

/// Revokes this session's refresh token (RevokeToken).
pub async fn revoke(client: &Client, settings: &CognitoSettings, tokens: &Tokens) -> Result<()> {
    let Some(refresh) = &tokens.refresh_token else {
        return Ok(());
    };
    client
        .revoke_token()
        .token(refresh)
        .client_id(&settings.client_id)
        .set_client_secret(settings.client_secret.clone())
        .send()
        .await
        .map(|_| ())
        .map_err(|e| plain_words(&e, "revoking the session failed"))
}

/// The claims of a JWT, without verifying it (for display only).
pub fn claims(token: &str) -> Option<serde_json::Value> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}
