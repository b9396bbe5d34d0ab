//! A small, strict, fast XML tokenizer for the common case of track files.
//!
//! It understands exactly: an optional prolog of `<?…?>` declarations,
//! one root element, nested start / end / empty tags with quoted attributes,
//! and text. End tags must match their start tags. It **gives up**
//! (`None`) on everything else — comments, CDATA, DOCTYPE, entity or
//! character references (`&`), text outside the root, a second root,
//! truncation or any other malformed markup — and the caller then uses
//! quick-xml, which handles the whole of XML and reports precise errors.
//! Giving up is always safe; accepting is only done for input quick-xml
//! reads the same way.
//!
//! Input is a `&str`, validated once by the caller; the tokenizer splits it
//! only at ASCII bytes, so every slice is valid UTF-8 without re-checking.

/// Receiver of tokens. Names are local names (prefix removed).
pub trait Sink {
    type Error;
    fn start(&mut self, name: &str, empty: bool, attrs: &[(&str, &str)])
        -> Result<(), Self::Error>;
    fn text(&mut self, text: &str) -> Result<(), Self::Error>;
    fn end(&mut self, name: &str) -> Result<(), Self::Error>;
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':') || b >= 0x80
}

fn local(name: &str) -> &str {
    let b = name.as_bytes();
    let mut i = b.len();
    while i > 0 {
        if b[i - 1] == b':' {
            return &name[i..];
        }
        i -= 1;
    }
    name
}

/// Tokenize `text` into `sink`. `None`: gave up (see module doc);
/// `Some(Err)`: the sink refused; `Some(Ok)`: the whole document was read.
pub fn scan<'a, S: Sink>(text: &'a str, sink: &mut S) -> Option<Result<(), S::Error>> {
    let b = text.as_bytes();
    let len = b.len();
    let mut pos = 0usize;
    let mut stack: Vec<(usize, usize)> = Vec::with_capacity(16);
    let mut attrs: Vec<(&'a str, &'a str)> = Vec::with_capacity(8);
    let mut seen_root = false;
    let mut root_closed = false;
    macro_rules! sink {
        ($e:expr) => {
            if let Err(e) = $e {
                return Some(Err(e));
            }
        };
    }
    loop {
        let Some(off) = memchr::memchr(b'<', &b[pos..]) else {
            if !b[pos..].iter().all(|&c| is_ws(c)) {
                return None;
            }
            break;
        };
        let lt = pos + off;
        if lt > pos {
            let t = &text[pos..lt];
            if !t.bytes().all(is_ws) {
                if stack.is_empty() || memchr::memchr(b'&', t.as_bytes()).is_some() {
                    return None;
                }
                sink!(sink.text(t));
            }
        }
        let mut i = lt + 1;
        match *b.get(i)? {
            b'?' => {
                if seen_root {
                    return None;
                }
                let end = memchr::memmem::find(&b[i..], b"?>")?;
                pos = i + end + 2;
            }
            b'!' => return None,
            b'/' => {
                i += 1;
                let ns = i;
                while i < len && is_name(b[i]) {
                    i += 1;
                }
                let name = &text[ns..i];
                while i < len && is_ws(b[i]) {
                    i += 1;
                }
                if b.get(i) != Some(&b'>') {
                    return None;
                }
                let (s, e) = stack.pop()?;
                if &b[s..e] != name.as_bytes() {
                    return None;
                }
                sink!(sink.end(local(name)));
                pos = i + 1;
                root_closed = stack.is_empty();
            }
            _ => {
                if root_closed {
                    return None;
                }
                let ns = i;
                while i < len && is_name(b[i]) {
                    i += 1;
                }
                if i == ns {
                    return None;
                }
                let name_range = (ns, i);
                attrs.clear();
                let empty;
                loop {
                    let ws_start = i;
                    while i < len && is_ws(b[i]) {
                        i += 1;
                    }
                    match *b.get(i)? {
                        b'>' => {
                            empty = false;
                            i += 1;
                            break;
                        }
                        b'/' => {
                            if b.get(i + 1) != Some(&b'>') {
                                return None;
                            }
                            empty = true;
                            i += 2;
                            break;
                        }
                        _ => {
                            if i == ws_start {
                                return None;
                            }
                            let ks = i;
                            while i < len && is_name(b[i]) {
                                i += 1;
                            }
                            if i == ks {
                                return None;
                            }
                            let key = &text[ks..i];
                            while i < len && is_ws(b[i]) {
                                i += 1;
                            }
                            if b.get(i) != Some(&b'=') {
                                return None;
                            }
                            i += 1;
                            while i < len && is_ws(b[i]) {
                                i += 1;
                            }
                            let q = *b.get(i)?;
                            if q != b'"' && q != b'\'' {
                                return None;
                            }
                            i += 1;
                            let ve = i + memchr::memchr(q, &b[i..])?;
                            let val = &text[i..ve];
                            if memchr::memchr2(b'<', b'&', val.as_bytes()).is_some() {
                                return None;
                            }
                            attrs.push((local(key), val));
                            i = ve + 1;
                        }
                    }
                }
                seen_root = true;
                let name = &text[name_range.0..name_range.1];
                sink!(sink.start(local(name), empty, &attrs));
                if empty {
                    root_closed = stack.is_empty();
                } else {
                    stack.push(name_range);
                }
                pos = i;
            }
        }
    }
    if !stack.is_empty() || !seen_root {
        return None;
    }
    Some(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Rec(Vec<String>);
    impl Sink for Rec {
        type Error = ();
        fn start(&mut self, n: &str, e: bool, a: &[(&str, &str)]) -> Result<(), ()> {
            self.0
                .push(format!("<{n}{a:?}{}", if e { "/" } else { "" }));
            Ok(())
        }
        fn text(&mut self, t: &str) -> Result<(), ()> {
            self.0.push(t.to_string());
            Ok(())
        }
        fn end(&mut self, n: &str) -> Result<(), ()> {
            self.0.push(format!("</{n}"));
            Ok(())
        }
    }

    fn run(s: &str) -> Option<Vec<String>> {
        let mut r = Rec::default();
        scan(s, &mut r).map(|x| x.map(|_| r.0).unwrap())
    }

    #[test]
    fn accepts_plain_documents() {
        let v =
            run("<?xml version='1.0'?>\n<a:r x=\"1\" y = '2'><p:b>t</p:b><c/></a:r>\n").unwrap();
        assert_eq!(
            v,
            [
                "<r[(\"x\", \"1\"), (\"y\", \"2\")]",
                "<b[]",
                "t",
                "</b",
                "<c[]/",
                "</r"
            ]
        );
    }

    #[test]
    fn gives_up_on_everything_else() {
        for s in [
            "<r><!-- c --></r>",
            "<r><![CDATA[x]]></r>",
            "<!DOCTYPE r><r/>",
            "<r>a &amp; b</r>",
            "<r a=\"&lt;\"/>",
            "<r><b></r>",
            "<r></b>",
            "<r>",
            "<r/><s/>",
            "x<r/>",
            "<r a=1/>",
            "<r a=\"1\"b=\"2\"/>",
            "<r/>tail",
            "",
            "<r",
        ] {
            assert!(run(s).is_none(), "{s}");
        }
    }
}
