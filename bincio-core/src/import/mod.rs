//! Moving other installations in.

pub mod bincio_dir;
pub mod sidecar;
