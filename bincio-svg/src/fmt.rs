//! Shared text output: XML escaping, compact numbers, the root element.

use std::fmt;

/// Escapes caller text for element content *and* attribute values (we
/// always quote attributes with `"`, but `'` is escaped too so the result
/// is safe in either quoting). Characters XML 1.0 forbids (C0 controls other
/// than tab/newline/return, U+FFFE, U+FFFF) are dropped: a single one would
/// make the whole document ill-formed, and an HTML page inlining it broken.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number with at most two decimals, trailing zeros trimmed, `-0` as `0`,
/// and `0` for a non-finite value (callers skip those before drawing; this is
/// the last guard so `NaN` can never reach the markup). The default tick
/// label formatter.
pub fn num(v: f64) -> String {
    fixed(v, 2)
}

/// `v` with at most `decimals` decimals, trimmed (see [`num`]).
pub(crate) fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let mut s = format!("{v:.decimals$}");
    if s.contains('.') {
        let keep = s.trim_end_matches('0').trim_end_matches('.').len();
        s.truncate(keep);
    }
    if s == "-0" {
        s = "0".to_owned();
    }
    s
}

/// A viewBox coordinate: one decimal is a tenth of a user unit, finer than
/// any screen shows at the sizes drawn here, and keeps the markup short.
/// (It is also what makes the track's privacy test meaningful: two-decimal
/// latitudes cannot appear.)
pub(crate) struct Px(pub f64);

impl fmt::Display for Px {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&fixed(self.0, 1))
    }
}

/// A caller-given size, or `default` when it is not finite or not within
/// 16..=4000 (a picture smaller than that has no room for anything; a larger
/// one only makes the numbers longer).
pub(crate) fn size(v: f64, default: f64) -> f64 {
    if v.is_finite() && (16.0..=4000.0).contains(&v) {
        v
    } else {
        default
    }
}

/// At most `max` characters of `s`, with `…` when cut: titles and labels come
/// from documents, and a hostile one must not make a huge page.
pub(crate) fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// Rough width of `text` in user units at `font_size`: the average glyph of
/// a UI sans-serif is about 0.6 em. Only used to leave room for labels (the
/// real font is chosen by the stylesheet), so erring wide is fine.
pub(crate) fn text_width(text: &str, font_size: f64) -> f64 {
    text.chars().count() as f64 * font_size * 0.6
}

/// Opens the root element. `class` is ours (a constant), `label` the
/// caller's accessible name, escaped here. No `width`/`height`: the viewBox
/// alone lets CSS size the picture.
pub(crate) fn open_svg(
    out: &mut String,
    width: f64,
    height: f64,
    class: &str,
    role: &str,
    label: &str,
) {
    w!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" class="svg-root {}" role="{}" aria-label="{}">"#,
        Px(width),
        Px(height),
        class,
        role,
        escape(label)
    );
}

/// A `<text>` element with caller text. `font-size` is given as an attribute
/// because it is geometry here: the margins are computed for it in viewBox
/// units, which the stylesheet cannot know.
pub(crate) fn text(
    out: &mut String,
    class: &str,
    x: f64,
    y: f64,
    anchor: &str,
    font: f64,
    body: &str,
) {
    w!(
        out,
        r#"<text class="{}" x="{}" y="{}" text-anchor="{}" font-size="{}">{}</text>"#,
        class,
        Px(x),
        Px(y),
        anchor,
        Px(font),
        escape(body)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_the_five_and_drops_forbidden_controls() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &apos;y&apos;)&lt;/script&gt;"
        );
        assert_eq!(escape("a\u{0}b\u{1b}c\td\n\u{FFFF}é"), "abc\td\né");
    }

    #[test]
    fn numbers_are_compact_and_finite() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(250.0), "250");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(f64::INFINITY), "0");
        assert_eq!(Px(12.345).to_string(), "12.3");
        assert_eq!(Px(100.04).to_string(), "100");
        assert_eq!(Px(-3.0).to_string(), "-3");
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("abc", 5), "abc");
        assert_eq!(clip("ééééé", 2), "éé…");
    }

    #[test]
    fn sizes_fall_back() {
        assert_eq!(size(f64::NAN, 300.0), 300.0);
        assert_eq!(size(1e9, 300.0), 300.0);
        assert_eq!(size(400.0, 300.0), 400.0);
    }
}
