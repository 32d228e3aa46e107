//! The pointing tools: the object inside a dragged box (a graph cut, `select::object`) and the
//! colour region at a click (`select::wand`), with what makes them refinable: brush and eraser
//! strokes after an object selection become its hints for a second pass over the same box, and
//! `[` `]` re-run the last wand click at a new tolerance.

use std::sync::Arc;

use crate::mask::Mask;
use crate::select::{self, Hints, ObjectPick, Rect};

use super::app::{App, HintStrokes, Pick, PickKind};
use super::tools;

/// Tolerances `[` and `]` step through (a finer step at the low end, where photos need it).
const TOLERANCE_STEPS: [f32; 14] = [
    2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 18.0, 22.0, 27.0, 33.0, 40.0, 50.0, 65.0,
];

/// Whether the pick can still be refined (nothing but hint strokes changed the mask since).
fn live(app: &App) -> Option<&Pick> {
    app.pick.as_ref().filter(|p| p.rev == app.mask_rev)
}

/// The object tool's drag from `a` to `b` (canvas coordinates) ended.
pub fn object_drag(app: &mut App, a: (f64, f64), b: (f64, f64)) {
    let Some(doc) = &app.doc else { return };
    let image = Arc::clone(&doc.display);
    let (w, h) = (image.width(), image.height());
    let (x0, y0, x1, y1) = tools::drag_bounds(a, b);
    let offset = app.offset();
    let dragged = ObjectPick {
        x: x0 - i64::from(offset.0),
        y: y0 - i64::from(offset.1),
        w: (x1 - x0 + 1) as u32,
        h: (y1 - y0 + 1) as u32,
    };
    let Some(rect) = dragged.clip(w, h) else {
        app.set_status("object: the box holds no pixel of the image; drag it over the object");
        return;
    };
    // A box over the last object's box again is a second pass: it starts from the mask before
    // the first one and uses the strokes drawn since as hints.
    let again = match live(app) {
        Some(Pick {
            kind: PickKind::Object { rect: last },
            base,
            ..
        }) if overlap(*last, rect) => Some(Arc::clone(base)),
        _ => None,
    };
    let second = again.is_some();
    if !second {
        app.hints = None;
    }
    let base = again.unwrap_or_else(|| Arc::clone(&doc.mask));
    let hints = app.hints.as_ref();
    let found = select::object(
        &image,
        rect,
        Hints {
            object: hints.map(|h| &h.object),
            background: hints.map(|h| &h.background),
        },
    );
    let mut mask = (*base).clone();
    mask.union(&found);
    if let Some(h) = hints {
        apply_hints(&mut mask, h);
    }
    let count = found.selected_count();
    app.push_undo();
    if let Some(m) = app.mask_mut() {
        *m = mask;
    }
    app.pick = Some(Pick {
        kind: PickKind::Object { rect },
        base,
        rev: app.mask_rev,
    });
    app.set_status(if count == 0 {
        "object: nothing stood out in the box; draw a larger box, or mark the object with the brush and drag again".to_string()
    } else if second {
        format!("object: refined with your strokes, {count} px")
    } else {
        format!(
            "object: {count} px in the {}x{} box; fix the edge with the brush (b) / eraser (x), then drag the box again to use them",
            rect.w, rect.h
        )
    });
}

/// Whether two boxes are the same object's: they share at least half of the smaller one.
fn overlap(a: Rect, b: Rect) -> bool {
    let ix = (a.x + a.w).min(b.x + b.w).saturating_sub(a.x.max(b.x));
    let iy = (a.y + a.h).min(b.y + b.h).saturating_sub(a.y.max(b.y));
    let smaller = (u64::from(a.w) * u64::from(a.h)).min(u64::from(b.w) * u64::from(b.h));
    u64::from(ix) * u64::from(iy) * 2 >= smaller
}

/// Painted strokes stay selected and erased ones stay out, whatever the cut found.
fn apply_hints(mask: &mut Mask, h: &HintStrokes) {
    let fg = h.object.as_raw();
    let bg = h.background.as_raw();
    for (i, v) in mask.0.iter_mut().enumerate() {
        if bg[i] > 0 {
            *v = 0;
        } else if fg[i] > 0 {
            *v = 255;
        }
    }
}

/// A brush or eraser stroke from `a` to `b` (canvas coordinates): on the mask, and, after an
/// object selection, on its hints.
pub fn stroke(app: &mut App, a: (f64, f64), b: (f64, f64)) {
    let (d, erase, offset) = (
        app.brush,
        app.tool == super::app::Tool::Eraser,
        app.offset(),
    );
    let hinting = matches!(
        live(app),
        Some(Pick {
            kind: PickKind::Object { .. },
            ..
        })
    );
    if hinting {
        let (w, h) = app
            .doc
            .as_ref()
            .map_or((1, 1), |d| (d.mask.width(), d.mask.height()));
        let hints = app.hints.get_or_insert_with(|| HintStrokes {
            object: Mask::new(w, h),
            background: Mask::new(w, h),
        });
        let (mark, clear) = if erase {
            (&mut hints.background, &mut hints.object)
        } else {
            (&mut hints.object, &mut hints.background)
        };
        tools::stroke(mark, a, b, d, offset, false);
        tools::stroke(clear, a, b, d, offset, true);
    }
    if let Some(mask) = app.mask_mut() {
        tools::stroke(mask, a, b, d, offset, erase);
    }
    if hinting && let Some(p) = app.pick.as_mut() {
        p.rev = app.mask_rev;
    }
}

/// The wand tool's click at `p` (canvas coordinates).
pub fn wand_click(app: &mut App, p: (f64, f64)) {
    let Some(doc) = &app.doc else { return };
    let offset = app.offset();
    let (x, y) = (p.0 - f64::from(offset.0), p.1 - f64::from(offset.1));
    let (w, h) = (doc.display.width(), doc.display.height());
    if x < 0.0 || y < 0.0 || x >= f64::from(w) || y >= f64::from(h) {
        app.set_status("wand: click on the image (the point was outside it)");
        return;
    }
    let point = (x as u32, y as u32);
    let base = Arc::clone(&doc.mask);
    app.push_undo();
    wand_apply(app, base, point, app.wand_tolerance);
}

/// Sets the mask to `base` plus the wand's region at `point`, and remembers the pick.
fn wand_apply(app: &mut App, base: Arc<Mask>, point: (u32, u32), tolerance: f32) {
    let Some(doc) = &app.doc else { return };
    let found = select::wand(&doc.display, point.0, point.1, tolerance, !app.wand_global);
    let count = found.selected_count();
    let mut mask = (*base).clone();
    mask.union(&found);
    if let Some(m) = app.mask_mut() {
        *m = mask;
    }
    app.pick = Some(Pick {
        kind: PickKind::Wand { point, tolerance },
        base,
        rev: app.mask_rev,
    });
    let scope = if app.wand_global {
        "similar pixels anywhere"
    } else {
        "connected"
    };
    app.set_status(format!(
        "wand: {count} px {scope} at tolerance {tolerance} ([ ] change it, W again: {})",
        if app.wand_global {
            "connected only"
        } else {
            "all similar"
        }
    ));
}

/// `[` / `]` with the wand: the next tolerance step, re-running the last click if it is still
/// the latest change (the undo entry stays the one from before the click).
pub fn step_tolerance(app: &mut App, up: bool) {
    let t = app.wand_tolerance;
    app.wand_tolerance = if up {
        TOLERANCE_STEPS
            .iter()
            .copied()
            .find(|&s| s > t + 0.01)
            .unwrap_or(select::MAX_TOLERANCE.min(t * 1.25))
    } else {
        TOLERANCE_STEPS
            .iter()
            .rev()
            .copied()
            .find(|&s| s < t - 0.01)
            .unwrap_or(1.0_f32.max(t * 0.8))
    };
    rerun_wand(app);
}

/// `W` while the wand is the tool: connected region / every similar pixel.
pub fn toggle_global(app: &mut App) {
    app.wand_global = !app.wand_global;
    if !rerun_wand(app) {
        app.set_status(if app.wand_global {
            "wand: selects every similar pixel of the image (W again: only the connected region)"
        } else {
            "wand: selects the connected region (W again: every similar pixel)"
        });
    }
}

/// Re-runs the last wand click with the current settings; false when there is none to refine.
fn rerun_wand(app: &mut App) -> bool {
    match live(app) {
        Some(&Pick {
            kind: PickKind::Wand { point, .. },
            ref base,
            ..
        }) => {
            let base = Arc::clone(base);
            wand_apply(app, base, point, app.wand_tolerance);
            true
        }
        _ => {
            app.set_status(format!(
                "wand tolerance {} (click to select)",
                app.wand_tolerance
            ));
            false
        }
    }
}
