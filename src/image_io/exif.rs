//! The input's EXIF block, carried into the outputs: its embedded thumbnail removed (a picture
//! of the image before the edit), its Orientation and pixel-size tags made true of the output.
//!
//! The block is a TIFF structure (as a JPEG APP1 segment holds it after `Exif\0\0`, or a PNG
//! eXIf chunk). Every change is made in place, so every offset in the block (maker notes, GPS,
//! strings) stays valid; every offset read is bounds-checked, and a block that cannot be read
//! is refused with the reason, never a panic.

/// The largest EXIF block a JPEG APP1 segment holds (65,535 less the length field and `Exif\0\0`).
pub const MAX_JPEG_EXIF_BYTES: usize = 65_535 - 2 - 6;

const ORIENTATION: u16 = 0x0112;
const EXIF_IFD: u16 = 0x8769;
const PIXEL_X_DIMENSION: u16 = 0xA002;
const PIXEL_Y_DIMENSION: u16 = 0xA003;
/// The thumbnail's data: JPEGInterchangeFormat and its length, or one uncompressed strip.
const THUMBNAIL_DATA: [(u16, u16); 2] = [(0x0201, 0x0202), (0x0111, 0x0117)];
const SHORT: u16 = 3;
const LONG: u16 = 4;

/// A TIFF structure in one byte order.
struct Tiff<'a> {
    b: &'a [u8],
    le: bool,
}

/// One 12-byte IFD entry: where it is, and what it says.
#[derive(Debug, Clone, Copy)]
struct Entry {
    at: usize,
    tag: u16,
    kind: u16,
    count: u32,
}

impl<'a> Tiff<'a> {
    fn new(b: &'a [u8]) -> Result<Self, String> {
        let le = match b.get(..4) {
            Some([b'I', b'I', 42, 0]) => true,
            Some([b'M', b'M', 0, 42]) => false,
            _ => return Err("it does not start with a TIFF header (II*\\0 or MM\\0*)".into()),
        };
        Ok(Tiff { b, le })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let s: [u8; 2] = self.b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.le {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let s: [u8; 4] = self.b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.le {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    /// The entries of the IFD at `at` and where its next-IFD offset is, when the whole IFD lies
    /// inside the block.
    fn ifd(&self, at: usize) -> Option<(Vec<Entry>, usize)> {
        let n = usize::from(self.u16_at(at)?);
        let next = at.checked_add(2 + 12 * n)?;
        if next.checked_add(4)? > self.b.len() {
            return None;
        }
        let entries = (0..n)
            .map(|i| {
                let e = at + 2 + 12 * i;
                Some(Entry {
                    at: e,
                    tag: self.u16_at(e)?,
                    kind: self.u16_at(e + 2)?,
                    count: self.u32_at(e + 4)?,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some((entries, next))
    }

    /// A one-value SHORT or LONG entry's value.
    fn number(&self, e: &Entry) -> Option<u32> {
        match (e.kind, e.count) {
            (SHORT, 1) => self.u16_at(e.at + 8).map(u32::from),
            (LONG, 1) => self.u32_at(e.at + 8),
            _ => None,
        }
    }

    fn first_ifd(&self) -> Result<(usize, Vec<Entry>, usize), String> {
        let at = self.u32_at(4).map_or(usize::MAX, |o| o as usize);
        let (entries, next) = self.ifd(at).ok_or_else(|| {
            format!(
                "its first IFD (at offset {}) runs past the end of the {}-byte block",
                self.u32_at(4).unwrap_or(0),
                self.b.len()
            )
        })?;
        Ok((at, entries, next))
    }
}

fn put_u16(b: &mut [u8], at: usize, v: u16, le: bool) {
    if let Some(s) = b.get_mut(at..at + 2) {
        s.copy_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
    }
}

fn put_u32(b: &mut [u8], at: usize, v: u32, le: bool) {
    if let Some(s) = b.get_mut(at..at + 4) {
        s.copy_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() });
    }
}

fn zero(b: &mut [u8], from: usize, len: usize) {
    if let Some(s) = from.checked_add(len).and_then(|end| b.get_mut(from..end)) {
        s.fill(0);
    }
}

/// The EXIF block to keep from an input's: `block` (a `Exif\0\0` prefix, as some PNG writers
/// leave, is dropped) with its thumbnail removed: the thumbnail's bytes and the second IFD that
/// points at them are zeroed, and the first IFD's next-IFD offset is set to 0. Err: why the block
/// cannot be read (it is then not kept).
pub fn without_thumbnail(block: &[u8]) -> Result<Vec<u8>, String> {
    let block = block.strip_prefix(b"Exif\0\0").unwrap_or(block);
    let t = Tiff::new(block)?;
    let le = t.le;
    let (ifd0_at, _, next_at) = t.first_ifd()?;
    let next = t.u32_at(next_at).unwrap_or(0) as usize;
    // what to zero: the thumbnail's bytes, then the IFD that describes them
    let mut zeroed: Vec<(usize, usize)> = Vec::new();
    if next != 0 {
        let (entries, ifd1_end) = t.ifd(next).ok_or_else(|| {
            format!(
                "its second IFD (the thumbnail's, at offset {next}) runs past the end of the {}-byte block",
                block.len()
            )
        })?;
        for (data_tag, len_tag) in THUMBNAIL_DATA {
            let find = |tag| entries.iter().find(|e| e.tag == tag);
            let (Some(data), Some(len)) = (find(data_tag), find(len_tag)) else {
                continue;
            };
            let (Some(from), Some(len)) = (t.number(data), t.number(len)) else {
                return Err(format!(
                    "its thumbnail (tags {data_tag:#06x}/{len_tag:#06x}) is not one offset and length"
                ));
            };
            let (from, len) = (from as usize, len as usize);
            if from.checked_add(len).is_none_or(|end| end > block.len()) {
                return Err(format!(
                    "its thumbnail ({len} bytes at offset {from}) runs past the end of the {}-byte block",
                    block.len()
                ));
            }
            zeroed.push((from, len));
        }
        zeroed.push((next, ifd1_end + 4 - next));
    }
    // what is zeroed must leave the header and the first IFD whole
    let overlaps = |(from, len): (usize, usize), (start, end): (usize, usize)| {
        from < end && start < from + len
    };
    if zeroed
        .iter()
        .any(|&z| overlaps(z, (0, 8)) || overlaps(z, (ifd0_at, next_at + 4)))
    {
        return Err("its thumbnail or second IFD overlaps its header or first IFD".into());
    }
    let mut out = block.to_vec();
    for (from, len) in zeroed {
        zero(&mut out, from, len);
    }
    put_u32(&mut out, next_at, 0, le);
    Ok(out)
}

/// Sets the Orientation tag of the first IFD to `orientation`; false when the block has no such
/// tag (a SHORT), so nothing was set.
pub fn set_orientation(block: &mut [u8], orientation: u8) -> bool {
    let Ok(t) = Tiff::new(block) else {
        return false;
    };
    let le = t.le;
    let Some(at) = t.first_ifd().ok().and_then(|(_, entries, _)| {
        entries
            .iter()
            .find(|e| e.tag == ORIENTATION && e.kind == SHORT && e.count == 1)
            .map(|e| e.at + 8)
    }) else {
        return false;
    };
    put_u16(block, at, u16::from(orientation), le);
    true
}

/// Sets the Exif IFD's PixelXDimension and PixelYDimension, where the block has them, to the
/// size of the pixels stored with it (an outpainted or upscaled output is larger than its input).
pub fn set_dimensions(block: &mut [u8], width: u32, height: u32) {
    let Ok(t) = Tiff::new(block) else {
        return;
    };
    let le = t.le;
    let Some((entries, _)) = t.first_ifd().ok().and_then(|(_, entries, _)| {
        let e = entries.iter().find(|e| e.tag == EXIF_IFD)?;
        t.ifd(t.number(e)? as usize)
    }) else {
        return;
    };
    // (where, type, value): written once the reading borrow ends
    let writes: Vec<(usize, u16, u32)> = entries
        .iter()
        .filter_map(|e| {
            let v = match e.tag {
                PIXEL_X_DIMENSION => width,
                PIXEL_Y_DIMENSION => height,
                _ => return None,
            };
            let fits = match e.kind {
                SHORT => u16::try_from(v).is_ok(),
                LONG => true,
                _ => false,
            };
            (fits && e.count == 1).then_some((e.at + 8, e.kind, v))
        })
        .collect();
    for (at, kind, v) in writes {
        match u16::try_from(v) {
            Ok(short) if kind == SHORT => put_u16(block, at, short, le),
            _ => put_u32(block, at, v, le),
        }
    }
}

/// The value of the first IFD's Orientation tag, if the block has one.
pub fn orientation(block: &[u8]) -> Option<u16> {
    let t = Tiff::new(block).ok()?;
    let (_, entries, _) = t.first_ifd().ok()?;
    let e = entries.iter().find(|e| e.tag == ORIENTATION)?;
    t.number(e).and_then(|v| u16::try_from(v).ok())
}

/// The first IFD's next-IFD offset (0: no second IFD, so no thumbnail).
pub fn next_ifd(block: &[u8]) -> Option<u32> {
    let t = Tiff::new(block).ok()?;
    let (_, _, next_at) = t.first_ifd().ok()?;
    t.u32_at(next_at)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A hand-built EXIF block: IFD0 with Make ("Canon", out of line), Orientation and an Exif
    /// IFD pointer; the Exif IFD with PixelX/YDimension (LONG, SHORT); IFD1 pointing at a
    /// 40-byte "thumbnail" (bytes 0xD8). Both byte orders.
    pub(crate) fn block(le: bool) -> (Vec<u8>, std::ops::Range<usize>) {
        let u16b = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let u32b = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let entry = |b: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            b.extend_from_slice(&u16b(tag));
            b.extend_from_slice(&u16b(kind));
            b.extend_from_slice(&u32b(count));
            b.extend_from_slice(&value);
        };
        let short = |v: u16| {
            let s = u16b(v);
            [s[0], s[1], 0, 0]
        };
        let mut b = if le {
            vec![b'I', b'I', 42, 0]
        } else {
            vec![b'M', b'M', 0, 42]
        };
        b.extend_from_slice(&u32b(8));
        // IFD0 at 8: 3 entries (8 + 2 + 36 + 4 = 50)
        let (make_at, exif_at, ifd1_at) = (50u32, 56u32, 86u32);
        b.extend_from_slice(&u16b(3));
        entry(&mut b, 0x010F, 2, 6, u32b(make_at));
        entry(&mut b, ORIENTATION, SHORT, 1, short(6));
        entry(&mut b, EXIF_IFD, LONG, 1, u32b(exif_at));
        b.extend_from_slice(&u32b(ifd1_at));
        b.extend_from_slice(b"Canon\0");
        // Exif IFD at 56: 2 entries (56 + 2 + 24 + 4 = 86)
        b.extend_from_slice(&u16b(2));
        entry(&mut b, PIXEL_X_DIMENSION, LONG, 1, u32b(640));
        entry(&mut b, PIXEL_Y_DIMENSION, SHORT, 1, short(480));
        b.extend_from_slice(&u32b(0));
        // IFD1 at 86: 2 entries (86 + 2 + 24 + 4 = 116), the thumbnail at 116
        let thumb = 116u32..156u32;
        b.extend_from_slice(&u16b(2));
        entry(&mut b, 0x0201, LONG, 1, u32b(thumb.start));
        entry(&mut b, 0x0202, LONG, 1, u32b(thumb.end - thumb.start));
        b.extend_from_slice(&u32b(0));
        assert_eq!(b.len(), 116);
        b.extend(std::iter::repeat_n(0xD8, 40));
        (b, thumb.start as usize..thumb.end as usize)
    }

    #[test]
    fn the_thumbnail_goes_and_every_other_byte_stays_in_both_byte_orders() {
        for le in [true, false] {
            let (b, thumb) = block(le);
            assert_eq!(next_ifd(&b), Some(86));
            let kept = without_thumbnail(&b).unwrap();
            assert_eq!(kept.len(), b.len(), "in place");
            assert_eq!(next_ifd(&kept), Some(0), "IFD1 unlinked");
            assert!(
                kept[thumb.clone()].iter().all(|&x| x == 0),
                "thumbnail zeroed"
            );
            assert!(kept[86..116].iter().all(|&x| x == 0), "IFD1 zeroed");
            // IFD0 (but its next offset), the Make string and the Exif IFD are untouched
            assert_eq!(kept[..46], b[..46]);
            assert_eq!(&kept[50..56], b"Canon\0");
            assert_eq!(kept[56..86], b[56..86]);
            assert_eq!(orientation(&kept), Some(6));
            // the `Exif\0\0` prefix some PNG writers leave is dropped
            let mut prefixed = b"Exif\0\0".to_vec();
            prefixed.extend_from_slice(&b);
            assert_eq!(without_thumbnail(&prefixed).unwrap(), kept);
        }
    }

    #[test]
    fn orientation_and_pixel_size_are_set_in_place() {
        for le in [true, false] {
            let (b, _) = block(le);
            let mut k = without_thumbnail(&b).unwrap();
            assert!(set_orientation(&mut k, 1));
            assert_eq!(orientation(&k), Some(1));
            set_dimensions(&mut k, 70_000, 900);
            let t = Tiff::new(&k).unwrap();
            let (entries, _) = t.ifd(56).unwrap();
            // LONG takes any size; a SHORT too small for the value is left as it was
            assert_eq!(t.number(&entries[0]), Some(70_000));
            assert_eq!(t.number(&entries[1]), Some(900));
            set_dimensions(&mut k, 1, 70_000);
            let t = Tiff::new(&k).unwrap();
            let (entries, _) = t.ifd(56).unwrap();
            assert_eq!(t.number(&entries[1]), Some(900));
            assert_eq!(k.len(), b.len());
        }
        // no Orientation tag: nothing set
        let mut none = vec![b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0];
        assert!(!set_orientation(&mut none, 6));
        assert_eq!(without_thumbnail(&none).unwrap(), none);
    }

    #[test]
    fn a_malformed_block_is_refused_with_the_reason_never_a_panic() {
        let (b, _) = block(false);
        let why = |b: &[u8]| without_thumbnail(b).unwrap_err();
        assert!(why(b"JUNKJUNK").contains("TIFF header"));
        assert!(why(&[]).contains("TIFF header"));
        // truncated inside IFD0, and inside IFD1
        assert!(why(&b[..30]).contains("first IFD"), "{}", why(&b[..30]));
        assert!(why(&b[..100]).contains("second IFD"), "{}", why(&b[..100]));
        // the thumbnail's bytes cut off
        assert!(why(&b[..130]).contains("thumbnail"), "{}", why(&b[..130]));
        // IFD0 offset past the end, and one that overflows
        let mut far = b.clone();
        far[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(why(&far).contains("first IFD"));
        // IFD1 offset past the end
        let mut far = b.clone();
        far[46..50].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(why(&far).contains("second IFD"));
        // a thumbnail offset + length that overflows
        let mut far = b.clone();
        far[96..100].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(why(&far).contains("thumbnail"));
        // IFD1 or the thumbnail on top of IFD0 or the header: zeroing them would break the block
        let mut onto = b.clone();
        onto[46..50].copy_from_slice(&8u32.to_be_bytes());
        assert!(why(&onto).contains("overlaps"), "{}", why(&onto));
        let mut onto = b.clone();
        onto[96..100].copy_from_slice(&0u32.to_be_bytes());
        assert!(why(&onto).contains("overlaps"), "{}", why(&onto));
        // an entry count that claims more entries than there are bytes
        let mut many = b.clone();
        many[8..10].copy_from_slice(&u16::MAX.to_be_bytes());
        assert!(why(&many).contains("first IFD"));
        // every byte of a good block set to every value: an answer, never a panic
        for le in [true, false] {
            let (b, _) = block(le);
            for at in 0..b.len() {
                for v in 0..=255u8 {
                    let mut m = b.clone();
                    m[at] = v;
                    if let Ok(mut k) = without_thumbnail(&m) {
                        assert_eq!(next_ifd(&k), Some(0), "byte {at} = {v}");
                        let _ = set_orientation(&mut k, 8);
                        set_dimensions(&mut k, u32::MAX, 0);
                    }
                }
            }
        }
        // every prefix of a good block: an answer, never a panic; and the setters never panic
        for le in [true, false] {
            let (b, _) = block(le);
            for n in 0..=b.len() {
                let mut cut = b[..n].to_vec();
                let _ = without_thumbnail(&cut);
                let _ = set_orientation(&mut cut, 3);
                set_dimensions(&mut cut, 1, 2);
                let _ = (orientation(&cut), next_ifd(&cut));
            }
        }
    }
}
