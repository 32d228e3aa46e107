//! `imgedit login`, `imgedit logout`, `imgedit whoami`.

use std::io::IsTerminal;

use crate::auth::cognito::{self, claims};
use crate::auth::mfa;
use crate::auth::prompt::{Prompter, StdinPrompter, TerminalPrompter};
use crate::auth::{CognitoSettings, MfaOptions, TokenCache, Tokens};
use crate::cli::{LoginArgs, LogoutArgs, WhoamiArgs};
use crate::config::{Config, Paths};
use crate::error::{Error, Result};

fn setup(profile: &str) -> Result<(CognitoSettings, TokenCache)> {
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let settings = config.cognito_settings()?;
    let cache = TokenCache::for_profile(&paths.config_dir, profile)?;
    Ok((settings, cache))
}

/// Signs in and caches the tokens.
pub fn login(args: &LoginArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let (settings, cache) = setup(&args.profile)?;
    if let Some(code) = &args.mfa_code {
        mfa::check_code(code, false, "--mfa-code")?;
    }
    if args.mfa_device_name.trim().is_empty() {
        return Err(Error::Usage(
            "--mfa-device-name is empty: give the name the authenticator app is registered under"
                .into(),
        ));
    }
    let mut prompter: Box<dyn Prompter> = if args.password_stdin {
        Box::new(StdinPrompter::new(std::io::stdin().lock()))
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "no terminal to ask for the password: use --password-stdin in scripts".into(),
            ));
        }
        Box::new(TerminalPrompter)
    };
    let username = match &args.username {
        Some(u) => u.clone(),
        None if args.password_stdin => {
            return Err(Error::Usage("--password-stdin needs --username".into()));
        }
        None => prompter.line("User name: ")?,
    };
    if username.is_empty() {
        return Err(Error::Usage("the user name is empty".into()));
    }
    let password = prompter.secret("Password: ")?;
    let mut mfa = MfaOptions {
        code: args.mfa_code.clone(),
        qr: !args.no_qr && std::io::stdout().is_terminal(),
        device_name: args.mfa_device_name.clone(),
    };
    let tokens = rt.block_on(async {
        let client = cognito::client(&settings).await;
        cognito::login(
            &client,
            &settings,
            &username,
            &password,
            args.auth_flow,
            prompter.as_mut(),
            &mut mfa,
        )
        .await
    })?;
    drop(password);
    cache.save(&tokens)?;
    eprintln!(
        "signed in as {} to {} (tokens valid for {} min, cached in {})",
        display_user(&tokens),
        tokens.user_pool_id,
        tokens.seconds_left() / 60,
        cache.path.display()
    );
    Ok(())
}

fn display_user(tokens: &Tokens) -> String {
    claims(&tokens.id_token)
        .and_then(|c| {
            c.get("cognito:username")
                .or_else(|| c.get("email"))
                .and_then(|v| v.as_str().map(str::to_string))
        })
        .unwrap_or_else(|| tokens.username.clone())
}

/// Forgets the cached tokens after revoking them (or signing out everywhere).
pub fn logout(args: &LogoutArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let (settings, cache) = setup(&args.profile)?;
    let Some(tokens) = cache.load()? else {
        eprintln!("not signed in (profile {})", args.profile);
        return Ok(());
    };
    let remote = rt.block_on(async {
        let client = cognito::client(&settings).await;
        if args.everywhere {
            let (fresh, _) = cognito::ensure_fresh(&client, &settings, tokens).await?;
            cognito::global_sign_out(&client, &fresh).await
        } else {
            cognito::revoke(&client, &settings, &tokens).await
        }
    });
    cache.remove()?;
    match remote {
        Ok(()) if args.everywhere => eprintln!("signed out on every device"),
        Ok(()) => eprintln!("signed out"),
        Err(e) => {
            eprintln!("the local tokens were removed, but Cognito was not told: {e}");
            return Err(e);
        }
    }
    Ok(())
}

/// Shows the signed-in user, refreshing the tokens when they are about to expire.
pub fn whoami(args: &WhoamiArgs, rt: &tokio::runtime::Runtime) -> Result<()> {
    let (settings, cache) = setup(&args.profile)?;
    let (tokens, refreshed) =
        rt.block_on(cognito::cached_fresh(&settings, &cache, &args.profile))?;
    let expires = chrono::DateTime::from_timestamp(tokens.expires_at, 0)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "user": display_user(&tokens),
                "user_pool_id": tokens.user_pool_id,
                "client_id": tokens.client_id,
                "region": tokens.region,
                "expires_at": expires,
                "seconds_left": tokens.seconds_left(),
                "refreshed": refreshed,
                "has_refresh_token": tokens.refresh_token.is_some(),
            })
        );
    } else {
        println!("user:    {}", display_user(&tokens));
        println!("pool:    {} ({})", tokens.user_pool_id, tokens.region);
        println!("client:  {}", tokens.client_id);
        println!(
            "expires: {expires} (in {} min{})",
            tokens.seconds_left() / 60,
            if refreshed { ", just refreshed" } else { "" }
        );
    }
    Ok(())
}
