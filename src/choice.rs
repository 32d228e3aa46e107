//! A setting with a fixed set of values, each with one spelling and a line of help: what the
//! command line lists and parses, what the config file and the wire formats read and write.

/// A closed set of named values. What each value means to a user is the front end's to say
/// (the command line's help names its flags).
pub trait Choice: Copy + Eq + 'static {
    /// Every value, in the order help lists them.
    const ALL: &'static [Self];

    /// The value's one spelling (`inpaint`, `remove-background`, `premium`...).
    fn name(self) -> &'static str;

    /// The value spelled `s`: case-insensitive, `_` read as `-`.
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().replace('_', "-");
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name().eq_ignore_ascii_case(&s))
    }

    /// Every spelling, comma-separated (for messages).
    fn names() -> String {
        Self::ALL
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Implements [`Choice`] for an enum from `Variant => "name"` rows, in help's order.
macro_rules! choice {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $crate::choice::Choice for $ty {
            const ALL: &'static [Self] = &[$($ty::$variant),+];
            fn name(self) -> &'static str {
                match self { $($ty::$variant => $name),+ }
            }
        }
    };
}
pub(crate) use choice;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Side {
        TopLeft,
        Bottom,
    }
    choice!(Side { TopLeft => "top-left", Bottom => "bottom" });

    #[test]
    fn parse_reads_any_case_and_underscores() {
        assert_eq!(Side::parse("top-left"), Some(Side::TopLeft));
        assert_eq!(Side::parse("TOP_LEFT"), Some(Side::TopLeft));
        assert_eq!(Side::parse(" Bottom "), Some(Side::Bottom));
        assert_eq!(Side::parse("top"), None);
        assert_eq!(Side::names(), "top-left, bottom");
    }
}
