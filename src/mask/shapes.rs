//! Shapes given on the command line (or drawn in the TUI), rasterised into a [`Mask`].
//!
//! Pixels are selected when their centre (x + 0.5, y + 0.5) lies inside the shape. Polygons use the
//! non-zero winding rule (SVG's default), so a self-intersecting star is filled in its centre too.

use std::fmt;
use std::str::FromStr;

use super::Mask;

/// A selection shape in image pixel coordinates.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    /// `X,Y,W,H`: the top-left pixel and the size.
    Rect { x: i64, y: i64, w: u32, h: u32 },
    /// `"X,Y X,Y X,Y ..."`: three or more vertices.
    Polygon(Vec<(f64, f64)>),
    /// `CX,CY,RX,RY`: centre and radii.
    Ellipse { cx: f64, cy: f64, rx: f64, ry: f64 },
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Rect { x, y, w, h } => write!(f, "rectangle {x},{y},{w},{h}"),
            Shape::Polygon(pts) => {
                write!(f, "polygon")?;
                for (i, (x, y)) in pts.iter().enumerate() {
                    write!(f, "{}{x},{y}", if i == 0 { " \"" } else { " " })?;
                }
                write!(f, "\"")
            }
            Shape::Ellipse { cx, cy, rx, ry } => write!(f, "ellipse {cx},{cy},{rx},{ry}"),
        }
    }
}

/// A coordinate as a person reads it: to a tenth of a pixel, without a trailing `.0`.
fn short(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

impl Shape {
    /// The shape as a person reads it: coordinates to a tenth of a pixel (the `Display` form
    /// keeps every digit, so that it parses back exactly).
    pub fn brief(&self) -> String {
        match self {
            Shape::Rect { .. } => self.to_string(),
            Shape::Polygon(pts) => {
                let pts: Vec<String> = pts
                    .iter()
                    .map(|(x, y)| format!("{},{}", short(*x), short(*y)))
                    .collect();
                format!("polygon \"{}\"", pts.join(" "))
            }
            Shape::Ellipse { cx, cy, rx, ry } => {
                let [cx, cy, rx, ry] = [*cx, *cy, *rx, *ry].map(short);
                format!("ellipse {cx},{cy},{rx},{ry}")
            }
        }
    }
}

fn numbers(s: &str, what: &str, expected: usize, form: &str) -> Result<Vec<f64>, String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != expected {
        return Err(format!(
            "{what} {s:?}: expected {expected} numbers as {form}, got {}",
            parts.len()
        ));
    }
    parts
        .iter()
        .map(|p| {
            p.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("{what} {s:?}: {p:?} is not a number (expected {form})"))
        })
        .collect()
}

impl Shape {
    /// Parses `--rect X,Y,W,H`.
    pub fn parse_rect(s: &str) -> Result<Shape, String> {
        let v = numbers(s, "--rect", 4, "X,Y,W,H")?;
        if v.iter().any(|n| n.fract() != 0.0) {
            return Err(format!("--rect {s:?}: values must be whole pixels"));
        }
        if v[2] < 1.0 || v[3] < 1.0 {
            return Err(format!(
                "--rect {s:?}: width and height must be at least 1, got {}x{}",
                v[2], v[3]
            ));
        }
        if v.iter().any(|n| n.abs() > 1e9) {
            return Err(format!("--rect {s:?}: values out of range"));
        }
        Ok(Shape::Rect {
            x: v[0] as i64,
            y: v[1] as i64,
            w: v[2] as u32,
            h: v[3] as u32,
        })
    }

    /// Parses `--polygon "X,Y X,Y X,Y ..."`.
    pub fn parse_polygon(s: &str) -> Result<Shape, String> {
        let mut pts = Vec::new();
        for (i, pair) in s.split_whitespace().enumerate() {
            let v = numbers(pair, &format!("--polygon vertex {}", i + 1), 2, "X,Y")?;
            if v.iter().any(|n| n.abs() > 1e9) {
                return Err(format!(
                    "--polygon vertex {} {pair:?}: coordinates must be within ±1000000000",
                    i + 1
                ));
            }
            pts.push((v[0], v[1]));
        }
        if pts.len() < 3 {
            return Err(format!(
                "--polygon {s:?}: a polygon needs at least 3 vertices \"X,Y X,Y X,Y\", got {}",
                pts.len()
            ));
        }
        Ok(Shape::Polygon(pts))
    }

    /// Parses `--ellipse CX,CY,RX,RY`.
    pub fn parse_ellipse(s: &str) -> Result<Shape, String> {
        let v = numbers(s, "--ellipse", 4, "CX,CY,RX,RY")?;
        if v[2] <= 0.0 || v[3] <= 0.0 {
            return Err(format!(
                "--ellipse {s:?}: radii must be greater than 0, got {} and {}",
                v[2], v[3]
            ));
        }
        if v.iter().any(|n| n.abs() > 1e9) {
            return Err(format!(
                "--ellipse {s:?}: values must be within ±1000000000"
            ));
        }
        Ok(Shape::Ellipse {
            cx: v[0],
            cy: v[1],
            rx: v[2],
            ry: v[3],
        })
    }

    /// The same shape moved by (`dx`, `dy`) pixels.
    pub fn translated(&self, dx: i64, dy: i64) -> Shape {
        let (fx, fy) = (dx as f64, dy as f64);
        match self {
            Shape::Rect { x, y, w, h } => Shape::Rect {
                x: x + dx,
                y: y + dy,
                w: *w,
                h: *h,
            },
            Shape::Polygon(p) => Shape::Polygon(p.iter().map(|(x, y)| (x + fx, y + fy)).collect()),
            Shape::Ellipse { cx, cy, rx, ry } => Shape::Ellipse {
                cx: cx + fx,
                cy: cy + fy,
                rx: *rx,
                ry: *ry,
            },
        }
    }

    /// Selects the shape's pixels in `mask` (255). Pixels outside the image are clipped; a shape with
    /// no pixel inside the image is an error naming the shape and the image size.
    pub fn rasterize(&self, mask: &mut Mask) -> Result<(), String> {
        let (w, h) = (mask.width() as i64, mask.height() as i64);
        let mut touched = false;
        match self {
            Shape::Rect { x, y, w: rw, h: rh } => {
                let (x0, y0) = ((*x).max(0), (*y).max(0));
                let (x1, y1) = ((x + i64::from(*rw)).min(w), (y + i64::from(*rh)).min(h));
                for py in y0..y1 {
                    for px in x0..x1 {
                        mask.0.put_pixel(px as u32, py as u32, image::Luma([255]));
                        touched = true;
                    }
                }
            }
            Shape::Ellipse { cx, cy, rx, ry } => {
                let y0 = ((cy - ry).floor() as i64).max(0);
                let y1 = ((cy + ry).ceil() as i64).min(h);
                let x0 = ((cx - rx).floor() as i64).max(0);
                let x1 = ((cx + rx).ceil() as i64).min(w);
                for py in y0..y1 {
                    for px in x0..x1 {
                        let dx = (px as f64 + 0.5 - cx) / rx;
                        let dy = (py as f64 + 0.5 - cy) / ry;
                        if dx * dx + dy * dy <= 1.0 {
                            mask.0.put_pixel(px as u32, py as u32, image::Luma([255]));
                            touched = true;
                        }
                    }
                }
            }
            Shape::Polygon(pts) => touched = fill_polygon(pts, mask),
        }
        if touched {
            Ok(())
        } else {
            Err(format!(
                "{self} selects no pixel inside the {w}x{h} image (coordinates are pixels from the top-left corner)"
            ))
        }
    }
}

/// Scanline fill with the non-zero winding rule; returns whether any pixel was inside.
fn fill_polygon(pts: &[(f64, f64)], mask: &mut Mask) -> bool {
    let (w, h) = (mask.width() as i64, mask.height() as i64);
    let ymin = pts.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let ymax = pts.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let y0 = (ymin.floor() as i64).max(0);
    let y1 = (ymax.ceil() as i64).min(h);
    let mut touched = false;
    let mut crossings: Vec<(f64, i32)> = Vec::new();
    for py in y0..y1 {
        let sy = py as f64 + 0.5;
        crossings.clear();
        for i in 0..pts.len() {
            let (ax, ay) = pts[i];
            let (bx, by) = pts[(i + 1) % pts.len()];
            if ay == by {
                continue;
            }
            let (dir, lo, hi) = if ay < by { (1, ay, by) } else { (-1, by, ay) };
            if sy >= lo && sy < hi {
                let x = ax + (sy - ay) * (bx - ax) / (by - ay);
                crossings.push((x, dir));
            }
        }
        crossings.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut winding = 0;
        for k in 0..crossings.len() {
            winding += crossings[k].1;
            if winding != 0 && k + 1 < crossings.len() {
                // pixels whose centre lies in [x_k, x_{k+1})
                let start = ((crossings[k].0 - 0.5).ceil() as i64).max(0);
                let end = ((crossings[k + 1].0 - 0.5).ceil() as i64).min(w);
                for px in start..end {
                    mask.0.put_pixel(px as u32, py as u32, image::Luma([255]));
                    touched = true;
                }
            }
        }
    }
    touched
}

impl FromStr for Shape {
    type Err = String;
    /// Parses `rect:X,Y,W,H`, `polygon:X,Y X,Y ...` or `ellipse:CX,CY,RX,RY`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some(("rect", r)) => Shape::parse_rect(r),
            Some(("polygon", r)) => Shape::parse_polygon(r),
            Some(("ellipse", r)) => Shape::parse_ellipse(r),
            _ => Err(format!(
                "{s:?}: expected rect:X,Y,W,H, polygon:\"X,Y X,Y X,Y\" or ellipse:CX,CY,RX,RY"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raster(shape: &Shape, w: u32, h: u32) -> Mask {
        let mut m = Mask::new(w, h);
        shape.rasterize(&mut m).unwrap();
        m
    }

    fn at(m: &Mask, x: u32, y: u32) -> bool {
        m.0.get_pixel(x, y).0[0] == 255
    }

    #[test]
    fn huge_coordinates_are_refused_by_every_shape() {
        let e = Shape::parse_polygon("0,0 1e308,0 0,5").unwrap_err();
        assert!(e.contains("vertex 2") && e.contains("1e308"), "{e}");
        assert!(Shape::parse_ellipse("1e12,5,3,3").is_err());
        assert!(Shape::parse_rect("0,0,1e12,3").is_err());
        assert!(Shape::parse_polygon("0,0 1e9,0 0,5").is_ok());
    }

    #[test]
    fn rect_selects_exactly_its_pixels() {
        let m = raster(&Shape::parse_rect("2,3,4,5").unwrap(), 10, 10);
        assert_eq!(m.selected_count(), 20);
        assert_eq!(m.bounding_box(), Some((2, 3, 4, 5)));
    }

    #[test]
    fn rect_is_clipped_but_outside_is_an_error() {
        let m = raster(&Shape::parse_rect("-2,-2,4,4").unwrap(), 10, 10);
        assert_eq!(m.selected_count(), 4);
        let err = Shape::parse_rect("20,20,5,5")
            .unwrap()
            .rasterize(&mut Mask::new(10, 8))
            .unwrap_err();
        assert!(
            err.contains("rectangle 20,20,5,5") && err.contains("10x8"),
            "{err}"
        );
    }

    #[test]
    fn polygon_axis_aligned_square_matches_rect() {
        let p = raster(&Shape::parse_polygon("2,3 6,3 6,8 2,8").unwrap(), 10, 10);
        let r = raster(&Shape::parse_rect("2,3,4,5").unwrap(), 10, 10);
        assert_eq!(p, r);
    }

    #[test]
    fn concave_polygon_leaves_its_notch() {
        // a U shape: the notch between x=4..6, y=0..6 stays unselected
        let m = raster(
            &Shape::parse_polygon("0,0 4,0 4,6 6,6 6,0 10,0 10,10 0,10").unwrap(),
            10,
            10,
        );
        assert!(at(&m, 1, 1) && at(&m, 8, 1) && at(&m, 5, 8));
        assert!(!at(&m, 5, 2) && !at(&m, 4, 5));
        assert_eq!(m.selected_count(), 100 - 12);
    }

    #[test]
    fn self_intersecting_star_uses_nonzero_winding() {
        // five-pointed star drawn in one stroke: even-odd would leave the centre empty
        let c = (50.0f64, 50.0f64);
        let pts: Vec<String> = (0..5)
            .map(|i| {
                let a = std::f64::consts::PI * (-0.5 + 0.8 * i as f64);
                format!("{},{}", c.0 + 40.0 * a.cos(), c.1 + 40.0 * a.sin())
            })
            .collect();
        let m = raster(&Shape::parse_polygon(&pts.join(" ")).unwrap(), 100, 100);
        assert!(
            at(&m, 50, 50),
            "centre of the star is filled (non-zero rule)"
        );
        assert!(at(&m, 50, 15), "top point");
        assert!(!at(&m, 5, 5));
    }

    #[test]
    fn bowtie_fills_both_lobes() {
        let m = raster(
            &Shape::parse_polygon("0,0 10,10 10,0 0,10").unwrap(),
            10,
            10,
        );
        assert!(at(&m, 1, 5) && at(&m, 8, 5));
        assert!(!at(&m, 5, 1) && !at(&m, 5, 8));
    }

    #[test]
    fn ellipse_is_symmetric_and_has_the_right_area() {
        let m = raster(&Shape::parse_ellipse("50,50,20,10").unwrap(), 100, 100);
        let area = m.selected_count() as f64;
        let expected = std::f64::consts::PI * 200.0;
        assert!((area - expected).abs() / expected < 0.03, "{area}");
        assert_eq!(m.bounding_box(), Some((30, 40, 40, 20)));
    }

    #[test]
    fn parse_errors_name_the_flag_and_value() {
        let e = Shape::parse_polygon("1,2 3,4").unwrap_err();
        assert!(
            e.contains("at least 3 vertices") && e.contains("got 2"),
            "{e}"
        );
        let e = Shape::parse_polygon("1,2 3,x 5,6").unwrap_err();
        assert!(
            e.contains("\"x\" is not a number") && e.contains("vertex 2"),
            "{e}"
        );
        let e = Shape::parse_rect("1,2,3").unwrap_err();
        assert!(
            e.contains("expected 4 numbers") && e.contains("X,Y,W,H"),
            "{e}"
        );
        let e = Shape::parse_rect("1,2,0,4").unwrap_err();
        assert!(e.contains("at least 1"), "{e}");
        let e = Shape::parse_ellipse("1,2,0,4").unwrap_err();
        assert!(e.contains("greater than 0"), "{e}");
        assert!(Shape::parse_rect("1,2,nan,4").is_err());
    }
}
