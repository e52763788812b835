//! Helpers shared by the integration tests.

pub mod safetensors_fixture;
