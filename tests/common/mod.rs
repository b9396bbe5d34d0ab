//! Helpers shared by the integration tests (`mod common;` in each file).
#![allow(dead_code)]

pub mod mongo;
