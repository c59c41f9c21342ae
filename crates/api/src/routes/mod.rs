//! The routes, one module per area.

pub mod attachments;
pub mod auth;
pub mod cases;
pub mod catalogue;
pub mod channels;
pub mod classifier;
pub mod meta;
pub mod open311;
pub mod org;
pub mod oversight;
pub mod places;
pub mod registry;
pub mod track;
pub mod wechat;
