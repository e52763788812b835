//! Helpers shared by the integration tests.
// Each test binary compiles this module and uses a different part of it.
#![allow(dead_code)]

pub mod cli;
pub mod edit;
pub mod experiment;
pub mod fixture;
pub mod svg;
