//! The feeds: `/` (every member's listed activities, newest first) and
//! `/u/{handle}/` (one member's; all of them for the owner). Cards with the
//! server-drawn track, a sport and a year filter, and paging by links
//! (`?before=` cursor), so nothing needs JavaScript.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use bincio_core::activities::feed_filter::FeedFilter;
use bincio_core::activities::parse_cursor;
use bincio_core::model::User;

use super::cards::Card;
use super::home::display;
use crate::web::ctx::Ctx;
use crate::web::render::{html, PageError};

/// Cards per page.
pub(crate) const PAGE: usize = 20;

/// A filter link (sport chip, year).
pub(crate) struct Chip {
    pub label: String,
    pub href: String,
    pub on: bool,
}

/// What the feed templates share.
pub(crate) struct FeedView {
    pub cards: Vec<Card>,
    pub sports: Vec<Chip>,
    pub years: Vec<Chip>,
    /// The link to older activities.
    pub older: Option<String>,
    /// Whether the list is filtered (for the empty text and "clear").
    pub filtered: bool,
    pub clear_href: String,
}

#[derive(Template)]
#[template(path = "feed.html")]
struct HomePage<'a> {
    c: &'a Ctx,
    feed: FeedView,
    intro: Option<String>,
}

/// The member header and tabs of `/u/{handle}/…` pages.
pub(crate) struct MemberHead {
    pub handle: String,
    pub name: String,
    /// `feed`, `stats` or `athlete`.
    pub tab: &'static str,
    pub is_owner: bool,
}

impl MemberHead {
    pub(crate) fn new(c: &Ctx, member: &User, tab: &'static str) -> Self {
        Self {
            handle: member.handle.clone(),
            name: display(member).to_owned(),
            tab,
            is_owner: c.user.as_ref().is_some_and(|u| u.handle == member.handle),
        }
    }
}

#[derive(Template)]
#[template(path = "member_feed.html")]
struct MemberPage<'a> {
    c: &'a Ctx,
    head: MemberHead,
    feed: FeedView,
}

/// The query of a feed page: `sport`, `year`, `before`.
struct Query {
    sport: Option<String>,
    year: Option<i32>,
    before: Option<String>,
}

impl Query {
    fn read(c: &Ctx) -> Self {
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Self {
            sport: nonempty(c.query("sport")),
            year: c.query("year").and_then(|y| y.trim().parse().ok()),
            before: nonempty(c.query("before")),
        }
    }

    /// This query's link on `base`, with changes.
    fn href(base: &str, sport: Option<&str>, year: Option<i32>, before: Option<&str>) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(s) = sport {
            q.append_pair("sport", s);
        }
        if let Some(y) = year {
            q.append_pair("year", &y.to_string());
        }
        if let Some(b) = before {
            q.append_pair("before", b);
        }
        let q = q.finish();
        if q.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{q}")
        }
    }
}

/// Build the cards and filters of a feed (`handle`: one member's).
async fn feed_view(c: &Ctx, handle: Option<&str>, base: &str) -> Result<FeedView, Response> {
    let q = Query::read(c);
    let acts = c.st.activities();
    let viewer = c.user.as_ref();
    let Ok(cursor) = q.before.as_deref().map(parse_cursor).transpose() else {
        return Err(c.fail(PageError::BadRequest));
    };
    let filter = FeedFilter {
        sport: q.sport.clone(),
        year: q.year,
    };
    let page = acts
        .feed_filtered(viewer, handle, &filter, cursor, PAGE)
        .await
        .map_err(|e| c.fail(e))?;
    let facets = acts
        .feed_facets(viewer, handle)
        .await
        .map_err(|e| c.fail(e))?;
    let units = c.units().await;
    let owner_view = matches!((viewer, handle), (Some(u), Some(h)) if u.handle == h);
    let cards = page
        .activities
        .iter()
        .map(|s| Card::new(c, units, s.as_value(), owner_view))
        .collect();
    let mut sports = vec![Chip {
        label: c.t.filter_all_sports.to_owned(),
        href: Query::href(base, None, q.year, None),
        on: q.sport.is_none(),
    }];
    sports.extend(facets.sports.iter().map(|s| Chip {
        label: c.t.sport_name(s).to_owned(),
        href: Query::href(base, Some(s), q.year, None),
        on: q.sport.as_deref() == Some(s.as_str()),
    }));
    let mut years = vec![Chip {
        label: c.t.filter_all_years.to_owned(),
        href: Query::href(base, q.sport.as_deref(), None, None),
        on: q.year.is_none(),
    }];
    years.extend(facets.years.iter().map(|y| Chip {
        label: y.to_string(),
        href: Query::href(base, q.sport.as_deref(), Some(*y), None),
        on: q.year == Some(*y),
    }));
    Ok(FeedView {
        cards,
        sports,
        years,
        older: page
            .next
            .as_deref()
            .map(|n| Query::href(base, q.sport.as_deref(), q.year, Some(n))),
        filtered: q.sport.is_some() || q.year.is_some(),
        clear_href: base.to_owned(),
    })
}

/// `GET /`: the combined feed.
pub(crate) async fn home(c: Ctx) -> Response {
    let feed = match feed_view(&c, None, "/").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let intro = match &c.user {
        Some(_) => None,
        None => Some(c.t.home_anon_intro.to_owned()),
    };
    html(&c, StatusCode::OK, &HomePage { c: &c, feed, intro })
}

/// The member `handle` names, or the 404 page.
pub(crate) async fn member(c: &Ctx, handle: &str) -> Result<User, Response> {
    if !bincio_core::validate::is_valid_handle(handle) {
        return Err(PageError::NotFound.render(Some(c)));
    }
    c.st.accounts()
        .require_user(handle)
        .await
        .map_err(|e| c.fail(e))
}

/// `GET /u/{handle}/`: one member's feed.
pub(crate) async fn member_feed(c: Ctx, Path(handle): Path<String>) -> Response {
    let m = match member(&c, &handle).await {
        Ok(m) => m,
        Err(r) => return r,
    };
    let base = format!("/u/{}/", m.handle);
    let feed = match feed_view(&c, Some(&m.handle), &base).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let head = MemberHead::new(&c, &m, "feed");
    html(&c, StatusCode::OK, &MemberPage { c: &c, head, feed })
}
