//! The routes, one module per area.

pub mod auth;
pub mod catalogue;
pub mod cases;
pub mod meta;
pub mod org;
pub mod oversight;
pub mod track;
