//! Feed filters and their menus, for the pages `/` and `/u/{handle}/`.
//!
//! Rules:
//! * the same privacy as [`Activities::feed`]: the owner's own feed lists
//!   all their activities with their edits, anyone else's (and the
//!   combined feed, for everyone) only listed ones, as the public sees
//!   them; anonymous viewers of a private instance get `Unauthorized`;
//! * `year` is a UTC calendar year, cut by the store (`since`/`until`
//!   bounds over its feed indexes), never by scanning;
//! * `sport` is the *effective* sport (the owner's edit over the extracted
//!   one; unknown stored values count as `other`), checked against
//!   [`SPORTS`]. It is matched here over light store pages: a page scans at
//!   most [`FEED_SCAN_BUDGET`] records, then returns what it found with a
//!   cursor at the last record *scanned*, so following `next` never skips
//!   an activity (a page may hold fewer than `limit`, even none, while
//!   `next` is set);
//! * like the plain feed, filtered feeds list duplicates (`duplicate_of`):
//!   only totals leave them out.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;

use super::calendar::{utc_year, year_bounds};
use super::{effective_sport, feed_summary, Activities, FeedPage, SummaryDoc, MAX_PAGE, SPORTS};
use crate::error::{CoreError, CoreResult};
use crate::model::{FeedCursor, User};
use crate::store::SummaryQuery;
use crate::validate;

/// Most records one sport-filtered feed page looks at.
pub const FEED_SCAN_BUDGET: usize = 5000;

/// Most records [`Activities::feed_facets`] looks at (the newest ones).
pub const FACETS_MAX: usize = 20_000;

/// Store page size while matching a sport.
const SCAN_PAGE: usize = 500;

/// What a feed is narrowed to. The default narrows nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFilter {
    /// Effective sport, one of [`SPORTS`].
    pub sport: Option<String>,
    /// Calendar year of the start, UTC.
    pub year: Option<i32>,
}

impl FeedFilter {
    /// From query-string values; empty strings mean "any". `Invalid` for an
    /// unknown sport or a year that is not a number.
    pub fn parse(sport: Option<&str>, year: Option<&str>) -> CoreResult<Self> {
        let sport = sport.map(str::trim).filter(|s| !s.is_empty());
        let year = year
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|y| {
                y.parse::<i32>()
                    .map_err(|_| CoreError::invalid(format!("unknown year {y:?}")))
            })
            .transpose()?;
        let f = FeedFilter {
            sport: sport.map(str::to_owned),
            year,
        };
        f.bounds()?;
        Ok(f)
    }

    /// Checks the sport; the `[since, until)` bounds of the year.
    fn bounds(&self) -> CoreResult<(Option<i64>, Option<i64>)> {
        if let Some(s) = &self.sport {
            if !SPORTS.contains(&s.as_str()) {
                return Err(CoreError::invalid(format!("unknown sport {s:?}")));
            }
        }
        Ok(match self.year {
            Some(y) => {
                let (a, b) = year_bounds(y)?;
                (Some(a), Some(b))
            }
            None => (None, None),
        })
    }
}

/// What a member (or the instance) has, for the filter menus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedFacets {
    /// UTC years with at least one activity the viewer may see, newest
    /// first.
    pub years: Vec<i32>,
    /// Effective sports present, in [`SPORTS`] order.
    pub sports: Vec<String>,
    /// True when more than [`FACETS_MAX`] activities exist: the menus
    /// then cover the newest ones only.
    pub truncated: bool,
}

impl Activities {
    /// 401 for anonymous viewers of a private instance, `User not found`
    /// for an invalid or unknown handle; else whether `viewer` owns it.
    pub(crate) async fn member_access(
        &self,
        viewer: Option<&User>,
        handle: &str,
    ) -> CoreResult<bool> {
        self.check_instance_access(viewer).await?;
        let not_found = || CoreError::NotFound("User not found".into());
        if !validate::is_valid_handle(handle) {
            return Err(not_found());
        }
        self.users.get_user(handle).await?.ok_or_else(not_found)?;
        Ok(viewer.is_some_and(|u| u.handle == handle))
    }

    /// A feed page narrowed by `filter`: `handle`'s activities (all of
    /// them for the owner, listed ones for others) or, with `None`, every
    /// member's listed ones; newest first, paged by the `started_at:id`
    /// cursor of [`FeedPage::next`]. `Invalid` for an unknown sport or
    /// year, `User not found` for an unknown member, `Unauthorized` for
    /// anonymous viewers of a private instance. See the module doc for the
    /// scan budget of sport filters.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = ?handle))]
    pub async fn feed_filtered(
        &self,
        viewer: Option<&User>,
        handle: Option<&str>,
        filter: &FeedFilter,
        cursor: Option<FeedCursor>,
        limit: usize,
    ) -> CoreResult<FeedPage> {
        let owner = match handle {
            Some(h) => self.member_access(viewer, h).await?,
            None => {
                self.check_instance_access(viewer).await?;
                false
            }
        };
        self.feed_page(owner, handle, filter, cursor, limit).await
    }

    /// The page itself (access already decided).
    pub(super) async fn feed_page(
        &self,
        owner: bool,
        handle: Option<&str>,
        filter: &FeedFilter,
        cursor: Option<FeedCursor>,
        limit: usize,
    ) -> CoreResult<FeedPage> {
        let (since, until) = filter.bounds()?;
        let limit = limit.clamp(1, MAX_PAGE);
        let query = |before: Option<FeedCursor>, limit: usize| SummaryQuery {
            handle: handle.map(str::to_owned),
            listed_only: !owner,
            since,
            until,
            before,
            limit,
            lean: false,
        };
        let show = |r: &crate::model::ActivityRecord| {
            let mut doc = feed_summary(r, owner);
            if let Some(o) = doc.as_object_mut() {
                o.insert("handle".into(), Value::String(r.handle.clone()));
            }
            SummaryDoc(doc)
        };
        let key = |r: &crate::model::ActivityRecord| FeedCursor {
            started_at: r.started_at,
            id: r.id.clone(),
        };
        let text = |c: &FeedCursor| format!("{}:{}", c.started_at, c.id);

        let Some(sport) = filter.sport.as_deref() else {
            let rows = self.store.summaries(query(cursor, limit)).await?;
            let next = (rows.len() == limit)
                .then(|| rows.last().map(|r| text(&key(r))))
                .flatten();
            let activities = rows.iter().map(show).collect();
            return Ok(FeedPage { activities, next });
        };

        let mut activities = Vec::new();
        let mut last = cursor;
        let mut scanned = 0;
        // Pages grow from `limit` to SCAN_PAGE: a common sport is found in
        // the first page without reading (and parsing) many more records.
        let mut size = limit;
        loop {
            let page = self.store.summaries(query(last.clone(), size)).await?;
            let exhausted = page.len() < size;
            size = (size * 2).min(SCAN_PAGE);
            for r in &page {
                scanned += 1;
                last = Some(key(r));
                if effective_sport(r) == sport {
                    activities.push(show(r));
                    if activities.len() == limit {
                        return Ok(FeedPage {
                            activities,
                            next: last.as_ref().map(text),
                        });
                    }
                }
                if scanned >= FEED_SCAN_BUDGET {
                    // Out of budget: continue after the last record seen.
                    return Ok(FeedPage {
                        activities,
                        next: last.as_ref().map(text),
                    });
                }
            }
            if exhausted {
                return Ok(FeedPage {
                    activities,
                    next: None,
                });
            }
        }
    }

    /// The years and sports of `handle`'s feed (or, with `None`, of the
    /// combined feed) as `viewer` may see it: for the filter menus. Same
    /// access rules as [`Self::feed_filtered`]; looks at the newest
    /// [`FACETS_MAX`] activities.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = ?handle))]
    pub async fn feed_facets(
        &self,
        viewer: Option<&User>,
        handle: Option<&str>,
    ) -> CoreResult<FeedFacets> {
        let owner = match handle {
            Some(h) => self.member_access(viewer, h).await?,
            None => {
                self.check_instance_access(viewer).await?;
                false
            }
        };
        let seen = self
            .seen
            .rows(&self.store, handle, owner, FACETS_MAX)
            .await?;
        Ok(facets_of(
            seen.rows.iter().map(|r| (r.started_at, r.sport)),
            seen.truncated,
        ))
    }
}

/// The menus from `(start, effective sport)` pairs.
fn facets_of<'a>(rows: impl Iterator<Item = (i64, &'a str)>, truncated: bool) -> FeedFacets {
    let mut years = BTreeSet::new();
    let mut sports = BTreeSet::new();
    for (t, s) in rows {
        years.insert(utc_year(t));
        sports.insert(s);
    }
    FeedFacets {
        years: years.into_iter().rev().collect(),
        sports: SPORTS
            .iter()
            .filter(|s| sports.contains(*s))
            .map(|s| (*s).to_owned())
            .collect(),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_parse_checks_sport_and_year() {
        assert_eq!(
            FeedFilter::parse(None, None).unwrap(),
            FeedFilter::default()
        );
        assert_eq!(
            FeedFilter::parse(Some(""), Some(" ")).unwrap(),
            FeedFilter::default(),
            "empty means any"
        );
        let f = FeedFilter::parse(Some("running"), Some("2026")).unwrap();
        assert_eq!(f.sport.as_deref(), Some("running"));
        assert_eq!(f.year, Some(2026));
        assert_eq!(
            f.bounds().unwrap(),
            (Some(1_767_225_600), Some(1_798_761_600))
        );
        for (s, y) in [
            (Some("rowing"), None),
            (Some("Cycling"), None),
            (None, Some("20x6")),
            (None, Some("99999999")),
        ] {
            assert!(
                matches!(FeedFilter::parse(s, y), Err(CoreError::Invalid(_))),
                "{s:?} {y:?}"
            );
        }
        let bad = FeedFilter {
            sport: Some("yoga".into()),
            year: None,
        };
        assert!(bad.bounds().is_err());
    }

    #[test]
    fn facets_newest_year_first_sports_in_menu_order() {
        let f = facets_of(
            [
                (1_767_225_600, "running"), // 2026
                (1_767_225_599, "cycling"), // 2025
                (0, "other"),               // 1970
                (1_767_225_700, "running"),
            ]
            .into_iter(),
            false,
        );
        assert_eq!(f.years, [2026, 2025, 1970]);
        assert_eq!(f.sports, ["cycling", "running", "other"]);
        assert!(!f.truncated);
        assert_eq!(facets_of(std::iter::empty(), true).years, Vec::<i32>::new());
    }
}
