//! Posted page forms with files (`multipart/form-data`): the photo form of
//! the activity page. Like [`super::form::PageForm`], nothing is handed to
//! a handler before the form's `csrf` field matched the request's token;
//! the whole form is bounded (field count, text sizes, file size).

use axum::extract::Multipart;
use axum::response::Response;

use super::csrf;
use super::ctx::Ctx;
use super::render::PageError;

/// One received file.
pub(crate) struct FilePart {
    pub field: String,
    pub bytes: Vec<u8>,
}

/// A verified multipart form.
pub(crate) struct PageMultipart {
    fields: Vec<(String, String)>,
    pub files: Vec<FilePart>,
}

/// Why a multipart form was refused (before anything was done).
pub(crate) enum Refused {
    /// A file over `max_file` bytes.
    TooLarge,
    /// Anything else: the error page is the response.
    Page(Response),
}

impl PageMultipart {
    /// The last value of text field `name`, or "".
    pub(crate) fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Read at most `max_files` files of at most `max_file` bytes each, and
    /// 32 short text fields; then check the form token.
    pub(crate) async fn read(
        c: &Ctx,
        mut mp: Multipart,
        max_files: usize,
        max_file: usize,
    ) -> Result<Self, Refused> {
        let bad = || Refused::Page(PageError::BadRequest.render(Some(c)));
        let mut out = Self {
            fields: Vec::new(),
            files: Vec::new(),
        };
        let mut too_large = false;
        while let Some(mut f) = mp.next_field().await.map_err(|_| bad())? {
            let name = f.name().unwrap_or("").to_owned();
            if f.file_name().is_some() {
                if out.files.len() >= max_files {
                    return Err(bad());
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = f.chunk().await.map_err(|_| bad())? {
                    if bytes.len() + chunk.len() > max_file {
                        too_large = true;
                        bytes.clear();
                        continue; // drain, keep nothing
                    }
                    bytes.extend_from_slice(&chunk);
                }
                if !bytes.is_empty() {
                    out.files.push(FilePart { field: name, bytes });
                }
            } else {
                if out.fields.len() >= 32 {
                    return Err(bad());
                }
                let v = f.text().await.map_err(|_| bad())?;
                if v.len() > 4096 {
                    return Err(bad());
                }
                out.fields.push((name, v));
            }
        }
        if !csrf::same(out.get("csrf"), &c.csrf) {
            tracing::info!("multipart form refused: missing or wrong csrf token");
            return Err(Refused::Page(PageError::Csrf.render(Some(c))));
        }
        if too_large {
            return Err(Refused::TooLarge);
        }
        Ok(out)
    }
}
