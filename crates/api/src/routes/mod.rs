//! The routes, one module per area.

pub mod auth;
pub mod cases;
pub mod catalogue;
pub mod classifier;
pub mod meta;
pub mod org;
pub mod oversight;
pub mod places;
pub mod registry;
pub mod track;
