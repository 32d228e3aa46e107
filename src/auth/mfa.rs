//! The second factor: what imgedit shows when a pool makes a user set up an authenticator app
//! (MFA_SETUP: the secret, an `otpauth://` URI and its QR code), and the answers to the code
//! challenges (SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP) and to SELECT_MFA_TYPE. The TOTP secret
//! and the codes are shown or sent, never logged.

use std::collections::HashMap;

use super::prompt::Prompter;
use crate::error::{Error, Result};

/// Digits in an authenticator app's code (RFC 6238 as Cognito uses it).
pub const TOTP_DIGITS: usize = 6;

/// How the second factor is answered, besides what the prompter asks.
#[derive(Clone)]
pub struct MfaOptions {
    /// A code given up front (`--mfa-code`), used for the first code challenge instead of asking.
    pub code: Option<String>,
    /// Draw the `otpauth://` URI as a QR code when setting up an authenticator app.
    pub qr: bool,
    /// The name VerifySoftwareToken registers the authenticator app under.
    pub device_name: String,
}

impl Default for MfaOptions {
    fn default() -> Self {
        MfaOptions {
            code: None,
            qr: false,
            device_name: "imgedit".into(),
        }
    }
}

impl std::fmt::Debug for MfaOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaOptions")
            .field("code", &self.code.as_ref().map(|_| "<hidden>"))
            .field("qr", &self.qr)
            .field("device_name", &self.device_name)
            .finish()
    }
}

/// A second factor Cognito can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaMethod {
    /// A TOTP authenticator app (SOFTWARE_TOKEN_MFA).
    App,
    /// A code sent by SMS (SMS_MFA).
    Sms,
    /// A code sent by e-mail (EMAIL_OTP).
    Email,
}

impl MfaMethod {
    /// Cognito's name for the method (the challenge it leads to).
    pub fn challenge(self) -> &'static str {
        match self {
            MfaMethod::App => "SOFTWARE_TOKEN_MFA",
            MfaMethod::Sms => "SMS_MFA",
            MfaMethod::Email => "EMAIL_OTP",
        }
    }

    fn from_challenge(name: &str) -> Option<Self> {
        match name {
            "SOFTWARE_TOKEN_MFA" => Some(MfaMethod::App),
            "SMS_MFA" => Some(MfaMethod::Sms),
            "EMAIL_OTP" => Some(MfaMethod::Email),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            MfaMethod::App => "authenticator app",
            MfaMethod::Sms => "SMS",
            MfaMethod::Email => "e-mail",
        }
    }

    /// Words a person may type to pick the method, besides its number.
    fn words(self) -> &'static [&'static str] {
        match self {
            MfaMethod::App => &["app", "totp", "authenticator", "software_token_mfa"],
            MfaMethod::Sms => &["sms", "text", "sms_mfa"],
            MfaMethod::Email => &["email", "e-mail", "mail", "email_otp"],
        }
    }

    /// The key of the code in the challenge responses.
    fn code_key(self) -> &'static str {
        match self {
            MfaMethod::App => "SOFTWARE_TOKEN_MFA_CODE",
            MfaMethod::Sms => "SMS_MFA_CODE",
            MfaMethod::Email => "EMAIL_OTP_CODE",
        }
    }
}

/// The methods named by a challenge parameter that holds a JSON list (`MFAS_CAN_CHOOSE`,
/// `MFAS_CAN_SETUP`), in Cognito's order; names imgedit does not know are left out.
pub fn offered(params: &HashMap<String, String>, key: &str) -> Result<Vec<MfaMethod>> {
    let Some(raw) = params.get(key) else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = serde_json::from_str(raw).map_err(|e| {
        Error::Auth(format!(
            "Cognito's {key} is not a JSON list of names ({e}): {raw:?}"
        ))
    })?;
    let mut methods: Vec<MfaMethod> = Vec::new();
    for m in names.iter().filter_map(|n| MfaMethod::from_challenge(n)) {
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    Ok(methods)
}

/// Answers the second-factor challenges that need nothing but the user's input: the code of
/// SOFTWARE_TOKEN_MFA, SMS_MFA and EMAIL_OTP, and the choice of SELECT_MFA_TYPE. Returns the
/// challenge responses (USERNAME and SECRET_HASH are the caller's), or None for another challenge.
pub fn answer(
    challenge: &str,
    params: &HashMap<String, String>,
    options: &mut MfaOptions,
    prompter: &mut dyn Prompter,
) -> Result<Option<HashMap<String, String>>> {
    let mut answers = HashMap::new();
    if challenge == "SELECT_MFA_TYPE" {
        let method = choose(params, prompter)?;
        answers.insert("ANSWER".to_string(), method.challenge().to_string());
        return Ok(Some(answers));
    }
    let Some(method) = MfaMethod::from_challenge(challenge) else {
        return Ok(None);
    };
    let code = code(method, params, options, prompter)?;
    answers.insert(method.code_key().to_string(), code);
    Ok(Some(answers))
}

/// SELECT_MFA_TYPE: the method to use, asked among those the pool names (none asked when there
/// is only one).
fn choose(params: &HashMap<String, String>, prompter: &mut dyn Prompter) -> Result<MfaMethod> {
    let mut methods = offered(params, "MFAS_CAN_CHOOSE")?;
    if methods.is_empty() {
        // Cognito always names them; an answer without the list still has these two.
        methods = vec![MfaMethod::App, MfaMethod::Sms];
    }
    if let [only] = methods.as_slice() {
        return Ok(*only);
    }
    let menu = methods
        .iter()
        .enumerate()
        .map(|(i, m)| format!("[{}] {}", i + 1, m.label()))
        .collect::<Vec<_>>()
        .join(", ");
    let choice = prompter.line(&format!("Second factor: {menu}: "))?;
    let typed = choice.trim().to_lowercase();
    let picked = typed
        .parse::<usize>()
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| methods.get(i).copied())
        .or_else(|| {
            methods
                .iter()
                .copied()
                .find(|m| m.words().contains(&typed.as_str()))
        });
    picked.ok_or_else(|| {
        Error::Usage(format!(
            "second factor: unknown choice {:?}: answer a number from 1 to {} ({menu})",
            choice.trim(),
            methods.len()
        ))
    })
}

/// The code for a code challenge: `--mfa-code` the first time, else asked; checked for shape.
fn code(
    method: MfaMethod,
    params: &HashMap<String, String>,
    options: &mut MfaOptions,
    prompter: &mut dyn Prompter,
) -> Result<String> {
    let (given, source) = match options.code.take() {
        Some(c) => (c, "--mfa-code"),
        None => {
            let prompt = match method {
                MfaMethod::App => match params.get("FRIENDLY_DEVICE_NAME") {
                    Some(d) if !d.is_empty() => {
                        format!("Code from your authenticator app ({d}): ")
                    }
                    _ => "Code from your authenticator app: ".to_string(),
                },
                MfaMethod::Sms | MfaMethod::Email => {
                    let how = if method == MfaMethod::Sms {
                        "by SMS"
                    } else {
                        "by e-mail"
                    };
                    match params.get("CODE_DELIVERY_DESTINATION") {
                        Some(d) if !d.is_empty() => format!("Code sent {how} to {d}: "),
                        _ => format!("Code sent {how}: "),
                    }
                }
            };
            (prompter.secret(&prompt)?, "the code")
        }
    };
    check_code(&given, method == MfaMethod::App, source)
}

/// A code without spaces or dashes (people type `123 456`), made only of digits; an authenticator
/// app's has exactly six. The code itself never goes into the message.
pub fn check_code(given: &str, totp: bool, source: &str) -> Result<String> {
    let code: String = given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let count = code.chars().count();
    if code.is_empty() {
        return Err(Error::Usage(format!(
            "{source} is empty: type the digits the app or the message shows"
        )));
    }
    if !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Usage(format!(
            "{source} must be digits only ({count} characters given, not all digits)"
        )));
    }
    if totp && count != TOTP_DIGITS {
        return Err(Error::Usage(format!(
            "{source} must be the {TOTP_DIGITS} digits the authenticator app shows ({count} digits given)"
        )));
    }
    Ok(code)
}

/// The `otpauth://` URI authenticator apps read from a QR code (Key Uri Format): label
/// `issuer:account`, the base32 secret, and the issuer again as a parameter. SHA-1, six digits
/// and 30 seconds are the format's defaults and Cognito's, so they are left out: a shorter URI
/// makes a smaller QR code.
pub fn otpauth_uri(secret: &str, issuer: &str, account: &str) -> String {
    let issuer = percent(issuer);
    format!(
        "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}",
        percent(account),
        percent(secret.trim())
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The URI as a QR code in Unicode half blocks (two modules a character), with its quiet zone,
/// in explicit black and white so that it reads the same on dark and light terminals.
pub fn qr_code(uri: &str) -> Result<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| Error::Auth(format!("cannot draw the otpauth URI as a QR code: {e}")))?;
    // Light modules are drawn (white foreground), dark ones are the black background.
    let drawn = code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build();
    Ok(drawn
        .lines()
        .map(|l| format!("\x1b[97;40m{l}\x1b[0m\n"))
        .collect())
}

/// What MFA_SETUP shows before asking for the first code.
pub fn setup_text(secret: &str, uri: &str, qr: bool) -> Result<String> {
    let mut s = String::from(
        "This user pool requires a second factor. Add imgedit to an authenticator app\n\
         (Google Authenticator, Authy, 1Password, ...):\n\n",
    );
    if qr {
        s.push_str("scan this QR code with the app:\n\n");
        s.push_str(&qr_code(uri)?);
        s.push_str("\nor type the secret key by hand:\n");
    }
    s.push_str(&format!("  secret key: {}\n", grouped(secret)));
    s.push_str(&format!("  otpauth URI: {uri}\n\n"));
    Ok(s)
}

/// The base32 secret in groups of four, as authenticator apps show it for typing.
fn grouped(secret: &str) -> String {
    let chars: Vec<char> = secret.trim().chars().collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a list, recording the prompts.
    struct Script {
        answers: Vec<&'static str>,
        prompts: Vec<String>,
    }

    impl Script {
        fn new(answers: &[&'static str]) -> Self {
            Script {
                answers: answers.iter().rev().copied().collect(),
                prompts: Vec::new(),
            }
        }
        fn next(&mut self, prompt: &str) -> Result<String> {
            self.prompts.push(prompt.to_string());
            self.answers
                .pop()
                .map(str::to_string)
                .ok_or_else(|| Error::Auth(format!("nothing left to answer {prompt:?}")))
        }
    }

    impl Prompter for Script {
        fn secret(&mut self, prompt: &str) -> Result<String> {
            self.next(prompt)
        }
        fn line(&mut self, prompt: &str) -> Result<String> {
            self.next(prompt)
        }
        fn show(&mut self, _text: &str) -> Result<()> {
            Ok(())
        }
        fn interactive(&self) -> bool {
            true
        }
    }

    /// The challenge name and parameters of a recorded InitiateAuth / RespondToAuthChallenge body.
    fn recorded(body: &str) -> (String, HashMap<String, String>) {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        let params = v["ChallengeParameters"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        (v["ChallengeName"].as_str().unwrap().to_string(), params)
    }

    // Bodies in the shape Cognito sends (the parameter names its SDKs read: MFAS_CAN_CHOOSE,
    // CODE_DELIVERY_DESTINATION, FRIENDLY_DEVICE_NAME); written for these tests, since no pool
    // here can send an SMS, not captured from a live pool.
    const SELECT_BODY: &str = r#"{"ChallengeName":"SELECT_MFA_TYPE","ChallengeParameters":{"MFAS_CAN_CHOOSE":"[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]","USER_ID_FOR_SRP":"5f2c1a0e-7d3b-4c8e-9a61-2b7e4f0d9c11"},"Session":"AYABeC1mX2lkIjoiMTIzIn0"}"#;
    const SMS_BODY: &str = r#"{"ChallengeName":"SMS_MFA","ChallengeParameters":{"CODE_DELIVERY_DELIVERY_MEDIUM":"SMS","CODE_DELIVERY_DESTINATION":"+*******4321","USER_ID_FOR_SRP":"5f2c1a0e-7d3b-4c8e-9a61-2b7e4f0d9c11"},"Session":"AYABeC1mX2lkIjoiNDU2In0"}"#;
    const EMAIL_BODY: &str = r#"{"ChallengeName":"EMAIL_OTP","ChallengeParameters":{"CODE_DELIVERY_DELIVERY_MEDIUM":"EMAIL","CODE_DELIVERY_DESTINATION":"a***@e***","USER_ID_FOR_SRP":"alice"},"Session":"AYABeC1mX2lkIjoiNzg5In0"}"#;
    const TOTP_BODY: &str = r#"{"ChallengeName":"SOFTWARE_TOKEN_MFA","ChallengeParameters":{"FRIENDLY_DEVICE_NAME":"alice's phone","USER_ID_FOR_SRP":"alice"},"Session":"AYABeC1mX2lkIjoiMDEyIn0"}"#;

    fn run(
        body: &str,
        answers: &[&'static str],
        code: Option<&str>,
    ) -> (Result<HashMap<String, String>>, Vec<String>) {
        let (name, params) = recorded(body);
        let mut script = Script::new(answers);
        let mut options = MfaOptions {
            code: code.map(str::to_string),
            ..MfaOptions::default()
        };
        let r = answer(&name, &params, &mut options, &mut script).map(|a| a.unwrap());
        (r, script.prompts)
    }

    #[test]
    fn select_mfa_type_offers_the_methods_the_pool_names_in_its_order() {
        let (r, prompts) = run(SELECT_BODY, &["1"], None);
        assert_eq!(r.unwrap()["ANSWER"], "SMS_MFA");
        assert_eq!(prompts, ["Second factor: [1] SMS, [2] authenticator app: "]);
        let (r, _) = run(SELECT_BODY, &["2"], None);
        assert_eq!(r.unwrap()["ANSWER"], "SOFTWARE_TOKEN_MFA");
        let (r, _) = run(SELECT_BODY, &[" App "], None);
        assert_eq!(r.unwrap()["ANSWER"], "SOFTWARE_TOKEN_MFA");
    }

    #[test]
    fn select_mfa_type_refuses_what_it_did_not_offer() {
        for typed in ["3", "0", "email", ""] {
            let (r, _) = run(SELECT_BODY, &[typed], None);
            let e = r.unwrap_err().to_string();
            assert!(
                e.contains("answer a number from 1 to 2 ([1] SMS, [2] authenticator app)"),
                "{e}"
            );
            assert!(e.contains(&format!("{typed:?}")), "{e}");
        }
    }

    #[test]
    fn select_mfa_type_with_one_method_asks_nothing() {
        let body = SELECT_BODY.replace(
            r#"[\"SMS_MFA\",\"SOFTWARE_TOKEN_MFA\"]"#,
            r#"[\"EMAIL_OTP\"]"#,
        );
        let (r, prompts) = run(&body, &[], None);
        assert_eq!(r.unwrap()["ANSWER"], "EMAIL_OTP");
        assert!(prompts.is_empty());
    }

    #[test]
    fn sms_mfa_names_the_masked_destination() {
        let (r, prompts) = run(SMS_BODY, &[" 482 913\n"], None);
        let a = r.unwrap();
        assert_eq!(a["SMS_MFA_CODE"], "482913");
        assert_eq!(a.len(), 1);
        assert_eq!(prompts, ["Code sent by SMS to +*******4321: "]);
    }

    #[test]
    fn email_otp_names_the_masked_destination() {
        let (r, prompts) = run(EMAIL_BODY, &["73920155"], None);
        assert_eq!(r.unwrap()["EMAIL_OTP_CODE"], "73920155");
        assert_eq!(prompts, ["Code sent by e-mail to a***@e***: "]);
    }

    #[test]
    fn software_token_mfa_asks_for_the_named_device_or_takes_mfa_code() {
        let (r, prompts) = run(TOTP_BODY, &["123-456"], None);
        assert_eq!(r.unwrap()["SOFTWARE_TOKEN_MFA_CODE"], "123456");
        assert_eq!(
            prompts,
            ["Code from your authenticator app (alice's phone): "]
        );
        let (r, prompts) = run(TOTP_BODY, &[], Some("654321"));
        assert_eq!(r.unwrap()["SOFTWARE_TOKEN_MFA_CODE"], "654321");
        assert!(prompts.is_empty());
    }

    #[test]
    fn malformed_codes_are_refused_without_repeating_them() {
        let (r, _) = run(TOTP_BODY, &["12345"], None);
        let e = r.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the code must be the 6 digits the authenticator app shows (5 digits given)"
        );
        let (r, _) = run(TOTP_BODY, &[], Some("12ab56"));
        let e = r.unwrap_err().to_string();
        assert!(e.starts_with("--mfa-code must be digits only"), "{e}");
        assert!(!e.contains("12ab56"), "{e}");
        let (r, _) = run(SMS_BODY, &["  "], None);
        assert!(r.unwrap_err().to_string().contains("the code is empty"));
    }

    #[test]
    fn other_challenges_are_not_answered_here() {
        let mut script = Script::new(&[]);
        let r = answer(
            "NEW_PASSWORD_REQUIRED",
            &HashMap::new(),
            &mut MfaOptions::default(),
            &mut script,
        );
        assert!(r.unwrap().is_none());
    }

    #[test]
    fn otpauth_uri_escapes_the_label() {
        assert_eq!(
            otpauth_uri("JBSWY3DPEHPK3PXP", "imgedit", "alice@example.com"),
            "otpauth://totp/imgedit:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=imgedit"
        );
        assert!(otpauth_uri("S", "my pool", "a b").starts_with("otpauth://totp/my%20pool:a%20b?"));
    }

    #[test]
    fn the_qr_code_is_square_half_blocks_with_a_quiet_zone() {
        let uri = otpauth_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "imgedit", "alice");
        let qr = qr_code(&uri).unwrap();
        let rows: Vec<String> = qr
            .lines()
            .map(|l| {
                l.trim_start_matches("\x1b[97;40m")
                    .trim_end_matches("\x1b[0m")
                    .to_string()
            })
            .collect();
        let width = rows[0].chars().count();
        // version 5 or so: 37 modules + 2*4 quiet zone, two rows a line
        assert!(width >= 29, "{width}");
        assert!(rows.iter().all(|r| r.chars().count() == width));
        assert_eq!(rows.len(), width.div_ceil(2));
        assert!(
            rows.iter()
                .flat_map(|r| r.chars())
                .all(|c| " ▀▄█".contains(c))
        );
        // the quiet zone is light: full blocks all round
        assert!(rows[0].chars().all(|c| c == '█'));
        assert!(rows[1].chars().take(4).all(|c| c == '█'));
        // a finder pattern starts after it: dark modules are the background
        assert!(rows[2].chars().skip(4).take(7).any(|c| c != '█'));
    }

    /// Reads the modules back from the half blocks (drawn = light) and compares them with the
    /// symbol the encoder made: a phone sees dark modules dark, inside a light quiet zone.
    #[test]
    fn the_qr_code_draws_each_module_with_the_right_shade() {
        let uri = otpauth_uri(
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "imgedit",
            "bob (us-east-1_AbC)",
        );
        let symbol =
            qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
                .unwrap();
        let n = symbol.width();
        let colors = symbol.to_colors();
        let mut light = Vec::new(); // light[y][x], quiet zone included
        for line in qr_code(&uri).unwrap().lines() {
            let line = line
                .trim_start_matches("\x1b[97;40m")
                .trim_end_matches("\x1b[0m");
            let top: Vec<bool> = line.chars().map(|c| c == '█' || c == '▀').collect();
            let bottom: Vec<bool> = line.chars().map(|c| c == '█' || c == '▄').collect();
            light.push(top);
            light.push(bottom);
        }
        let q = 4;
        assert!(light.len() >= n + 2 * q && light[0].len() == n + 2 * q);
        for y in 0..n + 2 * q {
            for x in 0..n + 2 * q {
                let inside = (q..q + n).contains(&x) && (q..q + n).contains(&y);
                let expected = !inside || colors[(y - q) * n + (x - q)] == qrcode::Color::Light;
                assert_eq!(light[y][x], expected, "module ({x}, {y})");
            }
        }
    }

    #[test]
    fn setup_text_shows_the_secret_grouped_and_the_uri() {
        let t = setup_text("JBSWY3DPEHPK3PXP", "otpauth://x", false).unwrap();
        assert!(t.contains("secret key: JBSW Y3DP EHPK 3PXP\n"), "{t}");
        assert!(t.contains("otpauth URI: otpauth://x\n"));
        assert!(!t.contains('█'));
        let t = setup_text("JBSWY3DPEHPK3PXP", "otpauth://x", true).unwrap();
        assert!(t.contains('█') && t.contains("scan this QR code"));
    }
}
