//! Places (地点): Chinese free-text addresses to divisions, coordinates to districts and grids.
//!
//! Three parts, each usable alone:
//! - [`gazetteer`]: the division tree (区划树) with generated and added aliases; [`Gazetteer::resolve`]
//!   finds district (区) / street (街道) / community (社区) in an address or a citizen's sentence,
//!   fills in ancestors, reports ambiguity instead of guessing, and explains itself in Chinese.
//! - [`coord`]: WGS-84 ⇄ GCJ-02 (火星坐标) conversion; phones in China report GCJ-02.
//! - [`geo`]: GeoJSON polygons (district boundaries, administrator-uploaded grids 网格) and
//!   point-in-polygon lookup in either datum. The district boundaries of 海口市 ship with the crate.
//!
//! No I/O and no global state: callers pass text in and get values out.

pub mod coord;
mod error;
pub mod gazetteer;
pub mod geo;

pub use coord::{CoordSystem, distance_m, gcj02_to_wgs84, out_of_china, wgs84_to_gcj02};
pub use error::PlaceError;
pub use gazetteer::{Ambiguity, BUILTIN_ALIASES, Division, DivisionKind, DivisionRef, Evidence, Gazetteer, PlaceMatch};
pub use geo::{HAIKOU_DISTRICTS_DATUM, HAIKOU_DISTRICTS_GEOJSON, MAX_VERTICES, PolygonIndex, Region};
