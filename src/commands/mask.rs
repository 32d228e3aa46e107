//! `imgedit mask`: the mask a selection makes, written as a PNG (white = change), the same mask
//! `imgedit edit` uses for an inpainting with the local engine.

use crate::cli::MaskArgs;
use crate::config::{Config, Paths};
use crate::edit::job::Source;
use crate::error::{Error, Result, input_err};
use crate::{image_io, mask};

pub fn run(args: &MaskArgs) -> Result<()> {
    let out = &args.output;
    let png = out
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !png {
        return Err(input_err!(
            "{}: a mask is written as PNG: name the output *.png",
            out.display()
        ));
    }
    // refused before any work; the atomic write checks again
    if !args.force && out.exists() {
        return Err(Error::OutputExists(out.clone()));
    }
    let paths = Paths::from_env()?;
    let config = Config::load(&paths.config_file)?;
    let decoded = image_io::load_image(&args.image, &config.limits)?;
    let name = args.image.display().to_string();
    let source = Source::new(decoded.image);
    let selection = args.selection.to_selection(args.selection.mask.clone());
    let t0 = std::time::Instant::now();
    let m = selection.mask_for(&source, &name, &config.limits)?;
    tracing::debug!(
        stage = "select",
        ms = t0.elapsed().as_secs_f64() * 1e3,
        "mask"
    );
    mask::save_mask(&m, out, args.force)
}
