//! Activities that arrive by themselves: syncing from outside sources
//! ([`strava`]) and the sealing of the secrets they need ([`seal`]).

pub mod seal;
pub mod strava;
