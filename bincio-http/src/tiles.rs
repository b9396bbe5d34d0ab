//! Map tiles for the activity pages (`contracts/web.md`, "Map tiles"):
//! one raster tile URL template chosen by the operator
//! (`bincio serve --tile-url`), OpenStreetMap's standard layer by default,
//! or none (the pages then draw the track on a blank map, and the
//! server-drawn SVG without JavaScript).
//!
//! Invariant: the page's Content-Security-Policy allows images from exactly
//! the tile host ([`TileSource::csp_source`]) and nothing else outside
//! this origin, so a tile URL is validated once, at start, rather than
//! trusted in a header.

/// OpenStreetMap's standard raster layer.
pub const OSM_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
/// The attribution OpenStreetMap's tile usage policy asks for.
pub const OSM_ATTRIBUTION: &str = "© OpenStreetMap contributors";

/// Where map tiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileSource {
    url: String,
    attribution: String,
    csp: Option<String>,
}

impl Default for TileSource {
    /// OpenStreetMap with its attribution.
    fn default() -> Self {
        Self::new(OSM_URL, OSM_ATTRIBUTION).expect("the OSM URL is valid")
    }
}

impl TileSource {
    /// No tiles: the track alone.
    pub fn none() -> Self {
        Self {
            url: String::new(),
            attribution: String::new(),
            csp: None,
        }
    }

    /// A tile URL template (`https://host/{z}/{x}/{y}.png`; `{s}` in the
    /// host for sub-domains) with the attribution to show. An empty URL is
    /// [`Self::none`]. Refused: anything but `http(s)://`, a template
    /// without `{z}`, `{x}` and `{y}`, a host with characters a CSP source
    /// cannot carry, quotes or spaces anywhere.
    pub fn new(url: &str, attribution: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Ok(Self::none());
        }
        let bad = |why: &str| Err(format!("--tile-url {url:?}: {why}"));
        let Some((scheme, rest)) = url.split_once("://") else {
            return bad("expected http:// or https://");
        };
        if scheme != "https" && scheme != "http" {
            return bad("expected http:// or https://");
        }
        if url
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '\'' || c.is_control())
        {
            return bad("spaces and quotes are not allowed");
        }
        if !(url.contains("{z}") && url.contains("{x}") && url.contains("{y}")) {
            return bad("the template needs {z}, {x} and {y}");
        }
        let host = rest.split('/').next().unwrap_or("");
        let csp_host = host.replace("{s}", "*");
        let host_ok = !csp_host.is_empty()
            && csp_host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'*' | b':' | b'[' | b']')
            });
        if !host_ok {
            return bad("the host part is not a plain host name");
        }
        Ok(Self {
            url: url.to_owned(),
            attribution: attribution.trim().to_owned(),
            csp: Some(format!("{scheme}://{csp_host}")),
        })
    }

    /// The URL template, or "" for none.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The attribution text (plain text; pages escape it).
    pub fn attribution(&self) -> &str {
        &self.attribution
    }

    /// Whether tiles are shown.
    pub fn enabled(&self) -> bool {
        !self.url.is_empty()
    }

    /// The CSP source (`https://tile.openstreetmap.org`, `https://*.example`)
    /// the activity page adds to `img-src`.
    pub fn csp_source(&self) -> Option<&str> {
        self.csp.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osm_by_default() {
        let t = TileSource::default();
        assert!(t.enabled());
        assert_eq!(t.csp_source(), Some("https://tile.openstreetmap.org"));
        assert!(t.attribution().contains("OpenStreetMap"));
    }

    #[test]
    fn subdomains_and_refusals() {
        let t = TileSource::new("https://{s}.tile.example.org/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(t.csp_source(), Some("https://*.tile.example.org"));
        assert!(!TileSource::new("", "").unwrap().enabled());
        for bad in [
            "ftp://h/{z}/{x}/{y}",
            "https://h/tiles.png",
            "https://h;script-src/{z}/{x}/{y}",
            "https://h/{z}/{x}/{y} 'unsafe-inline'",
            "javascript:alert(1)",
        ] {
            assert!(TileSource::new(bad, "").is_err(), "{bad}");
        }
    }
}
