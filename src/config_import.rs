//! `imgedit config import FILE.js`: reads the browser client's `config.js`
//! (`window._workshopConfig = {cognito: {userPoolId, userPoolClientId, region}, api: {invokeUrl}}`).

use serde_json::Value;

use crate::error::Result;
use crate::error::input_err;

/// Turns a JavaScript object literal into JSON: comments dropped, keys quoted, single-quoted
/// strings converted, trailing commas removed.
pub fn js_object_to_json(src: &str) -> std::result::Result<Value, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '/' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            '"' | '\'' | '`' => {
                let quote = c;
                let mut s = String::new();
                i += 1;
                while i < chars.len() && chars[i] != quote {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        s.push(chars[i + 1]);
                        i += 2;
                        continue;
                    }
                    s.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("a string is not closed".into());
                }
                out.push_str(&serde_json::to_string(&s).unwrap_or_default());
                i += 1;
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if chars.get(j) == Some(&':') || !matches!(word.as_str(), "true" | "false" | "null")
                {
                    out.push_str(&serde_json::to_string(&word).unwrap_or_default());
                } else {
                    out.push_str(&word);
                }
                continue;
            }
            ',' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j].is_whitespace() {
                    j += 1;
                }
                if !matches!(chars.get(j), Some('}') | Some(']')) {
                    out.push(',');
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    serde_json::from_str(&out).map_err(|e| e.to_string())
}

/// The settings found in a browser client's config.js.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkshopConfig {
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    pub region: Option<String>,
    pub api_url: Option<String>,
}

/// Finds `window._workshopConfig = {...}` (or the first object literal) and reads it.
pub fn parse_workshop_config(text: &str, name: &str) -> Result<WorkshopConfig> {
    let start = text
        .find("_workshopConfig")
        .and_then(|p| text[p..].find('{').map(|q| p + q))
        .or_else(|| text.find('{'))
        .ok_or_else(|| input_err!("{name}: no `window._workshopConfig = {{...}}` object found"))?;
    let mut depth = 0usize;
    let mut end = None;
    for (k, ch) in text[start..].char_indices() {
        match ch {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    end = Some(start + k + 1);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end.ok_or_else(|| input_err!("{name}: the config object is not closed"))?;
    let v = js_object_to_json(&text[start..end])
        .map_err(|e| input_err!("{name}: cannot read the config object: {e}"))?;
    let get = |a: &str, b: &str| {
        v.get(a)
            .and_then(|o| o.get(b))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let cfg = WorkshopConfig {
        user_pool_id: get("cognito", "userPoolId"),
        client_id: get("cognito", "userPoolClientId"),
        region: get("cognito", "region"),
        api_url: get("api", "invokeUrl"),
    };
    if cfg == WorkshopConfig::default() {
        return Err(input_err!(
            "{name}: found no cognito.userPoolId, cognito.userPoolClientId, cognito.region or api.invokeUrl"
        ));
    }
    Ok(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_browser_clients_config_js() {
        let js = r#"
            // generated by the workshop's deploy script
            window._workshopConfig = {
                cognito: {
                    userPoolId: 'us-east-1_AbCdEfGhI', /* the pool */
                    userPoolClientId: "1234567890abcdefghijklmnop",
                    region: 'us-east-1',
                },
                api: { invokeUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod' },
            };
        "#;
        let c = parse_workshop_config(js, "config.js").unwrap();
        assert_eq!(c.user_pool_id.as_deref(), Some("us-east-1_AbCdEfGhI"));
        assert_eq!(c.client_id.as_deref(), Some("1234567890abcdefghijklmnop"));
        assert_eq!(c.region.as_deref(), Some("us-east-1"));
        assert_eq!(
            c.api_url.as_deref(),
            Some("https://abc123.execute-api.us-east-1.amazonaws.com/prod")
        );
    }

    #[test]
    fn errors_name_the_file() {
        let e = parse_workshop_config("var x = 1;", "c.js")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("c.js: "), "{e}");
        let e = parse_workshop_config(
            "window._workshopConfig = { cognito: { userPoolId: 'x }",
            "c.js",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("c.js"), "{e}");
    }
}
