//! Domain types shared by services, stores and adapters.

mod user;

pub use user::{Invite, Member, NewUser, ResetCode, Role, Session, User};
