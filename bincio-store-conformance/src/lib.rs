//! `bincio-store-conformance`: the store conformance suite, the contract of
//! every store trait of `bincio-core`, written once over `Arc<dyn …>` and
//! run against every backend.
//!
//! It is a dev-dependency of each backend crate: the backend's
//! `tests/conformance.rs` provides a [`Backend`] (which hands out a fresh,
//! empty, isolated set of stores per case) and expands
//! [`conformance_tests!`](crate::conformance_tests) once; every case then
//! shows up as its own `#[tokio::test]` for that backend, so
//! `cargo test -p bincio-store-sqlite` (or `-mongo`) runs the whole suite.
//! A store of your own (see `examples/event_custom_store.rs`) can run it the
//! same way, or one group of it (`accounts:` / `event:` / `archive:`, the last for stores offering
//! `ArchiveStore`).
//!
//! The crate depends on `bincio-core` only (never on a backend), so a
//! backend's tests link exactly one copy of it.

pub mod activities;
pub mod activity_blobs;
pub mod archive;
pub mod athlete;
pub mod attendees;
pub mod audit;
pub mod checkin;
pub mod connections;
pub mod coord;
pub mod imports;
pub mod puzzles;
pub mod secrets;
pub mod sources;
pub mod users;
pub mod views;

use std::sync::Arc;

use bincio_core::store::{
    ActivityStore, ArchiveStore, AttendeeStore, ConnectionStore, PuzzleStore, SourceStore,
    UserStore,
};

/// One fresh, empty, isolated set of stores.
#[derive(Clone)]
pub struct Stores {
    /// Accounts.
    pub users: Arc<dyn UserStore>,
    /// Activities.
    pub activities: Arc<dyn ActivityStore>,
    /// Event attendees.
    pub attendees: Arc<dyn AttendeeStore>,
    /// Puzzle game.
    pub puzzles: Arc<dyn PuzzleStore>,
    /// Activity sources (drop folder, sync history).
    pub sources: Arc<dyn SourceStore>,
    /// Connections to outside sources (Strava).
    pub connections: Arc<dyn ConnectionStore>,
    /// Whole-instance reads and restores (the instance archive); `None`
    /// for a store that does not offer them (the `archive:` cases need it).
    pub archive: Option<Arc<dyn ArchiveStore>>,
    /// Resources that must live as long as the stores (a temp dir, a
    /// database to drop); dropped with the last clone.
    pub guard: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl Stores {
    /// Every store from one value implementing all the traits (as both
    /// backends do), with the resources to keep alive.
    pub fn all<S>(store: Arc<S>, guard: Arc<dyn std::any::Any + Send + Sync>) -> Self
    where
        S: UserStore
            + ActivityStore
            + AttendeeStore
            + PuzzleStore
            + SourceStore
            + ConnectionStore
            + ArchiveStore,
    {
        Stores {
            archive: Some(store.clone()),
            users: store.clone(),
            activities: store.clone(),
            attendees: store.clone(),
            sources: store.clone(),
            puzzles: store.clone(),
            connections: store,
            guard: Some(guard),
        }
    }
}

/// A backend under test.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// A new empty database (own file / own database name per call).
    async fn fresh(&self) -> Stores;
}

/// Expands to one `#[tokio::test]` per conformance case, each calling the
/// case with `$backend` (an expression of a type implementing [`Backend`]).
///
/// ```text
/// bincio_store_conformance::conformance_tests!(my_backend());
/// // or one group: `accounts: …` / `event: …` / `archive: …`
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (accounts: $backend:expr) => {
        $crate::conformance_cases!($backend;
            users::create_and_get_user,
            users::duplicate_handle_conflicts,
            users::list_users_oldest_first,
            users::password_hash_set_and_upgrade,
            users::display_name_and_role,
            users::delete_user_cascades,
            users::register_with_invite_is_one_time,
            users::invite_stays_spent_after_user_deleted,
            users::register_checks_handle_and_limit,
            users::register_with_setup_code_makes_admin,
            users::concurrent_registrations_one_invite,
            users::concurrent_registrations_respect_max_users,
            secrets::sessions_expire_and_revoke,
            secrets::invites_limit_and_order,
            secrets::concurrent_invite_creation_respects_limit,
            secrets::reset_codes_are_one_time_and_expire,
            secrets::concurrent_reset_code_redemption,
            users::settings_roundtrip,
            users::prefs_upsert,
            users::members_with_inviter,
            athlete::athlete_patch_merges,
            athlete::athlete_concurrent_patches_of_different_keys,
            athlete::athlete_config_lifecycle,
            connections::connection_patch_merges_and_lifecycle,
            connections::connection_concurrent_patches_of_different_fields,
            connections::connection_oauth_state_is_single_use,
            activities::activity_insert_get_and_dedup,
            activities::activity_concurrent_duplicate_upload,
            activities::activity_tracks_roundtrip,
            activities::activity_edits_merge_and_privacy,
            activities::activity_feed_order_and_cursor,
            activities::activity_replace_keeps_edits,
            activity_blobs::activity_blobs_and_usage,
            activities::activity_user_wipe,
            activities::activity_find_near_and_duplicate_flag,
            activity_blobs::activity_large_original_and_tracks,
            activity_blobs::activity_generations_and_user_images,
            activity_blobs::activity_orphans_none_after_every_write_path,
            activities::activity_listed_page_offsets,
            activities::activity_summaries_light_and_filtered,
            views::views_feed_filters_and_facets,
            views::views_member_stats,
            views::views_leaderboard,
            views::views_season_curves,
            views::views_follow_changes,
            sources::sources_drop_config_roundtrip,
            sources::sources_drop_claim_rules,
            sources::sources_concurrent_claims_once,
            sources::sources_sync_runs_bounded,
            coord::coord_jobs_lifecycle,
            coord::coord_failure_windows,
            coord::coord_concurrent_failures_count_all,
            coord::coord_lease_rules,
            coord::coord_concurrent_lease_one_wins,
            coord::ratelimit_rules,
            coord::ratelimit_shared_and_concurrent,
            coord::jobs_shared_between_registries,
            coord::lease_runs_once_across_processes,
            coord::coord_staged_files,
            coord::coord_concurrent_take_staged_once,
        );
    };
    (event: $backend:expr) => {
        $crate::conformance_cases!($backend;
            attendees::attendee_import_and_reimport,
            attendees::attendee_use_rules,
            attendees::attendee_concurrent_use_exactly_once,
            attendees::attendee_first_use_once,
            attendees::attendee_list_and_stats,
            attendees::attendee_announcements,
            checkin::checkin_use_delivers_its_pieces,
            checkin::checkin_first_use_creates_the_bucket,
            checkin::checkin_concurrent_mix_keeps_counters_exact,
            audit::audit_use_and_undo,
            audit::audit_nonce_replays,
            audit::audit_concurrent_scans,
            audit::desk_search_follows_the_rule,
            audit::audit_puzzle_actions,
            audit::audit_import_and_announcement,
            imports::import_streamed_all_or_nothing,
            imports::import_csv_bad_line_near_the_end,
            puzzles::puzzle_counters_upsert,
            puzzles::puzzle_bucket_created_once,
            puzzles::puzzle_deliver_and_dedupe,
            puzzles::puzzle_concurrent_distinct_deliverers,
            puzzles::puzzle_concurrent_one_deliverer,
            puzzles::puzzle_revoke_and_coupon,
        );
    };
    (archive: $backend:expr) => {
        $crate::conformance_cases!($backend;
            archive::archive_event_state_roundtrip,
            archive::archive_restore_refuses_existing,
        );
    };
    ($backend:expr) => {
        $crate::conformance_tests!(accounts: $backend);
        $crate::conformance_tests!(event: $backend);
        $crate::conformance_tests!(archive: $backend);
    };
}

/// Helper of [`conformance_tests!`]: one test fn per listed case.
#[macro_export]
#[doc(hidden)]
macro_rules! conformance_cases {
    ($backend:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let backend = $backend;
                $crate::$module::$case(&backend).await;
            }
        )*
    };
}
