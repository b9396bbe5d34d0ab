//! The index documents of the live `/data/` tree, built per request with
//! the builders of the static render (so a site reads either the same way)
//! and seen as the viewer may see them: the owner's own indexes list all
//! their activities, everyone else's only the listed ones; the combined
//! feed lists listed activities only, for everyone.

use serde_json::Value;

use super::athlete::owner_json;
use super::render::feed::{page_doc, tag, total_pages};
use super::render::shards::{root_manifest, user_indexes, year_of};
use super::render::FEED_PAGE;
use super::{feed_summary, owner_records, view, Activities, FeedDoc, IndexDoc, ManifestDoc};
use crate::error::{CoreError, CoreResult};
use crate::model::User;
use crate::validate;

/// Most activities listed in a live per-user index (older ones are paged
/// through `/api/feed`): bounds the work of one request.
pub const USER_INDEX_MAX: usize = 10_000;

impl Activities {
    /// The root manifest `index.json`: the instance and one shard per member.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn root_manifest(&self, viewer: Option<&User>) -> CoreResult<ManifestDoc> {
        self.check_instance_access(viewer).await?;
        let settings = self.settings().await?;
        let users = self.users.list_users().await?;
        let generated_at = self.clock.now().to_rfc3339();
        Ok(ManifestDoc(root_manifest(&settings, &users, &generated_at)))
    }

    /// `index.json`, `_merged/index.json` or `_merged/index-{YYYY}.json` of
    /// `handle` (`rel` is one of those), `NotFound` for anything else.
    #[tracing::instrument(level = "debug", skip_all, fields(handle = %handle, file = %rel))]
    pub async fn user_index_file(
        &self,
        viewer: Option<&User>,
        handle: &str,
        rel: &str,
    ) -> CoreResult<IndexDoc> {
        self.check_instance_access(viewer).await?;
        let missing = || CoreError::NotFound("Not Found".into());
        let is_index = rel == "index.json"
            || rel
                .strip_prefix("_merged/")
                .is_some_and(|f| f == "index.json" || f.starts_with("index-"));
        if !is_index || !validate::is_valid_handle(handle) {
            return Err(missing());
        }
        let user = self
            .users
            .get_user(handle)
            .await?
            .ok_or_else(|| CoreError::NotFound("User not found".into()))?;
        let owner = viewer.is_some_and(|v| v.handle == user.handle);
        let listed: Vec<(i32, Value)> =
            owner_records(&self.store, &user.handle, !owner, USER_INDEX_MAX)
                .await?
                .iter()
                .map(|r| (year_of(r.started_at), feed_summary(r, owner)))
                .collect();
        let generated_at = self.clock.now().to_rfc3339();
        let config = self.users.get_athlete(&user.handle).await?;
        let owner_block = owner_json(&user.handle, &user.display_name, &config);
        user_indexes(&owner_block, &generated_at, &listed)
            .into_iter()
            .find(|(n, _)| n == rel)
            .map(|(_, v)| IndexDoc(v))
            .ok_or_else(missing)
    }

    /// Page `page` (1-based) of the combined feed (`feed.json` is page 1,
    /// `feed-N.json` page N): listed activities of every member, newest
    /// first, 50 a page. A page past the last is `NotFound` (page 1 always
    /// exists).
    #[tracing::instrument(level = "debug", skip_all, fields(page))]
    pub async fn combined_feed_page(
        &self,
        viewer: Option<&User>,
        page: usize,
    ) -> CoreResult<FeedDoc> {
        self.check_instance_access(viewer).await?;
        let missing = || CoreError::NotFound("Not Found".into());
        if page == 0 {
            return Err(missing());
        }
        let offset = (page as u64 - 1).saturating_mul(FEED_PAGE as u64);
        let (rows, total) = self.store.listed_page(offset, FEED_PAGE).await?;
        let total = usize::try_from(total).unwrap_or(usize::MAX);
        if page > total_pages(total) {
            return Err(missing());
        }
        let names: std::collections::HashMap<String, String> = self
            .users
            .list_users()
            .await?
            .into_iter()
            .map(|u| (u.handle, u.display_name))
            .collect();
        let activities = rows
            .iter()
            .map(|r| {
                let name = names.get(&r.handle).map_or("", String::as_str);
                tag(view::public_doc(r, &r.summary, &[], None), &r.handle, name)
            })
            .collect();
        let generated_at = self.clock.now().to_rfc3339();
        Ok(FeedDoc(page_doc(page, total, activities, &generated_at)))
    }
}
