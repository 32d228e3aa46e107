//! Each front end names a broken rule in its own words: the command line by its flags, the TUI
//! by its keys, `/image-edit` by its JSON fields. A 400 or a TUI message never names a flag.

use image::DynamicImage;
use imgedit::cli::words as cli;
use imgedit::edit::job::{CanvasSize, CanvasSpec, Extend, JobOptions, Length, Selection};
use imgedit::edit::model;
use imgedit::edit::options::{Anchor, Mode, OutputFormat, ToolOptions};
use imgedit::error::Error;
use imgedit::image_io::DecodeLimits;
use imgedit::mask::Shape;
use imgedit::tui::words as tui;
use imgedit::wire::image_edit::violation_message;
use serde_json::json;

use crate::common::*;

/// Whether `text` names a command-line flag (`--` and a letter).
fn names_a_flag(text: &str) -> bool {
    text.match_indices("--")
        .any(|(i, _)| text[i + 2..].starts_with(|c: char| c.is_ascii_lowercase()))
}

fn options(model: &'static model::ModelSpec) -> JobOptions {
    JobOptions {
        selection: Selection {
            shapes: vec![Shape::parse_rect("2,2,8,8").unwrap()],
            ..Selection::default()
        },
        mode: None,
        canvas: None,
        prompt: Some("a field".into()),
        negative: None,
        mask_prompt: None,
        search: None,
        num_images: 1,
        seed: 1,
        cfg_scale: None,
        quality: None,
        model,
        limits: DecodeLimits::default(),
        tool: ToolOptions::default(),
    }
}

/// Every kind of refusal the job makes, each from a real (bad) set of options.
fn refusals() -> Vec<Error> {
    let local = model::local();
    let stability = model::find("us.stability.stable-image-inpaint-v1:0").unwrap();
    let replace = model::find("us.stability.stable-image-search-replace-v1:0").unwrap();
    let recolor = model::find("us.stability.stable-image-search-recolor-v1:0").unwrap();
    let extend = |px| Some(CanvasSpec::Extend(Extend([Length::Px(px); 4])));
    let cases: Vec<(JobOptions, &str)> = vec![
        (
            JobOptions {
                mode: Some(Mode::Inpaint),
                canvas: extend(4),
                ..options(local)
            },
            "a canvas with inpainting",
        ),
        (
            JobOptions {
                mode: Some(Mode::Outpaint),
                selection: Selection::default(),
                ..options(local)
            },
            "outpainting without a canvas",
        ),
        (
            JobOptions {
                mode: Some(Mode::PreciseOutpaint),
                canvas: extend(4),
                ..options(local)
            },
            "precise-outpaint with a shape",
        ),
        (
            JobOptions {
                mode: Some(Mode::Outpaint),
                canvas: Some(CanvasSpec::Size(CanvasSize(16, 16), Anchor::Center)),
                ..options(local)
            },
            "a canvas smaller than the image",
        ),
        (
            JobOptions {
                mode: Some(Mode::Replace),
                ..options(replace)
            },
            "replace without search text",
        ),
        (
            JobOptions {
                mode: Some(Mode::Recolor),
                selection: Selection::default(),
                ..options(recolor)
            },
            "recolor without select text",
        ),
        (
            JobOptions {
                selection: Selection::default(),
                ..options(local)
            },
            "no selection",
        ),
        (
            JobOptions {
                prompt: None,
                ..options(stability)
            },
            "a missing prompt",
        ),
        (
            JobOptions {
                num_images: 99,
                ..options(stability)
            },
            "too many images",
        ),
        (
            JobOptions {
                mode: Some(Mode::Replace),
                ..options(local)
            },
            "a mode the model lacks",
        ),
        (
            JobOptions {
                mode: Some(Mode::RemoveBackground),
                selection: Selection::default(),
                tool: ToolOptions {
                    output_format: Some(OutputFormat::Jpeg),
                    ..ToolOptions::default()
                },
                ..options(model::find("us.stability.stable-image-remove-background-v1:0").unwrap())
            },
            "background removal to JPEG",
        ),
    ];
    cases
        .into_iter()
        .map(|(o, what)| {
            let src = DynamicImage::ImageRgb8(textured(64, 64));
            let job = o.build(src, "in.png");
            match job.and_then(|j| j.check_output("out.jpg".as_ref(), image::ImageFormat::Jpeg)) {
                Err(e) => e,
                Ok(()) => panic!("{what}: accepted"),
            }
        })
        .collect()
}

#[test]
fn the_command_line_names_flags_and_the_tui_and_the_api_never_do() {
    let all = refusals();
    assert!(all.len() >= 11);
    for e in &all {
        let (c, t) = (cli::error(e), tui::error(e));
        assert!(names_a_flag(&c), "the command line names the flag: {c}");
        assert!(!names_a_flag(&t), "the TUI names no flag: {t} (CLI: {c})");
        let Error::Invalid(v) = e else {
            panic!("every refusal is a violation, as data: {e:?}")
        };
        let j = violation_message(v);
        assert!(!names_a_flag(&j), "a 400 names no flag: {j} (CLI: {c})");
        assert!(!names_a_flag(&e.to_string()), "plain words: {e}");
    }
    let exists = Error::OutputExists("out.png".into());
    assert!(cli::error(&exists).contains("--force"));
    assert!(!names_a_flag(&tui::error(&exists)));
}

#[test]
fn an_image_edit_400_names_its_json_field_not_a_flag() {
    let sb = Sandbox::new();
    let s = serve(&sb, &["--no-auth"], &[]);
    let (_, jpeg) = photo(32, 32);
    let mask = titan_mask(32, 32, 8, 8, 8, 8);
    let mut smaller = browser_body("x", "OUTPAINTING", &jpeg, None);
    smaller["canvas_config"] = json!({"width": 16, "height": 16});
    let mut everything = browser_body("x", "INPAINTING", &jpeg, Some(&mask));
    everything["mask"] = json!(format!(
        "data:image/png;base64,{}",
        b64(&titan_mask(32, 32, 0, 0, 32, 32))
    ));
    for (body, field) in [(smaller, "canvas_config"), (everything, "mask")] {
        let a = post(&edit_url(&s), None, &body);
        assert_eq!(a.status, 400, "{}", short(&a.body));
        let v = a.json();
        let text = v["error"].as_str().unwrap_or_default();
        assert_eq!(v["field"], field, "{v}");
        assert!(text.starts_with(field), "{text}");
        assert!(!names_a_flag(text), "{text}");
        assert!(v["violation"]["rule"].is_string(), "{v}");
    }
}
