//! The prompt and parameters panel; every part with a command is a button.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::tui::action::Command as C;
use crate::tui::app::mode_label;
use crate::tui::app::{App, Tool};

/// A piece of a panel line; with a command it is clickable.
struct Part {
    text: String,
    cmd: Option<C>,
    on: bool,
}

fn t(text: impl Into<String>) -> Part {
    Part {
        text: text.into(),
        cmd: None,
        on: false,
    }
}
fn b(text: impl Into<String>, cmd: C) -> Part {
    Part {
        text: text.into(),
        cmd: Some(cmd),
        on: false,
    }
}
fn bon(text: impl Into<String>, cmd: C, on: bool) -> Part {
    Part {
        text: text.into(),
        cmd: Some(cmd),
        on,
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn lines(app: &App, width: usize) -> Vec<Vec<Part>> {
    let mut out = mode_lines(app);
    out.extend(prompt_lines(app, width));
    out.extend(setting_lines(app, width));
    out.extend(run_tool_lines(app));
    out.extend(mask_result_lines());
    out
}

/// The mode line and, when outpainting, the extension lines with their buttons.
fn mode_lines(app: &App) -> Vec<Vec<Part>> {
    let p = &app.params;
    let mut out = vec![vec![
        t("Mode   "),
        b(format!("{} (Tab)", mode_label(p)), C::NextMode),
    ]];
    if p.mode.is_outpaint() {
        // in percent of the side each border extends
        let (w, h) = app.doc.as_ref().map_or((1, 1), |d| {
            (d.source.width().max(1), d.source.height().max(1))
        });
        let e = p.extend;
        let pc = |v: u32, side: u32| (u64::from(v) * 100 + u64::from(side) / 2) / u64::from(side);
        out.push(vec![t(format!(
            "Extend L{}% T{}% R{}% B{}%",
            pc(e[0], w),
            pc(e[1], h),
            pc(e[2], w),
            pc(e[3], h)
        ))]);
        out.push(vec![
            t("       "),
            b("+L", C::ExtendLeft),
            t(" "),
            b("+T", C::ExtendTop),
            t(" "),
            b("+R", C::ExtendRight),
            t(" "),
            b("+B", C::ExtendBottom),
            t(" "),
            b("0", C::ResetExtend),
        ]);
    }
    out
}

/// The prompt, negative prompt and mask prompt lines, clipped to the width.
fn prompt_lines(app: &App, width: usize) -> Vec<Vec<Part>> {
    let p = &app.params;
    let mut out = Vec::new();
    let prompt = if p.prompt.is_empty() {
        "(none)".to_string()
    } else {
        clip(&p.prompt, width - 2)
    };
    out.push(vec![b("Prompt (p)", C::EditPrompt)]);
    out.push(vec![t("  "), b(prompt, C::EditPrompt)]);
    let neg = if p.negative.is_empty() {
        "(none)".to_string()
    } else {
        clip(&p.negative, width - 13)
    };
    out.push(vec![
        b("Negative (n) ", C::EditNegative),
        b(neg, C::EditNegative),
    ]);
    let mp = if p.mask_prompt.is_empty() {
        "(none)".to_string()
    } else {
        clip(&p.mask_prompt, width.saturating_sub(16))
    };
    let label = if p.mode == crate::edit::options::Mode::Recolor {
        "Select (j)      "
    } else {
        "Mask prompt (j) "
    };
    if p.mode == crate::edit::options::Mode::StyleTransfer {
        // style transfer finds no region: the line names its reference image instead (Tab
        // through the modes, or Enter without one, asks for it)
        let name = app.style_image.as_ref().map_or_else(
            || "(none: Enter asks)".to_string(),
            |s| {
                let file = std::path::Path::new(&s.name)
                    .file_name()
                    .map_or(s.name.clone(), |f| f.to_string_lossy().into_owned());
                clip(&file, width.saturating_sub(8))
            },
        );
        out.push(vec![t("Style  "), t(name)]);
    } else {
        out.push(vec![b(label, C::EditMaskPrompt), b(mp, C::EditMaskPrompt)]);
    }
    out
}

/// The cfg and quality, images and seed, and engine and model lines.
fn setting_lines(app: &App, width: usize) -> Vec<Vec<Part>> {
    let p = &app.params;
    let mut out = Vec::new();
    let cfg = p.cfg_scale.map_or("default".to_string(), |c| c.to_string());
    let quality = format!("{:?}", p.quality).to_lowercase();
    out.push(vec![
        b(format!("CFG {cfg}"), C::EditCfg),
        t(" "),
        b(format!("{quality} (\\)"), C::ToggleQuality),
    ]);
    let seed = if p.seed_locked {
        format!("{} lock", p.seed)
    } else {
        "random".into()
    };
    out.push(vec![
        b(format!("Images {}", p.num_images), C::MoreImages),
        t("  "),
        b(format!("Seed {seed}"), C::SeedLock),
    ]);
    let feather = match p.feather {
        None => "auto".to_string(),
        Some(0) => "hard".to_string(),
        Some(f) => format!("{f}px"),
    };
    out.push(vec![b(
        format!("Engine {} (t)", p.engine.as_str()),
        C::PickEngine,
    )]);
    out.push(vec![b(format!("Soft edge {feather} (3)"), C::Feather)]);
    let (model, price) = next_run(app);
    out.push(vec![b("Model (`)", C::EditModel), t(format!("  {price}"))]);
    out.push(vec![b(clip(&format!("  {model}"), width), C::EditModel)]);
    out
}

/// The model the next run uses, by its short name (the id without its Region and provider
/// prefixes), and what the run costs: the price per image times the images, as `--dry-run`
/// counts it.
pub fn next_run(app: &App) -> (String, String) {
    let p = &app.params;
    let mode = crate::edit::options::implied_mode(Some(p.mode), !p.mask_prompt.is_empty(), false);
    let upscaler = (p.mode == crate::edit::options::Mode::Upscale).then_some(p.upscaler);
    match crate::engine::resolve_model_for(
        p.engine,
        p.model.as_deref(),
        None,
        mode,
        upscaler,
        &app.living_models,
    ) {
        Ok(m) => {
            let short = m.id.rsplit('.').next().unwrap_or(m.id);
            let short = if short.is_empty() { m.id } else { short };
            let price = match m.price_per_image_usd {
                0.0 => "free, offline".to_string(),
                _ => format!("~${:.2} a run", m.price_usd(p.num_images)),
            };
            (short.to_string(), price)
        }
        Err(_) => (
            p.model.clone().unwrap_or_else(|| "default".into()),
            "unknown model".into(),
        ),
    }
}

/// The run button with its progress, then the tool and brush lines.
fn run_tool_lines(app: &App) -> Vec<Vec<Part>> {
    let mut out = Vec::new();
    let run = match &app.job {
        Some(j) if j.total > 0 => format!("[ Running {:>3}% ]", j.done * 100 / j.total),
        Some(_) => "[ Running…     ]".to_string(),
        None => "[ Run  (Enter) ]".to_string(),
    };
    out.push(vec![
        bon(run, C::Run, app.job.is_some()),
        t(" "),
        b("[Esc]", C::Cancel),
    ]);
    let tool = |name: &str, tl: Tool, c: C| bon(name.to_string(), c, app.tool == tl);
    out.push(vec![
        t("Tool "),
        tool("rect", Tool::Rect, C::ToolRect),
        t(" "),
        tool("polygon", Tool::Polygon, C::ToolPolygon),
        t(" "),
        tool("ellipse", Tool::Ellipse, C::ToolEllipse),
    ]);
    out.push(vec![
        t("     "),
        tool("brush", Tool::Brush, C::ToolBrush),
        t(" "),
        tool("eraser", Tool::Eraser, C::ToolEraser),
        t(format!(" {}px ", app.brush)),
        b("[", C::BrushSmaller),
        t(" "),
        b("]", C::BrushBigger),
    ]);
    let mut pointing = vec![
        t("     "),
        tool("object", Tool::Object, C::ToolObject),
        t(" "),
        tool("wand", Tool::Wand, C::ToolWand),
    ];
    if app.tool == Tool::Wand {
        pointing.extend([
            t(format!(" ±{} ", app.wand_tolerance)),
            b("[", C::BrushSmaller),
            t(" "),
            b("]", C::BrushBigger),
            t(if app.wand_global { " all" } else { "" }),
        ]);
    }
    out.push(pointing);
    out
}

/// The mask, result and open/help/quit buttons, which do not change.
fn mask_result_lines() -> Vec<Vec<Part>> {
    vec![
        vec![
            t("Mask "),
            b("invert", C::InvertMask),
            t(" "),
            b("grow", C::GrowMask),
            t(" "),
            b("shrink", C::ShrinkMask),
        ],
        vec![
            t("     "),
            b("clear", C::ClearMask),
            t(" "),
            b("undo", C::Undo),
            t(" "),
            b("redo", C::Redo),
        ],
        vec![
            t("     "),
            b("load", C::LoadMask),
            t(" "),
            b("save", C::SaveMask),
        ],
        vec![
            t("Result "),
            b("view", C::ViewResult),
            t(" "),
            b("compare", C::Compare),
            t(" "),
            b("save", C::SaveResult),
        ],
        vec![
            t("       "),
            b("keep", C::UseResult),
            t(" "),
            b("delete", C::DeleteResult),
            t(" "),
            b("<", C::PrevResult),
            t(" "),
            b(">", C::NextResult),
        ],
        vec![
            b("open", C::Open),
            t(" "),
            b("help", C::Help),
            t(" "),
            b("quit", C::Quit),
        ],
    ]
}

fn inner(area: Rect) -> Rect {
    Rect::new(
        area.x + 1,
        area.y + 1,
        area.width.saturating_sub(2),
        area.height.saturating_sub(2),
    )
}

/// The clickable parts and their commands, where `draw` puts them.
pub fn buttons(app: &App, area: Rect) -> Vec<(Rect, C)> {
    let inner = inner(area);
    let mut out = Vec::new();
    for (row, parts) in lines(app, usize::from(inner.width))
        .iter()
        .enumerate()
        .take(usize::from(inner.height))
    {
        let mut x = inner.x;
        for p in parts {
            let w = p.text.chars().count() as u16;
            if let Some(c) = p.cmd {
                let w = w.min(inner.right().saturating_sub(x));
                out.push((Rect::new(x, inner.y + row as u16, w, 1), c));
            }
            x = x.saturating_add(w);
        }
    }
    out
}

/// Draws the panel.
pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    frame.render_widget(Block::bordered().title(" Prompt & parameters "), area);
    let inner = inner(area);
    let text: Vec<Line> = lines(app, usize::from(inner.width))
        .into_iter()
        .map(|parts| {
            Line::from(
                parts
                    .into_iter()
                    .map(|p| {
                        let style = match (p.cmd, p.on) {
                            (_, true) => Style::default().fg(Color::Black).bg(Color::Cyan),
                            (Some(_), false) => Style::default()
                                .fg(Color::Cyan)
                                .add_modifier(Modifier::UNDERLINED),
                            (None, _) => Style::default(),
                        };
                        Span::styled(p.text, style)
                    })
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(text), inner);
}
