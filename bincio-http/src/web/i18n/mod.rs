//! Every user-visible string of the web pages, one table per language.
//!
//! A language is one `const` [`Strings`] in its own file. English ([`EN`])
//! fills every field, so the compiler proves it complete; another language
//! lists what it translates and takes the rest from English with
//! `..EN` — a missing translation shows English, never a blank. Templates
//! read fields (`{{ c.t.login_title }}`), so a misspelt key is a compile
//! error. Strings with `{}` take arguments through [`fill`].
//!
//! Messages that come from the core (validation, refusals) are English
//! sentences; [`Strings::core`] maps the ones a language translates, and an
//! unknown one is shown as the core wrote it.

mod en;
mod it;

pub(crate) use en::EN;
pub(crate) use it::IT;

/// A language the pages can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// English (complete).
    En,
    /// Italian (layout, log in, registration, set-up, reset, errors).
    It,
}

/// Every language, in the order the language menu lists them.
pub(crate) const LANGS: &[Lang] = &[Lang::En, Lang::It];

impl Lang {
    /// The BCP 47 code (`lang` attribute, cookie value).
    pub(crate) fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::It => "it",
        }
    }

    /// The language's own name, for the menu.
    pub(crate) fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::It => "Italiano",
        }
    }

    /// The string table.
    pub(crate) fn strings(self) -> &'static Strings {
        match self {
            Self::En => &EN,
            Self::It => &IT,
        }
    }

    /// A code as stored in the cookie (`en`, `it`).
    pub(crate) fn from_code(code: &str) -> Option<Self> {
        LANGS
            .iter()
            .copied()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The best language for an `Accept-Language` header: the supported
    /// one with the highest `q` (ties: first listed); English otherwise.
    /// `it-IT`, `it-CH` … match `it`. Malformed parts are skipped.
    pub(crate) fn negotiate(accept_language: Option<&str>) -> Self {
        let Some(header) = accept_language else {
            return Self::En;
        };
        let mut best: Option<(f32, Self)> = None;
        for part in header.split(',').take(32) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map(|q| q.trim().parse::<f32>().unwrap_or(0.0))
                .unwrap_or(1.0);
            // NaN and q=0 both mean "not acceptable".
            if q.is_nan() || q <= 0.0 {
                continue;
            }
            if let Some(lang) = Self::from_code(primary) {
                if best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map_or(Self::En, |(_, l)| l)
    }
}

/// Replace each `{}` of `template` with the next argument, in order
/// (missing arguments leave the `{}`; extra ones are ignored).
pub(crate) fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut args = args.iter();
    let mut rest = template;
    while let Some(i) = rest.find("{}") {
        out.push_str(&rest[..i]);
        match args.next() {
            Some(a) => out.push_str(&a.to_string()),
            None => out.push_str("{}"),
        }
        rest = &rest[i + 2..];
    }
    out.push_str(rest);
    out
}

/// One table of user-visible strings (see the module doc).
#[derive(Debug)]
pub(crate) struct Strings {
    // ---- layout ----
    pub skip_to_content: &'static str,
    pub nav_label: &'static str,
    pub nav_home: &'static str,
    pub nav_invites: &'static str,
    pub nav_settings: &'static str,
    pub nav_admin: &'static str,
    pub nav_upload: &'static str,
    pub nav_login: &'static str,
    pub nav_logout: &'static str,
    pub theme_to_dark: &'static str,
    pub theme_to_light: &'static str,
    pub footer_powered: &'static str,
    pub footer_api: &'static str,
    pub language: &'static str,
    pub lang_auto: &'static str,
    pub apply: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub minutes: &'static str,
    pub one_minute: &'static str,
    pub seconds: &'static str,
    // ---- error pages ----
    pub err_404_title: &'static str,
    pub err_404_body: &'static str,
    pub err_403_title: &'static str,
    pub err_403_body: &'static str,
    pub err_405_title: &'static str,
    pub err_405_body: &'static str,
    pub err_400_title: &'static str,
    pub err_400_body: &'static str,
    pub err_500_title: &'static str,
    pub err_500_body: &'static str,
    pub err_csrf_title: &'static str,
    pub err_csrf_body: &'static str,
    pub err_cross_site_body: &'static str,
    pub back_home: &'static str,
    // ---- home ----
    pub home_title: &'static str,
    pub home_anon_intro: &'static str,
    pub home_card_upload: &'static str,
    // ---- shared form words ----
    pub field_handle: &'static str,
    pub field_password: &'static str,
    pub field_password_confirm: &'static str,
    pub field_display_name: &'static str,
    pub field_code: &'static str,
    pub field_setup_code: &'static str,
    pub field_reset_code: &'static str,
    pub field_new_password: &'static str,
    pub field_current_password: &'static str,
    pub handle_hint: &'static str,
    pub display_name_hint: &'static str,
    pub password_hint: &'static str,
    pub err_password_mismatch: &'static str,
    pub err_wrong_password: &'static str,
    pub err_rate_limited: &'static str,
    pub err_fix_below: &'static str,
    pub save: &'static str,
    // ---- log in / out ----
    pub login_title: &'static str,
    pub login_intro: &'static str,
    pub login_submit: &'static str,
    pub login_wrong: &'static str,
    pub login_forgot: &'static str,
    pub login_reset_link: &'static str,
    pub login_no_account: &'static str,
    pub login_needs_setup: &'static str,
    pub logout_title: &'static str,
    pub logout_confirm: &'static str,
    pub flash_logged_out: &'static str,
    // ---- register ----
    pub register_title: &'static str,
    pub register_intro: &'static str,
    pub register_submit: &'static str,
    pub register_have_account: &'static str,
    pub err_code_used: &'static str,
    pub err_handle_taken: &'static str,
    pub err_max_users: &'static str,
    pub flash_welcome: &'static str,
    // ---- set-up ----
    pub setup_title: &'static str,
    pub setup_intro: &'static str,
    pub setup_instance_name: &'static str,
    pub setup_submit: &'static str,
    pub setup_done_title: &'static str,
    pub setup_done_body: &'static str,
    pub setup_bad_code: &'static str,
    pub flash_setup_done: &'static str,
    // ---- reset password ----
    pub reset_title: &'static str,
    pub reset_intro: &'static str,
    pub reset_submit: &'static str,
    pub err_reset_code: &'static str,
    pub flash_password_reset: &'static str,
    // ---- invites ----
    pub invites_title: &'static str,
    pub invites_intro: &'static str,
    pub invites_left: &'static str,
    pub invites_unlimited: &'static str,
    pub invites_none_left: &'static str,
    pub invites_mint: &'static str,
    pub invites_empty: &'static str,
    pub col_code: &'static str,
    pub col_link: &'static str,
    pub col_status: &'static str,
    pub col_created: &'static str,
    pub invite_unused: &'static str,
    pub invite_used_by: &'static str,
    pub flash_invite_created: &'static str,
    // ---- settings ----
    pub settings_title: &'static str,
    pub sec_profile: &'static str,
    pub sec_password: &'static str,
    pub change_password_submit: &'static str,
    pub err_current_password: &'static str,
    pub flash_password_changed: &'static str,
    pub flash_display_name_saved: &'static str,
    pub sec_prefs: &'static str,
    pub field_units: &'static str,
    pub units_metric: &'static str,
    pub units_imperial: &'static str,
    pub units_example: &'static str,
    pub field_theme: &'static str,
    pub theme_system: &'static str,
    pub theme_light: &'static str,
    pub theme_dark: &'static str,
    pub flash_prefs_saved: &'static str,
    pub sec_storage: &'static str,
    pub storage_activities: &'static str,
    pub storage_originals: &'static str,
    pub storage_photos: &'static str,
    pub storage_total: &'static str,
    pub sec_danger: &'static str,
    pub danger_intro: &'static str,
    pub delete_originals_title: &'static str,
    pub delete_originals_body: &'static str,
    pub delete_activities_title: &'static str,
    pub delete_activities_body: &'static str,
    pub delete_account_title: &'static str,
    pub delete_account_body: &'static str,
    pub confirm_with_password: &'static str,
    pub flash_originals_deleted: &'static str,
    pub flash_activities_deleted: &'static str,
    pub flash_account_deleted: &'static str,
    // ---- settings: Strava card ----
    pub strava_title: &'static str,
    pub strava_intro: &'static str,
    pub strava_not_configured: &'static str,
    pub strava_not_connected: &'static str,
    /// `{}` = the name at Strava.
    pub strava_connected_as: &'static str,
    pub strava_last_sync: &'static str,
    pub strava_next_sync: &'static str,
    pub strava_paused_until: &'static str,
    pub strava_last_error: &'static str,
    pub strava_never: &'static str,
    pub strava_syncing: &'static str,
    pub strava_connect: &'static str,
    pub strava_sync_now: &'static str,
    pub strava_disconnect: &'static str,
    pub strava_link_expired: &'static str,
    pub strava_connect_failed: &'static str,
    // ---- admin ----
    pub admin_title: &'static str,
    pub sec_users: &'static str,
    pub users_count: &'static str,
    pub users_search: &'static str,
    pub search: &'static str,
    pub col_handle: &'static str,
    pub col_name: &'static str,
    pub col_role: &'static str,
    pub col_activities: &'static str,
    pub col_storage: &'static str,
    pub role_user: &'static str,
    pub role_staff: &'static str,
    pub role_admin: &'static str,
    pub manage: &'static str,
    pub you: &'static str,
    pub page_prev: &'static str,
    pub page_next: &'static str,
    pub page_of: &'static str,
    pub no_users_match: &'static str,
    pub sec_instance: &'static str,
    pub field_instance_name: &'static str,
    pub field_max_users: &'static str,
    pub max_users_hint: &'static str,
    pub field_store_originals: &'static str,
    pub store_originals_hint: &'static str,
    pub field_private: &'static str,
    pub private_hint: &'static str,
    pub flash_settings_saved: &'static str,
    pub sec_jobs: &'static str,
    pub jobs_none: &'static str,
    pub jobs_live: &'static str,
    pub jobs_refresh: &'static str,
    pub col_job: &'static str,
    pub col_user: &'static str,
    pub col_started: &'static str,
    pub col_progress: &'static str,
    pub sec_disk: &'static str,
    pub disk_used: &'static str,
    pub disk_free: &'static str,
    pub disk_members: &'static str,
    pub disk_unknown: &'static str,
    pub sec_account: &'static str,
    pub member_since: &'static str,
    pub back_to_admin: &'static str,
    pub reset_admin_title: &'static str,
    pub reset_admin_body: &'static str,
    pub reset_issue: &'static str,
    pub flash_reset_issued: &'static str,
    pub role_title: &'static str,
    pub role_body: &'static str,
    pub role_save: &'static str,
    pub role_self: &'static str,
    pub flash_role_changed: &'static str,
    pub wipe_title: &'static str,
    pub wipe_body: &'static str,
    pub confirm_type_handle: &'static str,
    pub err_confirm_handle: &'static str,
    pub flash_wiped: &'static str,
    pub delete_user_title: &'static str,
    pub delete_user_body: &'static str,
    pub flash_user_deleted: &'static str,
    // ---- activities: feeds and cards ----
    pub feed_title: &'static str,
    pub feed_empty: &'static str,
    pub feed_empty_filtered: &'static str,
    pub feed_older: &'static str,
    pub filter_label: &'static str,
    pub filter_all_sports: &'static str,
    pub filter_all_years: &'static str,
    pub filter_clear: &'static str,
    pub tab_activities: &'static str,
    pub tab_stats: &'static str,
    pub tab_athlete: &'static str,
    pub untitled: &'static str,
    pub privacy_public: &'static str,
    pub privacy_unlisted: &'static str,
    pub privacy_private: &'static str,
    pub privacy_no_gps: &'static str,
    pub privacy_blur_start: &'static str,
    pub sport_cycling: &'static str,
    pub sport_running: &'static str,
    pub sport_hiking: &'static str,
    pub sport_walking: &'static str,
    pub sport_swimming: &'static str,
    pub sport_skiing: &'static str,
    pub sport_other: &'static str,
    pub stat_distance: &'static str,
    pub stat_moving_time: &'static str,
    pub stat_elapsed_time: &'static str,
    pub stat_elevation: &'static str,
    pub stat_descent: &'static str,
    pub stat_avg_speed: &'static str,
    pub stat_avg_pace: &'static str,
    pub stat_max_speed: &'static str,
    pub stat_avg_hr: &'static str,
    pub stat_max_hr: &'static str,
    pub stat_avg_cadence: &'static str,
    pub stat_avg_power: &'static str,
    pub stat_max_power: &'static str,
    pub stat_best_climb: &'static str,
    pub stat_count: &'static str,
    pub months_short: [&'static str; 12],
    pub weekdays_short: [&'static str; 7],
    // ---- activity page ----
    pub stat_elevation_chart: &'static str,
    pub stat_pace_chart: &'static str,
    pub stat_speed_chart: &'static str,
    pub stat_hr_chart: &'static str,
    pub stat_cadence_chart: &'static str,
    pub stat_power_chart: &'static str,
    pub stat_temperature_chart: &'static str,
    pub axis_time: &'static str,
    pub axis_distance: &'static str,
    pub hidden_stats_note: &'static str,
    pub hide_elevation: &'static str,
    pub hide_speed: &'static str,
    pub hide_heart_rate: &'static str,
    pub hide_cadence: &'static str,
    pub hide_power: &'static str,
    pub photo_too_large: &'static str,
    pub photo_missing: &'static str,
    pub delete_confirm_missing: &'static str,
    pub flash_activity_saved: &'static str,
    pub flash_photo_added: &'static str,
    pub flash_photo_removed: &'static str,
    pub flash_activity_deleted: &'static str,
    pub flash_elevation: &'static str,
    pub flash_athlete_saved: &'static str,
    pub map_label: &'static str,
    pub stats_label: &'static str,
    pub no_stats: &'static str,
    pub photos_title: &'static str,
    pub photo_alt: &'static str,
    pub photo_remove: &'static str,
    pub close: &'static str,
    pub charts_title: &'static str,
    pub laps_title: &'static str,
    pub hr_zones_title: &'static str,
    pub power_zones_title: &'static str,
    pub edit_title: &'static str,
    pub field_title: &'static str,
    pub field_sport: &'static str,
    pub field_privacy: &'static str,
    pub privacy_hint: &'static str,
    pub field_gear: &'static str,
    pub field_description: &'static str,
    pub markdown_hint: &'static str,
    pub field_hide_stats: &'static str,
    pub field_highlight: &'static str,
    pub photos_add_title: &'static str,
    pub photo_add: &'static str,
    pub photo_hint: &'static str,
    pub tools_title: &'static str,
    pub recalc_elevation: &'static str,
    pub recalc_elevation_dem: &'static str,
    pub download_gpx: &'static str,
    pub download_original: &'static str,
    pub delete_activity: &'static str,
    pub delete_activity_check: &'static str,
    pub delete_activity_confirm: &'static str,
    // ---- upload ----
    pub upload_title: &'static str,
    pub upload_intro: &'static str,
    pub upload_drop: &'static str,
    pub upload_formats: &'static str,
    pub upload_keep_original: &'static str,
    pub upload_overwrite: &'static str,
    pub upload_submit: &'static str,
    pub upload_results: &'static str,
    pub upload_new: &'static str,
    pub upload_overwritten: &'static str,
    pub upload_duplicate: &'static str,
    pub upload_near_duplicate: &'static str,
    pub upload_failed: &'static str,
    pub upload_zip_progress: &'static str,
    pub upload_zip_done: &'static str,
    pub upload_summary: &'static str,
    pub upload_open: &'static str,
    pub upload_open_existing: &'static str,
    pub upload_sending: &'static str,
    pub upload_processing: &'static str,
    // ---- stats, athlete, community ----
    pub one_activity: &'static str,
    pub n_activities: &'static str,
    pub calendar_label: &'static str,
    pub stats_truncated: &'static str,
    pub power_curve_title: &'static str,
    pub curve_all_time: &'static str,
    pub curve_365: &'static str,
    pub curve_90: &'static str,
    pub curve_hint: &'static str,
    pub curve_empty: &'static str,
    pub records_title: &'static str,
    pub records_empty: &'static str,
    pub record_longest: &'static str,
    pub record_most_elevation: &'static str,
    pub best_climbs_title: &'static str,
    pub zones_title: &'static str,
    pub athlete_settings_title: &'static str,
    pub field_ftp: &'static str,
    pub field_max_hr: &'static str,
    pub field_hr_zones: &'static str,
    pub field_power_zones: &'static str,
    pub zones_hint: &'static str,
    pub field_seasons: &'static str,
    pub seasons_hint: &'static str,
    pub field_gear_list: &'static str,
    pub gear_hint: &'static str,
    pub community_title: &'static str,
    pub community_period: &'static str,
    pub community_empty: &'static str,
    pub community_member: &'static str,
    pub period_week: &'static str,
    pub period_month: &'static str,
    pub period_year: &'static str,
    pub period_all: &'static str,
    pub nav_community: &'static str,
    pub nav_my_activities: &'static str,
    // ---- event console ----
    pub event_nav: &'static str,
    pub event_dashboard: &'static str,
    pub event_desk: &'static str,
    pub event_attendees: &'static str,
    pub event_announcements: &'static str,
    pub event_import: &'static str,
    pub event_audit: &'static str,
    pub event_booth: &'static str,
    pub event_live: &'static str,
    pub event_dashboard_intro: &'static str,
    pub event_all_roles: &'static str,
    pub event_export_csv: &'static str,
    pub event_post: &'static str,
    pub desk_intro: &'static str,
    pub desk_search: &'static str,
    pub desk_find: &'static str,
    pub desk_scan: &'static str,
    pub desk_pending: &'static str,
    pub desk_pending_one: &'static str,
    pub desk_sent: &'static str,
    pub desk_matches: &'static str,
    pub desk_first_use: &'static str,
    pub desk_use: &'static str,
    pub desk_undo: &'static str,
    pub desk_reason: &'static str,
    pub desk_used: &'static str,
    pub desk_undone: &'static str,
    pub desk_unknown: &'static str,
    pub booth_receiver: &'static str,
    pub booth_deliver: &'static str,
    pub booth_delivered: &'static str,
    pub booth_bad_token: &'static str,
    pub booth_need_token: &'static str,
    pub import_intro: &'static str,
    pub import_check: &'static str,
    pub import_run: &'static str,
    pub import_checked: &'static str,
    pub import_problems: &'static str,
    pub import_more: &'static str,
    pub import_too_large: &'static str,
    pub import_expired: &'static str,
    pub import_done: &'static str,
    pub card_no_map: &'static str,
    // ---- settings: drop folder ----
    pub sec_drop: &'static str,
    pub drop_intro: &'static str,
    pub drop_folder: &'static str,
    pub drop_last_scan: &'static str,
    pub drop_next_scan: &'static str,
    pub drop_never: &'static str,
    pub drop_no_schedule: &'static str,
    pub drop_scan_now: &'static str,
    pub drop_recent: &'static str,
    pub drop_no_runs: &'static str,
    pub drop_run_counts: &'static str,
    pub drop_status_imported: &'static str,
    pub drop_status_duplicate: &'static str,
    pub drop_status_error: &'static str,
    pub flash_drop_scanned: &'static str,
    // ---- core messages ----
    /// Translations of the core's English messages (`(English, here)`).
    pub core: &'static [(&'static str, &'static str)],
}

impl Strings {
    /// A sport's name (`other` for anything unknown).
    pub(crate) fn sport_name(&self, sport: &str) -> &'static str {
        match sport {
            "cycling" => self.sport_cycling,
            "running" => self.sport_running,
            "hiking" => self.sport_hiking,
            "walking" => self.sport_walking,
            "swimming" => self.sport_swimming,
            "skiing" => self.sport_skiing,
            _ => self.sport_other,
        }
    }

    /// A privacy level's name.
    pub(crate) fn privacy_name(&self, p: &str) -> &'static str {
        match p {
            "blur_start" => self.privacy_blur_start,
            "no_gps" => self.privacy_no_gps,
            "unlisted" => self.privacy_unlisted,
            "private" => self.privacy_private,
            _ => self.privacy_public,
        }
    }

    /// A hideable stat's name (`bincio_core::activities::view::HIDEABLE`).
    pub(crate) fn hideable_name(&self, stat: &str) -> &'static str {
        match stat {
            "elevation" => self.hide_elevation,
            "speed" => self.hide_speed,
            "heart_rate" => self.hide_heart_rate,
            "cadence" => self.hide_cadence,
            _ => self.hide_power,
        }
    }

    /// A core message in this language (as written when not translated).
    pub(crate) fn core_msg<'a>(&self, english: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.core
            .iter()
            .find(|(en, _)| *en == english)
            .map_or(english, |(_, tr)| tr)
    }

    /// A wait in whole minutes (rounded up) or seconds under a minute.
    pub(crate) fn wait(&self, secs: u64) -> String {
        match secs {
            0..=59 => fill(self.seconds, &[&secs.max(1)]),
            60 => self.one_minute.to_owned(),
            s => fill(self.minutes, &[&s.div_ceil(60)]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation() {
        assert_eq!(Lang::negotiate(None), Lang::En);
        assert_eq!(Lang::negotiate(Some("it-IT,it;q=0.9,en;q=0.8")), Lang::It);
        assert_eq!(Lang::negotiate(Some("en-GB,it;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("de,it;q=0.5")), Lang::It);
        assert_eq!(Lang::negotiate(Some("it;q=0,en")), Lang::En);
        assert_eq!(Lang::negotiate(Some(";;,q=x,,")), Lang::En);
        assert_eq!(Lang::negotiate(Some("IT")), Lang::It);
    }

    #[test]
    fn filling() {
        assert_eq!(fill("a {} b {}", &[&1, &"x"]), "a 1 b x");
        assert_eq!(fill("{} {}", &[&1]), "1 {}");
        assert_eq!(fill("none", &[&1]), "none");
    }

    #[test]
    fn waits() {
        assert_eq!(EN.wait(0), "1 s");
        assert_eq!(EN.wait(59), "59 s");
        assert_eq!(EN.wait(60), "1 minute");
        assert_eq!(EN.wait(61), "2 minutes");
        assert_eq!(EN.wait(900), "15 minutes");
    }

    #[test]
    fn every_language_differs_from_english_where_translated() {
        assert_ne!(IT.login_title, EN.login_title);
        assert_ne!(IT.register_submit, EN.register_submit);
        assert_eq!(IT.core_msg("Invalid credentials"), "Credenziali non valide");
        assert_eq!(EN.core_msg("Invalid credentials"), "Invalid credentials");
        assert_eq!(IT.core_msg("something new"), "something new");
    }
}
