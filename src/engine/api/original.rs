//! What the serverless editor's original `/image-edit` Lambda does whatever the request says
//! (contracts.md section 1), and how imgedit recognises and explains it: no seeds returned, 2
//! images per call, Titan's fixed settings, botocore's error texts, `precise-outpaint` passed
//! through to Titan's `taskType`.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::edit::engine::{PreparedJob, RunContext};
use crate::edit::options::{Mode, Quality};

/// Images the original Lambda asks Titan for on every call.
pub const ORIGINAL_IMAGES_PER_CALL: usize = 2;
/// The cfg scale the original Lambda always sends.
pub const ORIGINAL_CFG_SCALE: f32 = 8.0;
/// The quality the original Lambda always sends.
pub const ORIGINAL_QUALITY: Quality = Quality::Premium;
/// How often the original Lambda's botocore tries Bedrock before it answers 500 (legacy retry
/// mode: the first try and 4 retries).
pub const ORIGINAL_BEDROCK_ATTEMPTS: u32 = 5;
/// imgedit's attempts for such a 500: every one of them costs the API up to 5 Bedrock calls,
/// each logged as a failed request.
pub(super) const ORIGINAL_MAX_ATTEMPTS: u32 = 2;
/// The wait before that one retry, as a multiple of the usual retry base.
pub(super) const ORIGINAL_BACKOFF_FACTOR: u32 = 10;

/// Recovers the Bedrock error code from the original Lambda's botocore text:
/// `An error occurred (ThrottlingException) when calling the InvokeModel operation: ...`.
pub fn botocore_code(text: &str) -> Option<&str> {
    let start = text.find("An error occurred (")? + "An error occurred (".len();
    let len = text[start..].find(')')?;
    let code = &text[start..start + len];
    (!code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric())).then_some(code)
}

/// The original Lambda copies `precise-outpaint` into Titan's `taskType`, which Bedrock refuses.
pub(super) fn is_precise_outpaint_defect(mode: Mode, code: &str, text: &str) -> bool {
    mode == Mode::PreciseOutpaint
        && code == "ValidationException"
        && (text.contains("taskType")
            || text
                .to_ascii_lowercase()
                .contains(Mode::PreciseOutpaint.wire_name()))
}

pub(super) const PRECISE_OUTPAINT_HINT: &str = "This API cannot do precise-outpaint: it is the original /image-edit Lambda, which passes the mode to Titan as its taskType, and Bedrock refuses that. Use --mode outpaint against this API (the seam may be blended), or deploy imgedit serve, which does precise-outpaint";

/// "once", "twice", "3 times".
pub(super) fn times(n: u32) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

fn quality_name(q: Quality) -> &'static str {
    match q {
        Quality::Standard => "standard",
        Quality::Premium => "premium",
    }
}

/// The note for results whose seed the API did not confirm.
pub const SEED_NOTE: &str = "the API did not confirm a seed (its answer has no seeds): it draws its own, so the results will not repeat";

/// Set once the warning about an original-contract API has been given in this process.
static WARNED: AtomicBool = AtomicBool::new(false);

/// Gives [`warning`] for `job`, the first time in this process (a batch, a TUI session).
pub(super) fn warn_once(job: &PreparedJob, ctx: &RunContext) {
    if !WARNED.swap(true, Ordering::Relaxed) {
        (ctx.status)(warning(job));
    }
}

/// The one-time warning for an API that answers in the original Lambda's contract: which of
/// the job's options such an API is known to ignore.
pub fn warning(job: &PreparedJob) -> String {
    let mut ignored = Vec::new();
    if job.negative.is_some() {
        ignored.push("the negative prompt (it sends none)".to_string());
    }
    if let Some(c) = job.cfg_scale
        && c != ORIGINAL_CFG_SCALE
    {
        ignored.push(format!(
            "cfg scale {c} (it always uses {ORIGINAL_CFG_SCALE:.1})"
        ));
    }
    if let Some(q) = job.quality
        && q != ORIGINAL_QUALITY
    {
        ignored.push(format!(
            "quality {} (it always uses {})",
            quality_name(q),
            quality_name(ORIGINAL_QUALITY)
        ));
    }
    ignored.push("the seed (it draws its own, so results will not repeat)".into());
    let list = match ignored.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => ignored.join(""),
    };
    let n = job.seeds.len();
    let made = n.div_ceil(ORIGINAL_IMAGES_PER_CALL) * ORIGINAL_IMAGES_PER_CALL;
    let count = if made > n {
        format!(
            "; it makes {ORIGINAL_IMAGES_PER_CALL} images per call whatever is asked, all billed, so {} of the {made} made for this edit {} dropped",
            made - n,
            if made - n == 1 { "is" } else { "are" }
        )
    } else {
        String::new()
    };
    format!(
        "warning: this API ignores {list}: it answers like the original /image-edit Lambda (no seeds, no model_id){count}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn botocore_texts_give_their_code() {
        assert_eq!(
            botocore_code(
                "An error occurred (ThrottlingException) when calling the InvokeModel operation (reached max retries: 4): Too many requests"
            ),
            Some("ThrottlingException")
        );
        assert_eq!(botocore_code("Unexpected error"), None);
        assert_eq!(botocore_code("An error occurred () when"), None);
    }
}
