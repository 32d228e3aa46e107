//! Quality/speed benchmark of the local inpainting engine.
//!
//! `cargo run --release --example quality -- MANIFEST [--only SUBSTR] [--sheet OUT.png]
//!  [--seed S] [--tile PX] [--canvas PX] [--out DIR] [--set NAME=VALUE ...]
//!  [--patchmatch PYTHON] [--pm-cache DIR]`
//!
//! For every case of the manifest (paths relative to its directory) the hole
//! pixels of the input are zeroed, the engine fills them and we report:
//! wall time, PSNR inside the hole, SSIM (luma, 7x7 windows) on the hole's
//! bounding box, texture ratio (mean luma gradient magnitude inside the hole,
//! result / ground truth) and seam ratio (same on the band within 2 px of the
//! hole boundary, both sides). Cases without ground truth report time and the
//! texture ratio of the hole vs the known region of the same result.
//!
//! Inner seams (`mseam`): where fills from different sides of the hole meet (hole pixels whose
//! nearest known pixel is more than 4 px from a neighbour's nearest known pixel: the diagonals
//! of a box, the middle line of a stroke), a seam shows as extra gradient. `mseam` is the mean
//! luma gradient magnitude on those lines (1 px either side) over the mean on the rest of the
//! hole, in the result, divided by the same quotient in the ground truth: 1 = no more edge on
//! the meeting lines than the photo has there, > 1 = a seam. With `--patchmatch` it is given for
//! PatchMatch's result too (`pm_mseam`).
//!
//! `--canvas PX` turns every selected case into an outpaint case: the case's
//! image is centred on a PX x PX canvas whose border is the hole (kind
//! `outpaintPX`, no ground truth); e.g. `--only outpaint_gt --canvas 640`
//! extends the eight 512 photos to 640. `--out DIR` saves every result.
//! `--patchmatch PYTHON` also fills every case with PatchMatch (pypatchmatch, patch size 3,
//! through `scripts/bench_large.py`; PYTHON is an interpreter that has `cv2` and `patchmatch`,
//! e.g. `target/bench-venv/bin/python` after `scripts/bench-large`) and reports its fill time and
//! PSNR beside imgedit's. `--pm-cache DIR` keeps PatchMatch's results (and fill times) in DIR
//! and reuses them in later runs (for trying parameters; the times are those of the first run).

use image::{GrayImage, Rgb, RgbImage, imageops};
use imgedit::edit::engine::CancellationToken;
use imgedit::engine::local::{LocalParams, inpaint};
use std::path::{Path, PathBuf};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

struct Row {
    id: String,
    kind: String,
    secs: f64,
    psnr: Option<f64>,
    ssim: Option<f64>,
    texture: f64,
    seam: Option<f64>,
    /// Gradient on the lines where fills from different sides meet, relative (see the top).
    mseam: Option<f64>,
    /// PatchMatch's fill time, PSNR in the hole and `mseam` (with `--patchmatch`).
    pm_secs: Option<f64>,
    pm_psnr: Option<f64>,
    pm_mseam: Option<f64>,
}

/// Hole pixels where fills from different sides meet: the nearest known pixel (two-pass
/// propagation of nearest points) of a 4-neighbour is more than 4 px from the pixel's own;
/// widened by 1 px. Empty when the image has no known pixel.
fn meeting_lines(hole: &[bool], w: usize, h: usize) -> Vec<bool> {
    const NONE: (i64, i64) = (i64::MIN / 4, i64::MIN / 4);
    let mut near: Vec<(i64, i64)> = (0..w * h)
        .map(|i| {
            if hole[i] {
                NONE
            } else {
                ((i % w) as i64, (i / w) as i64)
            }
        })
        .collect();
    let d2 = |a: (i64, i64), x: usize, y: usize| {
        let (dx, dy) = (a.0 - x as i64, a.1 - y as i64);
        if a == NONE {
            i64::MAX
        } else {
            dx * dx + dy * dy
        }
    };
    let relax = |near: &mut [(i64, i64)], x: usize, y: usize, nbs: &[(i64, i64)]| {
        let i = y * w + x;
        for &(ox, oy) in nbs {
            let (nx, ny) = (x as i64 + ox, y as i64 + oy);
            if nx < 0 || ny < 0 || nx >= w as i64 || ny >= h as i64 {
                continue;
            }
            let c = near[ny as usize * w + nx as usize];
            if d2(c, x, y) < d2(near[i], x, y) {
                near[i] = c;
            }
        }
    };
    for _ in 0..2 {
        for y in 0..h {
            for x in 0..w {
                relax(&mut near, x, y, &[(-1, 0), (-1, -1), (0, -1), (1, -1)]);
            }
            for x in (0..w).rev() {
                relax(&mut near, x, y, &[(1, 0)]);
            }
        }
        for y in (0..h).rev() {
            for x in (0..w).rev() {
                relax(&mut near, x, y, &[(1, 0), (1, 1), (0, 1), (-1, 1)]);
            }
            for x in 0..w {
                relax(&mut near, x, y, &[(-1, 0)]);
            }
        }
    }
    let mut meet = vec![false; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            if !hole[i] || near[i] == NONE {
                continue;
            }
            let far = |j: usize| {
                hole[j] && {
                    let (a, b) = (near[i], near[j]);
                    (a.0 - b.0).pow(2) + (a.1 - b.1).pow(2) > 16
                }
            };
            if (x + 1 < w && far(i + 1)) || (y + 1 < h && far(i + w)) {
                meet[i] = true;
            }
        }
    }
    let mut wide = meet.clone();
    for y in 0..h {
        for x in 0..w {
            if meet[y * w + x] {
                for yy in y.saturating_sub(1)..(y + 2).min(h) {
                    for xx in x.saturating_sub(1)..(x + 2).min(w) {
                        wide[yy * w + xx] |= hole[yy * w + xx];
                    }
                }
            }
        }
    }
    wide
}

/// `mseam` of a result's gradient `g` against the ground truth's `gg` (see the top): `None` when
/// the hole has no meeting lines or no other pixels.
fn meeting_seam(g: &[f64], gg: &[f64], hole: &[bool], meet: &[bool]) -> Option<f64> {
    let rest: Vec<bool> = hole.iter().zip(meet).map(|(h, m)| *h && !m).collect();
    if !meet.iter().any(|m| *m) || !rest.iter().any(|r| *r) {
        return None;
    }
    let q = |g: &[f64]| mean_over(g, meet) / mean_over(g, &rest).max(1e-9);
    Some(q(g) / q(gg).max(1e-9))
}

/// Fills `input` (hole zeroed) with pypatchmatch through `scripts/bench_large.py`; returns the
/// result and the fill time the script measured (interpreter start-up excluded).
fn patchmatch(python: &str, input: &RgbImage, mask: &GrayImage) -> Res<(RgbImage, f64)> {
    let dir = std::env::temp_dir().join(format!("imgedit-quality-pm-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let (i, m, o) = (
        dir.join("in.png"),
        dir.join("mask.png"),
        dir.join("out.png"),
    );
    input.save(&i)?;
    mask.save(&m)?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/bench_large.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg("patchmatch-files")
        .args([&i, &m, &o])
        .output()?;
    if !out.status.success() {
        return Err(format!("patchmatch: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let ms: f64 = text
        .split_whitespace()
        .find_map(|t| t.strip_prefix("fill="))
        .ok_or("patchmatch printed no fill time")?
        .parse()?;
    let res = image::open(&o)?.to_rgb8();
    std::fs::remove_dir_all(&dir)?;
    Ok((res, ms / 1000.0))
}

fn luma(img: &RgbImage) -> Vec<f64> {
    img.pixels()
        .map(|p| 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64)
        .collect()
}

/// Central-difference gradient magnitude of a luma buffer.
fn grad(l: &[f64], w: usize, h: usize) -> Vec<f64> {
    let mut g = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let xm = x.saturating_sub(1);
            let xp = (x + 1).min(w - 1);
            let ym = y.saturating_sub(1);
            let yp = (y + 1).min(h - 1);
            let gx = (l[y * w + xp] - l[y * w + xm]) / 2.0;
            let gy = (l[yp * w + x] - l[ym * w + x]) / 2.0;
            g[y * w + x] = (gx * gx + gy * gy).sqrt();
        }
    }
    g
}

fn mean_over(v: &[f64], sel: &[bool]) -> f64 {
    let (s, n) = v
        .iter()
        .zip(sel)
        .filter(|(_, s)| **s)
        .fold((0.0, 0usize), |(a, n), (x, _)| (a + x, n + 1));
    if n == 0 { 0.0 } else { s / n as f64 }
}

fn psnr(a: &RgbImage, b: &RgbImage, hole: &[bool]) -> f64 {
    let mut s = 0.0f64;
    let mut n = 0.0f64;
    for ((pa, pb), &m) in a.pixels().zip(b.pixels()).zip(hole) {
        if m {
            for c in 0..3 {
                let d = pa[c] as f64 - pb[c] as f64;
                s += d * d;
            }
            n += 3.0;
        }
    }
    let mse = (s / n.max(1.0)).max(1e-10);
    10.0 * (255.0 * 255.0 / mse).log10()
}

/// Mean SSIM over all 7x7 windows inside the box [x0,x1) x [y0,y1) on luma.
fn ssim(a: &[f64], b: &[f64], w: usize, bx: (usize, usize, usize, usize)) -> f64 {
    let (x0, y0, x1, y1) = bx;
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let win = 7usize;
    let mut total = 0.0;
    let mut n = 0usize;
    if x1 - x0 < win || y1 - y0 < win {
        return 1.0;
    }
    for y in y0..=y1 - win {
        for x in x0..=x1 - win {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for yy in y..y + win {
                for xx in x..x + win {
                    let (va, vb) = (a[yy * w + xx], b[yy * w + xx]);
                    sa += va;
                    sb += vb;
                    saa += va * va;
                    sbb += vb * vb;
                    sab += va * vb;
                }
            }
            let k = (win * win) as f64;
            let (ma, mb) = (sa / k, sb / k);
            let va = (saa / k - ma * ma) * k / (k - 1.0);
            let vb = (sbb / k - mb * mb) * k / (k - 1.0);
            let cov = (sab / k - ma * mb) * k / (k - 1.0);
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            n += 1;
        }
    }
    total / n as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// User CPU time of this process (all threads) from `/proc/self/stat`
/// (Linux; assumes the usual 100 clock ticks per second).
fn user_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the parenthesised command name; utime is field 14
    let rest = &stat[stat.rfind(')')? + 2..];
    let utime: f64 = rest.split_whitespace().nth(11)?.parse().ok()?;
    Some(utime / 100.0)
}

fn set_param(p: &mut LocalParams, kv: &str) -> Res<()> {
    let (k, v) = kv.split_once('=').ok_or("--set expects NAME=VALUE")?;
    match k {
        "patch_size" => p.patch_size = v.parse()?,
        "coarse_patch_size" => p.coarse_patch_size = v.parse()?,
        "min_level_size" => p.min_level_size = v.parse()?,
        "min_hole_depth" => p.min_hole_depth = v.parse()?,
        "texture_weight" => p.texture_weight = v.parse()?,
        "texture_radius" => p.texture_radius = v.parse()?,
        "locality" => p.locality = v.parse()?,
        "coarse_locality" => p.coarse_locality = v.parse()?,
        "robust_cap" => p.robust_cap = v.parse()?,
        "robust_depth" => p.robust_depth = v.parse()?,
        "orient_fill" => p.orient_fill = v.parse()?,
        "orient_coherence" => p.orient_coherence = v.parse()?,
        "orient_depth" => p.orient_depth = v.parse()?,
        "fine_search_radius" => p.fine_search_radius = v.parse()?,
        "pm_budget" => p.pm_budget = v.parse()?,
        "max_levels" => p.max_levels = v.parse()?,
        "iters_coarse" => p.iters_coarse = v.parse()?,
        "iters_fine" => p.iters_fine = v.parse()?,
        "fine_budget" => p.fine_budget = v.parse()?,
        "poisson_mix" => p.poisson_mix = v.parse()?,
        "inner_band" => p.inner_band = v.parse()?,
        "pm_passes" => p.pm_passes = v.parse()?,
        "source_margin" => p.source_margin = v.parse()?,
        "min_source_margin" => p.min_source_margin = v.parse()?,
        "max_work_pixels" => p.max_work_pixels = v.parse()?,
        "vote_percentile" => p.vote_percentile = v.parse()?,
        "vote_sharpness" => p.vote_sharpness = v.parse()?,
        "confidence_gamma" => p.confidence_gamma = v.parse()?,
        "sharp_mode" => p.sharp_mode = v.parse()?,
        "texture_anchor" => p.texture_anchor = v.parse()?,
        "poisson_band" => p.poisson_band = v.parse()?,
        "poisson_sweeps" => p.poisson_sweeps = v.parse()?,
        "anchor_depth" => p.anchor_depth = v.parse()?,
        "structure_depth" => p.structure_depth = v.parse()?,
        "structure_side" => p.structure_side = v.parse()?,
        "structure_weight" => p.structure_weight = v.parse()?,
        "explore_fine" => p.explore_fine = v.parse()?,
        "max_passes" => p.max_passes = v.parse()?,
        "coherence" => p.coherence = v.parse()?,
        "inner_anchor" => p.inner_anchor = v.parse()?,
        "anchor_fine" => p.anchor_fine = v.parse()?,
        _ => return Err(format!("unknown parameter {k}").into()),
    }
    Ok(())
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut manifest: Option<PathBuf> = None;
    let mut only: Option<String> = None;
    let mut sheet: Option<PathBuf> = None;
    let mut tile = 256u32;
    let mut canvas: Option<u32> = None;
    let mut out_dir: Option<PathBuf> = None;
    let mut params = LocalParams::default();
    let mut pm_python: Option<String> = None;
    let mut pm_cache: Option<PathBuf> = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut val = || -> Res<String> {
            i += 1;
            args.get(i)
                .cloned()
                .ok_or_else(|| format!("{a} needs a value").into())
        };
        match a {
            "--only" => only = Some(val()?),
            "--sheet" => sheet = Some(PathBuf::from(val()?)),
            "--seed" => params.seed = val()?.parse()?,
            "--tile" => tile = val()?.parse()?,
            "--canvas" => canvas = Some(val()?.parse()?),
            "--out" => out_dir = Some(PathBuf::from(val()?)),
            "--set" => set_param(&mut params, &val()?)?,
            "--patchmatch" => pm_python = Some(val()?),
            "--pm-cache" => pm_cache = Some(PathBuf::from(val()?)),
            _ if manifest.is_none() && !a.starts_with("--") => manifest = Some(PathBuf::from(a)),
            _ => return Err(format!("unexpected argument {a}").into()),
        }
        i += 1;
    }
    let manifest =
        manifest.ok_or("usage: quality MANIFEST [--only SUBSTR] [--sheet OUT.png] [--seed S]")?;
    let dir = manifest.parent().unwrap_or(Path::new(".")).to_path_buf();
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&manifest)?)?;
    let cases = json["cases"]
        .as_array()
        .ok_or("manifest has no cases array")?;

    let mut rows = Vec::new();
    let mut tiles: Vec<Vec<RgbImage>> = Vec::new();
    println!(
        "{:<24} {:<12} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8}",
        "id",
        "kind",
        "time_s",
        "psnr",
        "ssim",
        "texture",
        "seam",
        "mseam",
        "pm_s",
        "pm_psnr",
        "pm_mseam"
    );
    for c in cases {
        let id = c["id"].as_str().unwrap_or("?").to_string();
        if only.as_ref().is_some_and(|o| !id.contains(o.as_str())) {
            continue;
        }
        let mut kind = c["kind"].as_str().unwrap_or("?").to_string();
        let mut img =
            image::open(dir.join(c["image"].as_str().ok_or("case without image")?))?.to_rgb8();
        let mut mask: GrayImage =
            image::open(dir.join(c["mask"].as_str().ok_or("case without mask")?))?.to_luma8();
        let mut gt = match c["ground_truth"].as_str() {
            Some(p) => Some(image::open(dir.join(p))?.to_rgb8()),
            None => None,
        };
        if let Some(n) = canvas {
            let (iw, ih) = img.dimensions();
            if n < iw.max(ih) {
                return Err(format!("--canvas {n} is smaller than the {iw}x{ih} image").into());
            }
            let (ox, oy) = ((n - iw) / 2, (n - ih) / 2);
            let mut big = RgbImage::new(n, n);
            imageops::replace(&mut big, &img, ox as i64, oy as i64);
            img = big;
            mask = GrayImage::from_fn(n, n, |x, y| {
                let inside = x >= ox && x < ox + iw && y >= oy && y < oy + ih;
                image::Luma([if inside { 0 } else { 255 }])
            });
            gt = None;
            kind = format!("outpaint{n}");
        }
        let (w, h) = (img.width() as usize, img.height() as usize);
        let hole: Vec<bool> = mask.pixels().map(|p| p[0] > 0).collect();
        let mut input = img.clone();
        for (p, &m) in input.pixels_mut().zip(&hole) {
            if m {
                *p = Rgb([0, 0, 0]);
            }
        }
        let t = Instant::now();
        let out = inpaint(&input, &mask, &params, &|_| {}, &CancellationToken::new())?;
        let secs = t.elapsed().as_secs_f64();
        let pm = match (&pm_python, &pm_cache) {
            (Some(py), None) => Some(patchmatch(py, &input, &mask)?),
            (py, Some(d)) => {
                let (png, secs) = (d.join(format!("{id}.png")), d.join(format!("{id}.secs")));
                if png.exists() && secs.exists() {
                    let t: f64 = std::fs::read_to_string(&secs)?.trim().parse()?;
                    Some((image::open(&png)?.to_rgb8(), t))
                } else if let Some(py) = py {
                    let (res, t) = patchmatch(py, &input, &mask)?;
                    std::fs::create_dir_all(d)?;
                    res.save(&png)?;
                    std::fs::write(&secs, format!("{t}\n"))?;
                    Some((res, t))
                } else {
                    None
                }
            }
            (None, None) => None,
        };
        let pm_secs = pm.as_ref().map(|p| p.1);
        let pm_psnr = match (&pm, &gt) {
            (Some((res, _)), Some(gt)) => Some(psnr(res, gt, &hole)),
            _ => None,
        };
        if let Some(d) = &out_dir {
            std::fs::create_dir_all(d)?;
            out.save(d.join(format!("{id}.png")))?;
        }

        let lo = luma(&out);
        let go = grad(&lo, w, h);
        // Band within 2 px of the boundary, both sides.
        let mut band = vec![false; w * h];
        for y in 0..h {
            for x in 0..w {
                let me = hole[y * w + x];
                'n: for yy in y.saturating_sub(2)..(y + 3).min(h) {
                    for xx in x.saturating_sub(2)..(x + 3).min(w) {
                        if hole[yy * w + xx] != me {
                            band[y * w + x] = true;
                            break 'n;
                        }
                    }
                }
            }
        }
        let row = if let Some(gt) = &gt {
            let lg = luma(gt);
            let gg = grad(&lg, w, h);
            let meet = meeting_lines(&hole, w, h);
            let pm_mseam = pm
                .as_ref()
                .and_then(|(res, _)| meeting_seam(&grad(&luma(res), w, h), &gg, &hole, &meet));
            let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
            for (i, _) in hole.iter().enumerate().filter(|(_, m)| **m) {
                x0 = x0.min(i % w);
                y0 = y0.min(i / w);
                x1 = x1.max(i % w + 1);
                y1 = y1.max(i / w + 1);
            }
            Row {
                id,
                kind,
                secs,
                psnr: Some(psnr(&out, gt, &hole)),
                ssim: Some(ssim(&lo, &lg, w, (x0, y0, x1, y1))),
                texture: mean_over(&go, &hole) / mean_over(&gg, &hole).max(1e-9),
                seam: Some(mean_over(&go, &band) / mean_over(&gg, &band).max(1e-9)),
                mseam: meeting_seam(&go, &gg, &hole, &meet),
                pm_secs,
                pm_psnr,
                pm_mseam,
            }
        } else {
            let known: Vec<bool> = hole.iter().map(|m| !m).collect();
            Row {
                id,
                kind,
                secs,
                psnr: None,
                ssim: None,
                texture: mean_over(&go, &hole) / mean_over(&go, &known).max(1e-9),
                seam: None,
                mseam: None,
                pm_secs,
                pm_psnr,
                pm_mseam: None,
            }
        };
        let f = |v: Option<f64>, p: usize| v.map_or("-".to_string(), |v| format!("{v:.p$}"));
        println!(
            "{:<24} {:<12} {:>7.3} {:>7} {:>6} {:>7.3} {:>6} {:>6} {:>7} {:>7} {:>8}",
            row.id,
            row.kind,
            row.secs,
            f(row.psnr, 2),
            f(row.ssim, 3),
            row.texture,
            f(row.seam, 3),
            f(row.mseam, 3),
            f(row.pm_secs, 3),
            f(row.pm_psnr, 2),
            f(row.pm_mseam, 3)
        );
        rows.push(row);
        if sheet.is_some() {
            let orig = gt.clone().unwrap_or_else(|| img.clone());
            let th = (tile as f64 * h as f64 / w as f64).round().max(1.0) as u32;
            let sc = |im: &RgbImage| imageops::resize(im, tile, th, imageops::FilterType::Triangle);
            let mut t = vec![sc(&orig), sc(&input), sc(&out)];
            if let Some((res, _)) = &pm {
                t.push(sc(res));
            }
            tiles.push(t);
        }
    }

    println!("\nmedians per kind (texture for `outpaint`: hole vs known region of the result)");
    println!(
        "{:<12} {:>3} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8} {:>7} {:>7}",
        "kind",
        "n",
        "time_s",
        "psnr",
        "ssim",
        "texture",
        "seam",
        "mseam",
        "pm_s",
        "pm_psnr",
        "pm_mseam",
        "t/pm_t",
        "psnr-pm"
    );
    let mut kinds: Vec<String> = rows.iter().map(|r| r.kind.clone()).collect();
    kinds.dedup();
    kinds.sort();
    kinds.dedup();
    for k in &kinds {
        let rs: Vec<&Row> = rows.iter().filter(|r| &r.kind == k).collect();
        let m = |f: &dyn Fn(&Row) -> Option<f64>| {
            let v: Vec<f64> = rs.iter().filter_map(|r| f(r)).collect();
            if v.is_empty() {
                "-".to_string()
            } else {
                format!("{:.3}", median(v))
            }
        };
        // the mean per-case PSNR lead over PatchMatch
        let lead: Vec<f64> = rs
            .iter()
            .filter_map(|r| Some(r.psnr? - r.pm_psnr?))
            .collect();
        let lead = if lead.is_empty() {
            "-".to_string()
        } else {
            format!("{:+.3}", lead.iter().sum::<f64>() / lead.len() as f64)
        };
        println!(
            "{:<12} {:>3} {:>7} {:>7} {:>6} {:>7} {:>6} {:>6} {:>7} {:>7} {:>8} {:>7} {:>7}",
            k,
            rs.len(),
            m(&|r| Some(r.secs)),
            m(&|r| r.psnr),
            m(&|r| r.ssim),
            m(&|r| Some(r.texture)),
            m(&|r| r.seam),
            m(&|r| r.mseam),
            m(&|r| r.pm_secs),
            m(&|r| r.pm_psnr),
            m(&|r| r.pm_mseam),
            m(&|r| r.pm_secs.map(|p| r.secs / p.max(1e-9))),
            lead
        );
    }
    println!(
        "overall median time {:.3} s over {} cases",
        median(rows.iter().map(|r| r.secs).collect()),
        rows.len()
    );

    if let Some(cpu) = user_cpu_secs() {
        println!("process user CPU {cpu:.2} s (load-independent cost)");
    }

    if let Some(path) = sheet {
        let tw = tiles.first().map_or(1, |t| t[0].width());
        let th = tiles.first().map_or(1, |t| t[0].height());
        let cols = tiles.first().map_or(3, |t| t.len() as u32);
        let mut s = RgbImage::from_pixel(
            tw * cols + 2 * (cols - 1),
            (th + 2) * tiles.len().max(1) as u32,
            Rgb([255, 255, 255]),
        );
        for (r, t) in tiles.iter().enumerate() {
            for (c, im) in t.iter().enumerate() {
                imageops::replace(
                    &mut s,
                    im,
                    (c as u32 * (tw + 2)) as i64,
                    (r as u32 * (th + 2)) as i64,
                );
            }
        }
        s.save(&path)?;
        println!("contact sheet written to {}", path.display());
    }
    Ok(())
}
