//! Photo type detection from the bytes themselves. The client's
//! Content-Type and file name are never trusted: a photo that is really SVG
//! or HTML could carry script and is refused.

/// An accepted image type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageType {
    /// MIME type served back.
    pub mime: &'static str,
    /// File extension of generated names.
    pub ext: &'static str,
}

/// Largest photo accepted, bytes.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;

/// JPEG, PNG, GIF or WebP by magic bytes; anything else is `None`.
pub fn sniff_image(b: &[u8]) -> Option<ImageType> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageType {
            mime: "image/jpeg",
            ext: "jpg",
        })
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageType {
            mime: "image/png",
            ext: "png",
        })
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Some(ImageType {
            mime: "image/gif",
            ext: "gif",
        })
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(ImageType {
            mime: "image/webp",
            ext: "webp",
        })
    } else {
        None
    }
}

/// A stored photo name is exactly what [`crate::activities`] generates:
/// 16 lowercase hex, a dot, a known extension. Anything else (`..`, `/`,
/// odd names) never reaches the store.
pub fn is_image_name(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    stem.len() == 16
        && stem
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        && matches!(ext, "jpg" | "png" | "gif" | "webp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap().ext, "jpg");
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n....").unwrap().mime,
            "image/png"
        );
        assert_eq!(sniff_image(b"GIF89a..").unwrap().ext, "gif");
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 ").unwrap().ext, "webp");
        assert!(sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>").is_none());
        assert!(sniff_image(b"<html><script>").is_none());
        assert!(sniff_image(b"").is_none());
    }

    #[test]
    fn names() {
        assert!(is_image_name("0123456789abcdef.jpg"));
        assert!(!is_image_name("../0123456789abcdef.jpg"));
        assert!(!is_image_name("0123456789abcdef.svg"));
        assert!(!is_image_name("x.jpg"));
    }
}
