//! Selecting by pointing, with no model weights: the object inside a rectangle (a graph cut on
//! colour models, the GrabCut family) and the colour region around a point (a magic wand).
//! Both answer a [`Mask`] the size of the image, 255 = selected (may change).
//!
//! Callers check points and rectangles against the image before calling (a rectangle is clipped
//! to the image; a point outside it selects nothing). Both are deterministic: single-threaded,
//! the same bytes for the same input.
//!
//! - [`object`]: [`grabcut`], on [`gmm`] colour models and the [`maxflow`] graph cut.
//! - [`wand`]: [`wand()`](wand::wand) in Lab.

mod gmm;
mod grabcut;
mod maxflow;
mod wand;

use image::RgbImage;

use crate::mask::Mask;
use crate::violation::{Field, Limit, Rule, Violation};

/// A rectangle in image pixels (x, y of the top-left corner, width, height), inside the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Strokes a user drew to correct an object selection: pixels marked "this is the object" and
/// "this is background" (each a mask the size of the image, > 0 = marked), or none.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hints<'a> {
    pub object: Option<&'a Mask>,
    pub background: Option<&'a Mask>,
}

/// The wand's tolerance when none is given: a distance in CIE Lab (Delta E 76).
pub const DEFAULT_TOLERANCE: f32 = 12.0;
/// The largest tolerance accepted.
pub const MAX_TOLERANCE: f32 = 100.0;

/// The object inside `rect`: pixels outside the rectangle are never selected. Strokes in
/// `hints` are hard constraints (object / background) inside the rectangle.
pub fn object(image: &RgbImage, rect: Rect, hints: Hints<'_>) -> Mask {
    grabcut::object(image, rect, hints)
}

/// The pixels whose colour is within `tolerance` (Delta E 76 in CIE Lab, clamped to
/// 0..=[`MAX_TOLERANCE`]) of the colour at (x, y) (the median of the 5x5 pixels around it): only
/// the region connected to the point when `contiguous`, else every such pixel of the image. The
/// point itself is always selected; a point outside the image selects nothing.
pub fn wand(image: &RgbImage, x: u32, y: u32, tolerance: f32, contiguous: bool) -> Mask {
    wand::wand(image, x, y, tolerance, contiguous)
}

/// An object to select, as the command line gives it (`--object X,Y,W,H`): a rectangle that may
/// reach past the image's edges; [`ObjectPick::clip`] gives the part inside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectPick {
    pub x: i64,
    pub y: i64,
    pub w: u32,
    pub h: u32,
}

impl ObjectPick {
    /// Parses `X,Y,W,H` (pixels from the top-left corner; W and H at least 1).
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || format!("{s:?}: expected X,Y,W,H in pixels, e.g. 120,80,300,200");
        let [x, y, w, h] = parts.as_slice() else {
            return Err(bad());
        };
        let (x, y) = (
            x.parse::<i64>().map_err(|_| bad())?,
            y.parse::<i64>().map_err(|_| bad())?,
        );
        let (w, h) = (
            w.parse::<u32>().map_err(|_| bad())?,
            h.parse::<u32>().map_err(|_| bad())?,
        );
        if w == 0 || h == 0 {
            return Err(format!("{s:?}: W and H must be at least 1"));
        }
        if x.unsigned_abs() > u64::from(u32::MAX) || y.unsigned_abs() > u64::from(u32::MAX) {
            return Err(bad());
        }
        Ok(ObjectPick { x, y, w, h })
    }

    /// The part of the rectangle inside a `width` x `height` image, or None when no pixel is.
    pub fn clip(&self, width: u32, height: u32) -> Option<Rect> {
        let x0 = self.x.max(0);
        let y0 = self.y.max(0);
        let x1 = (self.x + i64::from(self.w)).min(i64::from(width));
        let y1 = (self.y + i64::from(self.h)).min(i64::from(height));
        (x1 > x0 && y1 > y0).then(|| Rect {
            x: x0 as u32,
            y: y0 as u32,
            w: (x1 - x0) as u32,
            h: (y1 - y0) as u32,
        })
    }
}

impl std::fmt::Display for ObjectPick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{},{}", self.x, self.y, self.w, self.h)
    }
}

/// A wand click, as the command line gives it (`--wand X,Y[,TOL][,all]`): the point, the
/// tolerance, and whether every similar pixel counts (`all`) or only the connected region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WandPick {
    pub x: i64,
    pub y: i64,
    pub tolerance: f32,
    pub contiguous: bool,
}

impl WandPick {
    /// Parses `X,Y`, `X,Y,TOL`, `X,Y,all` or `X,Y,TOL,all` (TOL from 0 to [`MAX_TOLERANCE`],
    /// default [`DEFAULT_TOLERANCE`]).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let bad = || {
            format!("{s:?}: expected X,Y[,TOL][,all], e.g. 120,80 or 120,80,20 or 120,80,20,all")
        };
        let contiguous = if parts.last().is_some_and(|p| p.eq_ignore_ascii_case("all")) {
            parts.pop();
            false
        } else {
            true
        };
        let (x, y, tolerance) = match parts.as_slice() {
            [x, y] => (x, y, DEFAULT_TOLERANCE),
            [x, y, t] => {
                let t: f32 = t.parse().map_err(|_| bad())?;
                if !(0.0..=MAX_TOLERANCE).contains(&t) {
                    return Err(format!(
                        "{s:?}: the tolerance must be from 0 to {MAX_TOLERANCE}, got {t}"
                    ));
                }
                (x, y, t)
            }
            _ => return Err(bad()),
        };
        let (x, y) = (
            x.parse::<i64>().map_err(|_| bad())?,
            y.parse::<i64>().map_err(|_| bad())?,
        );
        Ok(WandPick {
            x,
            y,
            tolerance,
            contiguous,
        })
    }

    /// The point, when it is inside a `width` x `height` image.
    pub fn point(&self, width: u32, height: u32) -> Option<(u32, u32)> {
        (self.x >= 0 && self.y >= 0 && self.x < i64::from(width) && self.y < i64::from(height))
            .then_some((self.x as u32, self.y as u32))
    }
}

impl std::fmt::Display for WandPick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{},{},{}", self.x, self.y, self.tolerance)?;
        if !self.contiguous {
            write!(f, ",all")?;
        }
        Ok(())
    }
}

/// Checks picks against a `width` x `height` image: a point outside it, or a rectangle with no
/// pixel inside it, breaks [`Rule::Outside`](crate::violation::Rule::Outside).
pub fn check_picks(
    objects: &[ObjectPick],
    wands: &[WandPick],
    width: u32,
    height: u32,
) -> Result<(), Box<Violation>> {
    let outside = |field, value: String| {
        Box::new(Violation::new(
            field,
            Rule::Outside,
            Limit::Size(width, height),
            value,
        ))
    };
    for o in objects {
        if o.clip(width, height).is_none() {
            return Err(outside(Field::Object, o.to_string()));
        }
    }
    for p in wands {
        if p.point(width, height).is_none() {
            return Err(outside(Field::Wand, p.to_string()));
        }
    }
    Ok(())
}

/// The union of the picks' selections on `image`; a pick that selects nothing breaks
/// [`Rule::Empty`](crate::violation::Rule::Empty), named by its flag and value.
pub fn resolve_picks(
    image: &RgbImage,
    objects: &[ObjectPick],
    wands: &[WandPick],
) -> Result<Mask, Box<Violation>> {
    let (w, h) = image.dimensions();
    check_picks(objects, wands, w, h)?;
    let mut out = Mask::new(w, h);
    let empty =
        |field, value: String| Box::new(Violation::new(field, Rule::Empty, Limit::Selected, value));
    for o in objects {
        let Some(rect) = o.clip(w, h) else {
            return Err(empty(Field::Object, o.to_string()));
        };
        let m = object(image, rect, Hints::default());
        if m.is_empty() {
            return Err(empty(Field::Object, o.to_string()));
        }
        out.union(&m);
    }
    for p in wands {
        let Some((x, y)) = p.point(w, h) else {
            return Err(empty(Field::Wand, p.to_string()));
        };
        let m = wand(image, x, y, p.tolerance, p.contiguous);
        if m.is_empty() {
            return Err(empty(Field::Wand, p.to_string()));
        }
        out.union(&m);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_parse_their_forms_and_refuse_the_rest_without_panicking() {
        assert_eq!(
            ObjectPick::parse("-5, 10,20,30"),
            Ok(ObjectPick {
                x: -5,
                y: 10,
                w: 20,
                h: 30
            })
        );
        for bad in [
            "1,2,3",
            "1,2,0,4",
            "a,2,3,4",
            "-9223372036854775808,0,5,5",
            "1,2,3,4,5",
        ] {
            assert!(ObjectPick::parse(bad).is_err(), "{bad}");
        }
        let p = WandPick::parse("3,4").unwrap();
        assert_eq!(
            (p.x, p.y, p.tolerance, p.contiguous),
            (3, 4, DEFAULT_TOLERANCE, true)
        );
        let p = WandPick::parse("3,4,20,all").unwrap();
        assert_eq!((p.tolerance, p.contiguous), (20.0, false));
        assert!(!WandPick::parse("3,4,ALL").unwrap().contiguous);
        for bad in ["3", "3,4,101", "3,4,-1", "3,4,5,6", "3,4,nan", "x,4"] {
            assert!(WandPick::parse(bad).is_err(), "{bad}");
        }
        // a box is clipped to the image; one with no pixel inside is None
        let o = ObjectPick::parse("-10,-10,20,20").unwrap();
        assert_eq!(
            o.clip(100, 50),
            Some(Rect {
                x: 0,
                y: 0,
                w: 10,
                h: 10
            })
        );
        assert_eq!(ObjectPick::parse("100,0,5,5").unwrap().clip(100, 50), None);
    }
}
