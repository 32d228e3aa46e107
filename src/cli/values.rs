//! The command line's side of the core's closed settings: clap parsers that list each value's
//! spelling ([`Choice::name`]) with the command line's help for it. The core types know no clap.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};

use crate::auth::AuthFlow;
use crate::choice::Choice;
use crate::edit::engine::EngineKind;
use crate::edit::job::{CanvasSize, Extend, Length};
use crate::edit::options::{Mode, Upscaler};

/// A value of `T` as `--flag VALUE` takes it: one of `T`'s spellings, listed in help and
/// completions with what `help` says of each.
pub fn choice<T: Choice + Send + Sync>(
    help: fn(T) -> &'static str,
) -> impl TypedValueParser<Value = T> {
    let values = T::ALL.iter().map(move |v| {
        let value = PossibleValue::new(v.name());
        match help(*v) {
            "" => value,
            text => value.help(text),
        }
    });
    PossibleValuesParser::new(values)
        .try_map(|s| T::parse(&s).ok_or_else(|| format!("unknown value {s:?}")))
}

/// `--mode`'s values.
pub fn mode_help(m: Mode) -> &'static str {
    match m {
        Mode::Inpaint => "Regenerate the selected pixels",
        Mode::Outpaint => {
            "Extend the canvas; a thin band of the original may be blended at the seam"
        }
        Mode::PreciseOutpaint => "Extend the canvas; every original pixel stays untouched",
        Mode::Erase => {
            "Remove the selected object (Stability erase-object; the local engine's inpainting)"
        }
        Mode::Replace => {
            "Replace what `--search` names with `--prompt` (Stability search-and-replace)"
        }
        Mode::Recolor => {
            "Recolour what `--select` names as `--prompt` says (Stability search-and-recolor)"
        }
        Mode::RemoveBackground => {
            "Cut the subject out: the background becomes transparent (Stability remove-background)"
        }
        Mode::Upscale => {
            "Enlarge the whole image with `--upscaler` (Stability fast, conservative or creative)"
        }
        Mode::Sketch => {
            "A new picture of `--prompt` drawn from the image as a sketch (Stability control-sketch; --control-strength)"
        }
        Mode::Structure => {
            "A new picture of `--prompt` keeping the image's structure (Stability control-structure; --control-strength)"
        }
        Mode::StyleGuide => {
            "A new picture of `--prompt` in the image's style (Stability style-guide; --fidelity, --aspect-ratio)"
        }
        Mode::StyleTransfer => {
            "The image restyled in the look of `--style-image` (Stability style-transfer)"
        }
    }
}

/// `--upscaler`'s values.
pub fn upscaler_help(u: Upscaler) -> &'static str {
    match u {
        Upscaler::Fast => "4x, quick; inputs 32..1536 px a side (Stability Fast Upscale)",
        Upscaler::Conservative => "Up to 4K, keeping every detail (Stability Conservative Upscale)",
        Upscaler::Creative => {
            "Up to 4K from small or degraded images, re-imagining detail (Stability Creative Upscale)"
        }
    }
}

/// `--engine`'s values.
pub fn engine_help(e: EngineKind) -> &'static str {
    match e {
        EngineKind::Local => "The embedded classical engine: offline, no account, prompts ignored",
        EngineKind::Bedrock => "Amazon Bedrock InvokeModel (Titan, Nova Canvas, Stability)",
        EngineKind::Api => "A team's `/image-edit` HTTP API, authenticated with Cognito",
    }
}

/// `--auth-flow`'s values.
pub fn auth_flow_help(f: AuthFlow) -> &'static str {
    match f {
        AuthFlow::Srp => "USER_SRP_AUTH: the password never leaves this machine",
        AuthFlow::Password => "USER_PASSWORD_AUTH: the password is sent to Cognito over TLS",
    }
}

/// Settings whose values need no words: `--quality`, `--anchor`, `--output-format`.
pub fn no_help<T>(_: T) -> &'static str {
    ""
}

/// `--extend L,T,R,B` (or one value for all sides), each in pixels or `NN%`.
pub fn extend(s: &str) -> Result<Extend, String> {
    let parse_one = |p: &str| -> Result<Length, String> {
        let p = p.trim();
        if let Some(pc) = p.strip_suffix('%') {
            match pc.trim().parse::<f64>() {
                Ok(v) if v.is_finite() && (0.0..=1000.0).contains(&v) => Ok(Length::Percent(v)),
                _ => Err(format!(
                    "--extend {s:?}: {p:?} is not a percentage between 0% and 1000%"
                )),
            }
        } else {
            p.parse::<u32>()
                .ok()
                .filter(|v| *v <= 65_535)
                .map(Length::Px)
                .ok_or_else(|| {
                    format!("--extend {s:?}: {p:?} is not a pixel count (0..65535) or a percentage like 25%")
                })
        }
    };
    let parts: Vec<&str> = s.split(',').collect();
    match parts.len() {
        1 => {
            let v = parse_one(parts[0])?;
            Ok(Extend([v; 4]))
        }
        4 => Ok(Extend([
            parse_one(parts[0])?,
            parse_one(parts[1])?,
            parse_one(parts[2])?,
            parse_one(parts[3])?,
        ])),
        n => Err(format!(
            "--extend {s:?}: expected 1 or 4 values as L,T,R,B, got {n}"
        )),
    }
}

/// `--canvas WxH`.
pub fn canvas(s: &str) -> Result<CanvasSize, String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("--canvas {s:?}: expected WIDTHxHEIGHT, like 1024x768"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (1..=65_535).contains(v))
    };
    match (parse(w), parse(h)) {
        (Some(w), Some(h)) => Ok(CanvasSize(w, h)),
        _ => Err(format!(
            "--canvas {s:?}: width and height must be whole numbers from 1 to 65535"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extend_parses_pixels_percent_and_single_values() {
        let e = extend("10,20%,0,5").unwrap();
        assert_eq!(
            e.0,
            [
                Length::Px(10),
                Length::Percent(20.0),
                Length::Px(0),
                Length::Px(5)
            ]
        );
        assert_eq!(extend("25%").unwrap().0, [Length::Percent(25.0); 4]);
        assert!(extend("1,2").unwrap_err().contains("1 or 4 values"));
        assert!(extend("-3").is_err());
        assert_eq!(canvas("300x200").unwrap(), CanvasSize(300, 200));
        assert!(canvas("300by200").is_err());
    }

    #[test]
    fn every_value_parses_back_and_others_are_refused() {
        let cmd = clap::Command::new("t");
        let p = choice::<Mode>(mode_help);
        for m in Mode::ALL {
            let got = p.parse_ref(&cmd, None, std::ffi::OsStr::new(m.name()));
            assert_eq!(got.ok(), Some(*m));
        }
        assert!(
            p.parse_ref(&cmd, None, std::ffi::OsStr::new("paint"))
                .is_err()
        );
        let names: Vec<String> = p
            .possible_values()
            .into_iter()
            .flatten()
            .map(|v| v.get_name().to_string())
            .collect();
        assert_eq!(names.join(", "), Mode::names());
    }
}
