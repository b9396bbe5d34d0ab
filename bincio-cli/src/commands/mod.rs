//! One module per `bincio` subcommand.
pub mod extract;
