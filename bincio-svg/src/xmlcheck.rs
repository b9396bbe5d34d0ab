//! Test-only, std-only well-formedness checker for what this crate emits:
//! balanced tags, quoted attributes without duplicates, only the five named
//! entities (or numeric ones), one `<svg>` root with a viewBox and no fixed
//! size, and none of what the pages' CSP forbids (`style`, `script`, `on*`).
//! It also returns the elements, so tests can look at them.

#[derive(Debug, Clone)]
pub(crate) struct Elem {
    pub name: String,
    /// Attribute values as written (still escaped).
    pub attrs: Vec<(String, String)>,
    /// Text directly inside the element (still escaped).
    pub text: String,
    pub parent: Option<usize>,
}

impl Elem {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class")
            .is_some_and(|c| c.split(' ').any(|x| x == class))
    }
    pub fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN)
    }
}

fn check_entities(s: &str) -> Result<(), String> {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        let after = &rest[i + 1..];
        let end = after.find(';').ok_or_else(|| format!("bare & in {s:?}"))?;
        let name = &after[..end];
        let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
            || (name.starts_with('#') && name.len() > 1);
        if !ok {
            return Err(format!("bad entity &{name}; in {s:?}"));
        }
        rest = &after[end + 1..];
    }
    if s.contains('<') {
        return Err(format!("raw < in {s:?}"));
    }
    Ok(())
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

/// Parses `doc`; `Err` says what is wrong.
pub(crate) fn check(doc: &str) -> Result<Vec<Elem>, String> {
    let mut elems: Vec<Elem> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut rest = doc;
    let mut closed_root = false;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        if !text.is_empty() {
            check_entities(text)?;
            match stack.last() {
                Some(&top) => elems[top].text.push_str(text),
                None if text.trim().is_empty() => {}
                None => return Err(format!("text outside the root: {text:?}")),
            }
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack
                .pop()
                .ok_or_else(|| format!("</{name}> with nothing open"))?;
            if elems[top].name != name {
                return Err(format!("</{name}> closes <{}>", elems[top].name));
            }
            closed_root |= stack.is_empty();
            continue;
        }
        if closed_root {
            return Err("a second root element".into());
        }
        let (body, self_closing) = match tag.strip_suffix('/') {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let (name, mut attrs_src) = body.split_once(' ').unwrap_or((body, ""));
        if !is_name(name) {
            return Err(format!("bad element name {name:?}"));
        }
        if matches!(name, "script" | "style" | "foreignObject" | "iframe") {
            return Err(format!("<{name}> is forbidden"));
        }
        let mut attrs: Vec<(String, String)> = Vec::new();
        loop {
            attrs_src = attrs_src.trim_start();
            if attrs_src.is_empty() {
                break;
            }
            let eq = attrs_src
                .find("=\"")
                .ok_or_else(|| format!("unquoted attribute in <{tag}>"))?;
            let key = &attrs_src[..eq];
            if !is_name(key) {
                return Err(format!("bad attribute name {key:?}"));
            }
            let after = &attrs_src[eq + 2..];
            let close = after.find('"').ok_or("unterminated attribute")?;
            let value = &after[..close];
            check_entities(value)?;
            if key == "style" || key.starts_with("on") {
                return Err(format!("forbidden attribute {key}"));
            }
            if attrs.iter().any(|(k, _)| k == key) {
                return Err(format!("duplicate attribute {key}"));
            }
            attrs.push((key.to_owned(), value.to_owned()));
            attrs_src = &after[close + 1..];
            if !attrs_src.is_empty() && !attrs_src.starts_with(' ') {
                return Err(format!("no space after attribute {key}"));
            }
        }
        if elems.is_empty() {
            if name != "svg" {
                return Err(format!("root is <{name}>"));
            }
            let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v.as_str());
            if get("xmlns") != Some("http://www.w3.org/2000/svg") || get("viewBox").is_none() {
                return Err("root without xmlns or viewBox".into());
            }
            if get("width").is_some() || get("height").is_some() || get("aria-label").is_none() {
                return Err("root with a fixed size or no aria-label".into());
            }
        } else if stack.is_empty() {
            return Err("a second root element".into());
        }
        elems.push(Elem {
            name: name.to_owned(),
            attrs,
            text: String::new(),
            parent: stack.last().copied(),
        });
        if self_closing {
            closed_root |= stack.is_empty();
        } else {
            stack.push(elems.len() - 1);
        }
    }
    if !stack.is_empty() || elems.is_empty() {
        return Err("unclosed elements or empty document".into());
    }
    for e in &elems {
        let numeric = [
            "x", "y", "width", "height", "r", "cx", "cy", "x1", "x2", "y1", "y2",
        ];
        for (k, v) in &e.attrs {
            if numeric.contains(&k.as_str()) && v.parse::<f64>().map_or(true, |f| !f.is_finite()) {
                return Err(format!("<{}> {k}={v:?} is not a number", e.name));
            }
            let allowed = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | ',' | ' ');
            let geometry_ok = match k.as_str() {
                "points" | "viewBox" | "data-secs" | "data-watts" => {
                    !v.is_empty() && v.chars().all(allowed)
                }
                "d" => !v.is_empty() && v.chars().all(|c| allowed(c) || "MLHVZhv".contains(c)),
                _ => true,
            };
            if !geometry_ok {
                return Err(format!("<{}> {k}={v:?} is not geometry", e.name));
            }
            if numeric.contains(&k.as_str()) || k == "points" || k == "d" {
                let decimals = v
                    .split(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .filter_map(|t| t.split_once('.'))
                    .map(|(_, f)| f.len())
                    .max()
                    .unwrap_or(0);
                if decimals > 2 {
                    return Err(format!("<{}> {k}={v:?} has {decimals} decimals", e.name));
                }
            }
        }
    }
    Ok(elems)
}

/// `check`, panicking with the document on failure.
pub(crate) fn parse(doc: &str) -> Vec<Elem> {
    check(doc).unwrap_or_else(|e| panic!("ill-formed SVG: {e}\n{doc}"))
}

#[test]
fn the_checker_rejects_what_it_should() {
    let ok = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><g><title>x &amp; y</title></g><rect x="1"/></svg>"#;
    assert_eq!(parse(ok).len(), 4);
    for bad in [
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><g></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><g style="x"/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><title>a & b</title></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><script/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a" a="1" a="2"/>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"/><svg/>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" width="3" aria-label="a"/>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><rect x="NaN"/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><rect x="1.234"/></svg>"#,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1" aria-label="a"><path d="M0 NaN"/></svg>"#,
    ] {
        assert!(check(bad).is_err(), "accepted {bad}");
    }
}
