//! The owner's controls on the activity page: edit (title, description,
//! sport, gear, privacy, highlight, hidden stats), photos, elevation
//! recalculation, downloads and delete. Every action is a plain form
//! (CSRF-checked, redirect-after-post), so all of it works without
//! JavaScript; each calls one core service, which checks ownership again.

use std::collections::HashMap;

use axum::extract::{FromRequestParts, Multipart, Path};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::activities::view::HIDEABLE;
use bincio_core::activities::EditRequest;
use bincio_core::model::Blob;
use bincio_core::CoreError;
use serde_json::Value;

use super::{build, respond};
use crate::web::ctx::{Ctx, Member};
use crate::web::flash::Notice;
use crate::web::fmt::text;
use crate::web::form::PageForm;
use crate::web::multipart::{PageMultipart, Refused};
use crate::web::pages::core_message;
use crate::web::render::PageError;
use crate::AppState;

/// The sports a member can pick (the core's list).
pub(crate) const SPORTS: &[&str] = &[
    "cycling", "running", "hiking", "walking", "swimming", "skiing", "other",
];
/// The privacy choices, most open first.
pub(crate) const PRIVACIES: &[&str] = &["public", "blur_start", "no_gps", "unlisted", "private"];

/// The edit form's values (from the activity, or from a refused post).
#[derive(Debug, Clone)]
pub(crate) struct EditForm {
    pub title: String,
    pub description: String,
    pub sport: String,
    pub gear: String,
    pub privacy: String,
    pub highlight: bool,
    pub hidden: Vec<String>,
    pub error: Option<String>,
}

impl EditForm {
    /// The form as the activity is now (the owner's view of the detail).
    pub(crate) fn from_doc(doc: &Value) -> Self {
        Self {
            title: text(doc, "title").to_owned(),
            description: text(doc, "description").to_owned(),
            sport: text(doc, "sport").to_owned(),
            gear: text(doc, "gear").to_owned(),
            privacy: text(doc, "privacy").to_owned(),
            highlight: doc
                .pointer("/custom/highlight")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            hidden: crate::web::fmt::strings(doc, "/custom/hide_stats"),
            error: None,
        }
    }

    /// Whether stat `s` is hidden (for the checkboxes).
    pub(crate) fn hides(&self, s: &&str) -> bool {
        self.hidden.iter().any(|h| h == s)
    }

    /// The hideable stat names.
    pub(crate) fn hideable(&self) -> Vec<&'static str> {
        HIDEABLE.iter().map(|(s, _, _)| *s).collect()
    }
}

fn back(handle: &str, id: &str) -> String {
    super::cards::activity_href(handle, id)
}

/// The owner of the activity the path names (`/u/{handle}/activity/{id}/…`):
/// anonymous visitors are sent to log in, any other member gets the 404
/// page (as if the activity did not exist for them). Every owner action
/// takes it first; the core checks ownership again.
pub(crate) struct Owner {
    pub c: Ctx,
    pub user: bincio_core::model::User,
    pub handle: String,
    pub id: String,
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Member(c, user) = Member::from_request_parts(parts, st).await?;
        let not_found = |c: &Ctx| PageError::NotFound.render(Some(c));
        let Ok(Path(p)) = Path::<HashMap<String, String>>::from_request_parts(parts, st).await
        else {
            return Err(not_found(&c));
        };
        match (p.get("handle"), p.get("id")) {
            (Some(h), Some(id)) if *h == user.handle => Ok(Self {
                handle: h.clone(),
                id: id.clone(),
                c,
                user,
            }),
            _ => Err(not_found(&c)),
        }
    }
}

/// `POST …/edit`.
pub(crate) async fn edit(
    Owner {
        c,
        user,
        handle,
        id,
    }: Owner,
    form: PageForm,
) -> Response {
    let hidden: Vec<String> = HIDEABLE
        .iter()
        .map(|(s, _, _)| *s)
        .filter(|s| form.checked(&format!("hide_{s}")))
        .map(str::to_owned)
        .collect();
    let req = EditRequest {
        title: Some(form.get("title").trim().to_owned()),
        description: Some(form.get("description").replace("\r\n", "\n")),
        sport: Some(form.get("sport").to_owned()).filter(|s| !s.is_empty()),
        gear: Some(form.get("gear").trim().to_owned()),
        highlight: Some(form.checked("highlight")),
        private: None,
        privacy: Some(form.get("privacy").to_owned()).filter(|s| !s.is_empty()),
        hide_stats: Some(hidden.clone()),
    };
    match c.st.activities().edit(&user, &id, req).await {
        Ok(_) => c.done(&back(&handle, &id), Notice::ActivitySaved),
        Err(e @ (CoreError::Unprocessable(_) | CoreError::Invalid(_))) => {
            let refused = EditForm {
                title: form.get("title").to_owned(),
                description: form.get("description").to_owned(),
                sport: form.get("sport").to_owned(),
                gear: form.get("gear").to_owned(),
                privacy: form.get("privacy").to_owned(),
                highlight: form.checked("highlight"),
                hidden,
                error: Some(core_message(&c, &e)),
            };
            match build(&c, &handle, &id, Some(refused)).await {
                Ok(page) => respond(&c, StatusCode::UNPROCESSABLE_ENTITY, &page),
                Err(r) => r,
            }
        }
        Err(e) => c.fail(e),
    }
}

/// `POST …/photos` (multipart: `csrf`, `photo`).
pub(crate) async fn add_photo(
    Owner {
        c,
        user,
        handle,
        id,
    }: Owner,
    mp: Multipart,
) -> Response {
    let max = bincio_core::activities::sniff::MAX_IMAGE_BYTES;
    let form = match PageMultipart::read(&c, mp, 1, max).await {
        Ok(f) => f,
        Err(Refused::Page(r)) => return r,
        Err(Refused::TooLarge) => {
            return photo_refused(&c, &handle, &id, c.t.photo_too_large).await
        }
    };
    let Some(file) = form.files.into_iter().find(|f| f.field == "photo") else {
        return photo_refused(&c, &handle, &id, c.t.photo_missing).await;
    };
    match c.st.activities().add_image(&user, &id, file.bytes).await {
        Ok(_) => c.done(&back(&handle, &id), Notice::PhotoAdded),
        Err(e @ (CoreError::Unprocessable(_) | CoreError::Invalid(_) | CoreError::TooLarge(_))) => {
            let msg = core_message(&c, &e);
            photo_refused(&c, &handle, &id, &msg).await
        }
        Err(e) => c.fail(e),
    }
}

/// The page again with the photo form's error.
async fn photo_refused(c: &Ctx, handle: &str, id: &str, msg: &str) -> Response {
    match build(c, handle, id, None).await {
        Ok(mut page) => {
            if let Some(e) = page.edit.as_mut() {
                e.error = None;
            }
            page.photo_error = Some(msg.to_owned());
            respond(c, StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(r) => r,
    }
}

/// `POST …/photos/{name}/delete`.
pub(crate) async fn remove_photo(
    Owner {
        c,
        user,
        handle,
        id,
    }: Owner,
    Path((_, _, name)): Path<(String, String, String)>,
    _form: PageForm,
) -> Response {
    match c.st.activities().delete_image(&user, &id, &name).await {
        Ok(()) => c.done(&back(&handle, &id), Notice::PhotoRemoved),
        Err(e) => c.fail(e),
    }
}

/// `POST …/elevation`: recalculate the gain from the stored elevation
/// (`method=hysteresis`) or from the DEM service (`method=dem`).
pub(crate) async fn elevation(
    Owner {
        c,
        user,
        handle,
        id,
    }: Owner,
    form: PageForm,
) -> Response {
    let acts = c.st.activities();
    let gain = match form.get("method") {
        "dem" => acts
            .recalculate_elevation_dem(&user, &id)
            .await
            .map(|r| r.elevation_gain_m),
        _ => acts
            .recalculate_elevation(&user, &id)
            .await
            .map(|r| r.elevation_gain_m),
    };
    match gain {
        Ok(g) => {
            let units = c.units().await;
            c.done(
                &back(&handle, &id),
                Notice::ElevationRecalculated(units.elevation(g)),
            )
        }
        Err(e @ (CoreError::Unprocessable(_) | CoreError::Unavailable(_))) => {
            let msg = core_message(&c, &e);
            photo_refused(&c, &handle, &id, &msg).await
        }
        Err(e) => c.fail(e),
    }
}

/// `POST …/delete`: only with the confirmation box ticked.
pub(crate) async fn delete(
    Owner {
        c,
        user,
        handle,
        id,
    }: Owner,
    form: PageForm,
) -> Response {
    if !form.checked("confirm") {
        return photo_refused(&c, &handle, &id, c.t.delete_confirm_missing).await;
    }
    let title = match c.st.activities().detail(Some(&user), &handle, &id).await {
        Ok(d) => text(d.as_value(), "title").to_owned(),
        Err(e) => return c.fail(e),
    };
    match c.st.activities().delete(&user, &id).await {
        Ok(()) => c.done(&format!("/u/{handle}/"), Notice::ActivityDeleted(title)),
        Err(e) => c.fail(e),
    }
}

/// The owner's GPX export (`original = false`) or kept original file, as
/// a download.
async fn owned_file(o: Owner, original: bool) -> Response {
    let Owner { c, user, id, .. } = o;
    let acts = c.st.activities();
    let blob = if original {
        acts.original(&user, &id).await
    } else {
        acts.export_gpx(&user, &id).await.map(|bytes| Blob {
            name: format!("{id}.gpx"),
            content_type: "application/gpx+xml".into(),
            bytes,
        })
    };
    match blob {
        Ok(b) => crate::routes::attachment(b),
        Err(e) => c.fail(e),
    }
}

/// `GET …/gpx`: the owner's activity as GPX.
pub(crate) async fn gpx(o: Owner) -> Response {
    owned_file(o, false).await
}

/// `GET …/original`: the kept original file.
pub(crate) async fn original(o: Owner) -> Response {
    owned_file(o, true).await
}
