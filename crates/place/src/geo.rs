//! Polygons (区域边界): which district or grid (网格) a coordinate falls in.
//!
//! A [`PolygonIndex`] is built from a GeoJSON FeatureCollection of Polygon / MultiPolygon features
//! (holes allowed): the shipped district boundaries of 海口市, or the grid polygons an administrator
//! uploads. Uploads are validated and refused with a [`PlaceError`] that names the problem.
//!
//! **Boundary rule.** Regions are closed sets: a point exactly on an edge or vertex of a polygon —
//! including the edge of a hole — is inside that polygon. Where regions share an edge, or overlap,
//! the first region in file order wins, so the answer is deterministic and does not depend on
//! floating-point luck in the crossing test.
//!
//! **Datum.** An index records the datum of its coordinates ([`PolygonIndex::datum`]). GeoJSON by
//! RFC 7946 is WGS-84, which is the default; most boundary data published in China (DataV/Aliyun,
//! AMap, ECharts maps) is GCJ-02, declared with [`PolygonIndex::with_datum`]. [`PolygonIndex::locate_any`]
//! converts a point into the index's datum before testing it.

use crate::PlaceError;
use crate::coord::CoordSystem;
use serde_json::Value;
use std::collections::HashMap;

/// The district boundaries of 海口市 (秀英区, 龙华区, 琼山区, 美兰区), in GCJ-02; see `data/README.md`.
pub const HAIKOU_DISTRICTS_GEOJSON: &str = include_str!("../data/haikou_districts.geojson");

/// The datum of [`HAIKOU_DISTRICTS_GEOJSON`]. Its boundary vertices match the GCJ-02 DataV boundaries
/// of the same districts to a median 47 m (the file's coordinates are quantised to 1/1024°, ≈ 100 m),
/// against 274 m when read as WGS-84, and its centre points are AMap's (GCJ-02) district centres.
pub const HAIKOU_DISTRICTS_DATUM: CoordSystem = CoordSystem::Gcj02;

/// The most vertices (positions, over all rings of all features) an index accepts. Ray casting is
/// linear in the vertices of the candidate regions, and a city's grids fit comfortably below this.
pub const MAX_VERTICES: usize = 200_000;

/// A region an index can return: a district, a grid, any polygon with a code.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    /// A representative point `(lon, lat)` for labels and maps (the feature's `cp` / `center` /
    /// `centre` property or a Point feature with the same code), in the index's datum.
    pub centre: Option<(f64, f64)>,
}

#[derive(Debug, Clone, Copy)]
struct BBox {
    min_lon: f64,
    min_lat: f64,
    max_lon: f64,
    max_lat: f64,
}

impl BBox {
    const EMPTY: BBox = BBox { min_lon: f64::INFINITY, min_lat: f64::INFINITY, max_lon: f64::NEG_INFINITY, max_lat: f64::NEG_INFINITY };

    fn extend(&mut self, p: [f64; 2]) {
        self.min_lon = self.min_lon.min(p[0]);
        self.max_lon = self.max_lon.max(p[0]);
        self.min_lat = self.min_lat.min(p[1]);
        self.max_lat = self.max_lat.max(p[1]);
    }

    fn union(&mut self, other: &BBox) {
        self.min_lon = self.min_lon.min(other.min_lon);
        self.max_lon = self.max_lon.max(other.max_lon);
        self.min_lat = self.min_lat.min(other.min_lat);
        self.max_lat = self.max_lat.max(other.max_lat);
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        lon >= self.min_lon && lon <= self.max_lon && lat >= self.min_lat && lat <= self.max_lat
    }
}

/// One polygon: the first ring is the outer boundary, the rest are holes. Rings are stored closed
/// (last position equals the first) so the edge loop needs no wrap-around.
#[derive(Debug, Clone)]
struct Polygon {
    rings: Vec<Vec<[f64; 2]>>,
    bbox: BBox,
}

impl Polygon {
    /// Closed-set even-odd test: counting crossings over all rings at once makes a hole's interior
    /// "outside" without treating holes specially.
    fn contains(&self, lon: f64, lat: f64) -> bool {
        if !self.bbox.contains(lon, lat) {
            return false;
        }
        let mut inside = false;
        for ring in &self.rings {
            for edge in ring.windows(2) {
                let ([ax, ay], [bx, by]) = (edge[0], edge[1]);
                if on_segment(lon, lat, ax, ay, bx, by) {
                    return true;
                }
                // Half-open in latitude ((ay > lat) != (by > lat)) so a ray through a vertex is
                // counted once, not twice.
                if (ay > lat) != (by > lat) {
                    let x_cross = ax + (lat - ay) * (bx - ax) / (by - ay);
                    if lon < x_cross {
                        inside = !inside;
                    }
                }
            }
        }
        inside
    }
}

fn on_segment(px: f64, py: f64, ax: f64, ay: f64, bx: f64, by: f64) -> bool {
    if px < ax.min(bx) || px > ax.max(bx) || py < ay.min(by) || py > ay.max(by) {
        return false;
    }
    (bx - ax) * (py - ay) - (by - ay) * (px - ax) == 0.0
}

#[derive(Debug, Clone)]
struct Shape {
    polygons: Vec<Polygon>,
    bbox: BBox,
}

impl Shape {
    fn contains(&self, lon: f64, lat: f64) -> bool {
        self.bbox.contains(lon, lat) && self.polygons.iter().any(|p| p.contains(lon, lat))
    }
}

/// Polygons with codes, for point-in-polygon lookups (落点查询).
#[derive(Debug, Clone)]
pub struct PolygonIndex {
    regions: Vec<Region>,
    shapes: Vec<Shape>,
    datum: CoordSystem,
    vertices: usize,
}

impl PolygonIndex {
    /// Parses a GeoJSON FeatureCollection (or a single Feature). Each Polygon / MultiPolygon feature
    /// becomes a region whose code is `properties[code_property]` (a string or an integer; when the
    /// property is absent and `code_property` is `"id"`, the feature's own `id` member is used, which
    /// is where ECharts-style files keep the adcode) and whose name is `properties[name_property]`
    /// (the code when absent). Features without geometry, with other geometry types, or Point
    /// features are skipped; a Point whose code matches a region supplies that region's centre.
    ///
    /// The coordinates are taken as WGS-84; call [`with_datum`](Self::with_datum) for GCJ-02 data.
    pub fn from_geojson(text: &str, code_property: &str, name_property: &str) -> Result<Self, PlaceError> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| PlaceError::bad_geojson(format!("不是有效的 JSON（{e}）"), format!("not valid JSON ({e})")))?;
        let features: Vec<&Value> = match root.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => match root.get("features").and_then(Value::as_array) {
                Some(list) => list.iter().collect(),
                None => {
                    return Err(PlaceError::bad_geojson(
                        "FeatureCollection 缺少 features 数组",
                        "a FeatureCollection without a features array",
                    ));
                }
            },
            Some("Feature") => vec![&root],
            other => {
                let got = other.unwrap_or("（无）");
                return Err(PlaceError::bad_geojson(
                    format!("顶层 type 应为 FeatureCollection，实际为 {got}"),
                    format!("the top-level type must be FeatureCollection, got {got}"),
                ));
            }
        };

        let mut index = PolygonIndex { regions: Vec::new(), shapes: Vec::new(), datum: CoordSystem::Wgs84, vertices: 0 };
        let mut by_code: HashMap<String, usize> = HashMap::new();
        let mut points: Vec<(String, [f64; 2])> = Vec::new();
        for (i, feature) in features.iter().enumerate() {
            if feature.get("type").and_then(Value::as_str) != Some("Feature") {
                return Err(PlaceError::bad_geojson(
                    format!("第 {} 个元素不是 Feature", i + 1),
                    format!("element {} is not a Feature", i + 1),
                ));
            }
            let Some(geometry) = feature.get("geometry").filter(|g| !g.is_null()) else { continue };
            let kind = geometry.get("type").and_then(Value::as_str).unwrap_or("");
            let coords = geometry.get("coordinates");
            let polygons = match (kind, coords) {
                ("Polygon", Some(c)) => vec![parse_polygon(c, i, &mut index.vertices)?],
                ("MultiPolygon", Some(Value::Array(list))) => {
                    list.iter().map(|c| parse_polygon(c, i, &mut index.vertices)).collect::<Result<Vec<_>, _>>()?
                }
                ("Point", Some(c)) => {
                    if let Some(code) = feature_code(feature, code_property) {
                        points.push((code, parse_position(c, i)?));
                    }
                    continue;
                }
                ("Polygon" | "MultiPolygon", _) => {
                    return Err(bad_shape(i, "coordinates 缺失或不是数组", "coordinates missing or not an array"));
                }
                _ => continue,
            };
            if polygons.is_empty() {
                return Err(bad_shape(i, "MultiPolygon 为空", "an empty MultiPolygon"));
            }
            let code = feature_code(feature, code_property)
                .ok_or_else(|| PlaceError::MissingCode { feature: i, property: code_property.to_string() })?;
            if by_code.contains_key(&code) {
                return Err(PlaceError::DuplicateCode { code });
            }
            let name = property_string(feature, name_property).unwrap_or_else(|| code.clone());
            let centre = ["cp", "center", "centre"]
                .iter()
                .find_map(|key| feature.get("properties").and_then(|p| p.get(*key)))
                .and_then(|c| parse_position(c, i).ok())
                .map(|[lon, lat]| (lon, lat));
            let mut bbox = BBox::EMPTY;
            for p in &polygons {
                bbox.union(&p.bbox);
            }
            by_code.insert(code.clone(), index.regions.len());
            index.regions.push(Region { code, name, centre });
            index.shapes.push(Shape { polygons, bbox });
        }
        if index.regions.is_empty() {
            return Err(PlaceError::NoPolygons);
        }
        for (code, [lon, lat]) in points {
            if let Some(&r) = by_code.get(&code) {
                index.regions[r].centre = Some((lon, lat));
            }
        }
        Ok(index)
    }

    /// Declares the datum the file's coordinates are in.
    pub fn with_datum(mut self, datum: CoordSystem) -> Self {
        self.datum = datum;
        self
    }

    /// The shipped district boundaries of 海口市, codes from the features' `id` (GB/T 2260 adcodes).
    pub fn haikou_districts() -> Result<Self, PlaceError> {
        Ok(PolygonIndex::from_geojson(HAIKOU_DISTRICTS_GEOJSON, "id", "name")?.with_datum(HAIKOU_DISTRICTS_DATUM))
    }

    pub fn datum(&self) -> CoordSystem {
        self.datum
    }

    /// The regions in file order (the order that decides shared boundaries).
    pub fn regions(&self) -> &[Region] {
        &self.regions
    }

    pub fn region(&self, code: &str) -> Option<&Region> {
        self.regions.iter().find(|r| r.code == code)
    }

    /// The number of positions stored, counted as in the upload (closing positions included).
    pub fn vertex_count(&self) -> usize {
        self.vertices
    }

    /// The region containing `(lon, lat)`, given in the index's own datum.
    pub fn locate(&self, lon: f64, lat: f64) -> Option<&Region> {
        if !lon.is_finite() || !lat.is_finite() {
            return None;
        }
        self.shapes.iter().position(|s| s.contains(lon, lat)).map(|i| &self.regions[i])
    }

    /// The region containing `(lon, lat)` given in `system`, converted to the index's datum first.
    pub fn locate_any(&self, lon: f64, lat: f64, system: CoordSystem) -> Option<&Region> {
        let (x, y) = system.convert(lon, lat, self.datum);
        self.locate(x, y)
    }
}

fn bad_shape(feature: usize, zh: &str, en: &str) -> PlaceError {
    PlaceError::bad_geojson(format!("第 {} 个要素：{zh}", feature + 1), format!("feature {}: {en}", feature + 1))
}

fn feature_code(feature: &Value, code_property: &str) -> Option<String> {
    property_string(feature, code_property).or_else(|| if code_property == "id" { scalar_string(feature.get("id")?) } else { None })
}

fn property_string(feature: &Value, key: &str) -> Option<String> {
    scalar_string(feature.get("properties")?.get(key)?)
}

/// Codes arrive as strings or as integers (DataV writes `"adcode": 460106`); both mean the same.
fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

fn parse_position(v: &Value, feature: usize) -> Result<[f64; 2], PlaceError> {
    let pair = v.as_array().filter(|a| a.len() >= 2).and_then(|a| Some([a[0].as_f64()?, a[1].as_f64()?]));
    let [lon, lat] =
        pair.ok_or_else(|| bad_shape(feature, "坐标应为 [经度, 纬度] 数字数组", "a position must be an array [lon, lat] of numbers"))?;
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        return Err(PlaceError::CoordinateOutOfRange { feature, lon, lat });
    }
    Ok([lon, lat])
}

fn parse_polygon(v: &Value, feature: usize, vertices: &mut usize) -> Result<Polygon, PlaceError> {
    let rings_json = v.as_array().ok_or_else(|| bad_shape(feature, "Polygon 应为环的数组", "a Polygon must be an array of rings"))?;
    if rings_json.is_empty() {
        return Err(bad_shape(feature, "Polygon 没有环", "a Polygon without rings"));
    }
    let mut rings = Vec::with_capacity(rings_json.len());
    let mut bbox = BBox::EMPTY;
    for (r, ring_json) in rings_json.iter().enumerate() {
        let positions = ring_json.as_array().ok_or_else(|| bad_shape(feature, "环应为坐标数组", "a ring must be an array of positions"))?;
        *vertices += positions.len();
        // Checked before parsing the ring so a hostile upload is refused without building it.
        if *vertices > MAX_VERTICES {
            return Err(PlaceError::TooManyVertices { count: *vertices, limit: MAX_VERTICES });
        }
        let mut ring = positions.iter().map(|p| parse_position(p, feature)).collect::<Result<Vec<_>, _>>()?;
        // RFC 7946 wants rings closed; closing an open one is harmless and spares an admin a retry.
        if ring.first() != ring.last()
            && let Some(&first) = ring.first()
        {
            ring.push(first);
        }
        if ring.len() < 4 {
            return Err(bad_shape(
                feature,
                &format!("第 {} 个环少于 3 个不同的顶点", r + 1),
                &format!("ring {} has fewer than 3 distinct corners", r + 1),
            ));
        }
        if r == 0 {
            for &p in &ring {
                bbox.extend(p);
            }
        }
        rings.push(ring);
    }
    Ok(Polygon { rings, bbox })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coord::{gcj02_to_wgs84, wgs84_to_gcj02};

    fn districts() -> PolygonIndex {
        PolygonIndex::haikou_districts().unwrap()
    }

    fn code_at(index: &PolygonIndex, lon: f64, lat: f64) -> Option<&str> {
        index.locate(lon, lat).map(|r| r.code.as_str())
    }

    /// A 1°×1° square ring with its lower-left corner at (x, y), counter-clockwise.
    fn square(x: f64, y: f64, size: f64) -> String {
        format!("[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]", x + size, x + size, y + size, y + size)
    }

    fn collection(features: &[String]) -> String {
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, features.join(","))
    }

    fn polygon_feature(code: &str, rings: &[String]) -> String {
        format!(
            r#"{{"type":"Feature","properties":{{"code":"{code}","name":"网格{code}"}},"geometry":{{"type":"Polygon","coordinates":[{}]}}}}"#,
            rings.join(",")
        )
    }

    #[test]
    fn haikou_file_is_read_with_codes_names_and_centres() {
        let index = districts();
        assert_eq!(index.datum(), CoordSystem::Gcj02);
        let codes: Vec<&str> = index.regions().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["460108", "460107", "460105", "460106"]);
        assert_eq!(index.region("460106").map(|r| r.name.as_str()), Some("龙华区"));
        assert!(index.regions().iter().all(|r| r.centre.is_some()));
        assert!(index.vertex_count() > 2000);
    }

    #[test]
    fn each_district_centre_locates_to_its_district() {
        let index = districts();
        for region in index.regions() {
            let (lon, lat) = region.centre.unwrap();
            assert_eq!(code_at(&index, lon, lat), Some(region.code.as_str()), "{}", region.name);
            // The same point reported by a phone in GCJ-02 lands the same way.
            assert_eq!(index.locate_any(lon, lat, CoordSystem::Gcj02).map(|r| r.code.as_str()), Some(region.code.as_str()));
        }
    }

    #[test]
    fn sea_and_faraway_points_are_nowhere() {
        let index = districts();
        assert_eq!(code_at(&index, 110.35, 20.16), None, "琼州海峡");
        assert_eq!(code_at(&index, 116.40, 39.90), None, "北京");
        assert_eq!(code_at(&index, 109.51, 18.25), None, "三亚");
        assert_eq!(code_at(&index, f64::NAN, 20.0), None);
        assert_eq!(index.locate_any(2.35, 48.85, CoordSystem::Wgs84), None, "Paris");
    }

    #[test]
    fn gcj02_input_near_a_boundary_lands_right() {
        let index = districts();
        // 秀英区's centre lies ≈ 300 m west of its border with 龙华区. Reported in GCJ-02 (the file's
        // datum) it is in 秀英区; the same numbers taken as WGS-84 move ≈ 450 m east under GCJ-02,
        // across the border — which is exactly the mistake a datum mix-up would make.
        let (lon, lat) = index.region("460105").unwrap().centre.unwrap();
        assert_eq!(index.locate_any(lon, lat, CoordSystem::Gcj02).map(|r| r.code.as_str()), Some("460105"));
        assert_eq!(index.locate_any(lon, lat, CoordSystem::Wgs84).map(|r| r.code.as_str()), Some("460106"));
        // And the true WGS-84 reading of that point is found in 秀英区 too.
        let (wlon, wlat) = gcj02_to_wgs84(lon, lat);
        assert_eq!(index.locate_any(wlon, wlat, CoordSystem::Wgs84).map(|r| r.code.as_str()), Some("460105"));
    }

    #[test]
    fn a_wgs84_index_converts_gcj02_input() {
        let grid = collection(&[polygon_feature("A", &[square(110.0, 20.0, 0.001)])]);
        let index = PolygonIndex::from_geojson(&grid, "code", "name").unwrap();
        assert_eq!(index.datum(), CoordSystem::Wgs84);
        let (glon, glat) = wgs84_to_gcj02(110.0005, 20.0005);
        assert_eq!(index.locate_any(glon, glat, CoordSystem::Gcj02).map(|r| r.code.as_str()), Some("A"));
        assert_eq!(index.locate_any(glon, glat, CoordSystem::Wgs84), None, "400 m off, outside a 100 m grid");
    }

    #[test]
    fn holes_are_outside_and_a_filling_region_takes_them() {
        let donut = polygon_feature("DONUT", &[square(0.0, 0.0, 10.0), square(4.0, 4.0, 2.0)]);
        let core = polygon_feature("CORE", &[square(4.0, 4.0, 2.0)]);
        let alone = PolygonIndex::from_geojson(&collection(std::slice::from_ref(&donut)), "code", "name").unwrap();
        assert_eq!(code_at(&alone, 5.0, 5.0), None);
        assert_eq!(code_at(&alone, 1.0, 1.0), Some("DONUT"));
        // The hole's edge belongs to the donut (closed sets).
        assert_eq!(code_at(&alone, 4.0, 5.0), Some("DONUT"));
        let both = PolygonIndex::from_geojson(&collection(&[donut, core]), "code", "name").unwrap();
        assert_eq!(code_at(&both, 5.0, 5.0), Some("CORE"));
        assert_eq!(code_at(&both, 9.0, 9.0), Some("DONUT"));
    }

    #[test]
    fn multipolygon_parts_all_belong_to_the_region() {
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"adcode":460199,"name":"两块"}},
               "geometry":{{"type":"MultiPolygon","coordinates":[[{}],[{}]]}}}}]}}"#,
            square(0.0, 0.0, 1.0),
            square(5.0, 5.0, 1.0)
        );
        let index = PolygonIndex::from_geojson(&text, "adcode", "name").unwrap();
        assert_eq!(code_at(&index, 0.5, 0.5), Some("460199"), "an integer code becomes a string");
        assert_eq!(code_at(&index, 5.5, 5.5), Some("460199"));
        assert_eq!(code_at(&index, 3.0, 3.0), None, "between the parts");
        assert_eq!(index.regions()[0].name, "两块");
    }

    #[test]
    fn shared_edges_go_to_the_first_region_in_file_order() {
        let left = polygon_feature("L", &[square(0.0, 0.0, 1.0)]);
        let right = polygon_feature("R", &[square(1.0, 0.0, 1.0)]);
        let lr = PolygonIndex::from_geojson(&collection(&[left.clone(), right.clone()]), "code", "name").unwrap();
        let rl = PolygonIndex::from_geojson(&collection(&[right, left]), "code", "name").unwrap();
        for (lon, lat) in [(1.0, 0.5), (1.0, 0.0), (1.0, 1.0)] {
            assert_eq!(code_at(&lr, lon, lat), Some("L"));
            assert_eq!(code_at(&rl, lon, lat), Some("R"));
        }
        // Outer corners and outer edges are inside too.
        assert_eq!(code_at(&lr, 0.0, 0.0), Some("L"));
        assert_eq!(code_at(&lr, 2.0, 0.5), Some("R"));
        assert_eq!(code_at(&lr, 2.000_001, 0.5), None);
    }

    #[test]
    fn point_features_give_centres_and_other_geometries_are_skipped() {
        let text = collection(&[
            polygon_feature("A", &[square(0.0, 0.0, 1.0)]),
            r#"{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Point","coordinates":[0.25,0.75]}}"#.to_string(),
            r#"{"type":"Feature","properties":{"code":"L"},"geometry":{"type":"LineString","coordinates":[[0,0],[1,1]]}}"#.to_string(),
            r#"{"type":"Feature","properties":{},"geometry":null}"#.to_string(),
        ]);
        let index = PolygonIndex::from_geojson(&text, "code", "name").unwrap();
        assert_eq!(index.regions().len(), 1);
        assert_eq!(index.regions()[0].centre, Some((0.25, 0.75)));
        assert_eq!(index.regions()[0].name, "网格A");
    }

    #[test]
    fn open_rings_are_closed() {
        let text = collection(&[polygon_feature("A", &["[[0,0],[1,0],[1,1],[0,1]]".to_string()])]);
        let index = PolygonIndex::from_geojson(&text, "code", "name").unwrap();
        assert_eq!(code_at(&index, 0.5, 0.5), Some("A"));
        assert_eq!(code_at(&index, 0.0, 0.5), Some("A"), "the implicit closing edge counts");
    }

    fn upload_error(text: &str) -> &'static str {
        match PolygonIndex::from_geojson(text, "code", "name") {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn bad_uploads_get_clear_codes() {
        assert_eq!(upload_error("{not json"), "bad_geojson");
        assert_eq!(upload_error(r#"{"type":"Polygon","coordinates":[]}"#), "bad_geojson");
        assert_eq!(upload_error(r#"{"type":"FeatureCollection"}"#), "bad_geojson");
        assert_eq!(upload_error(r#"{"type":"FeatureCollection","features":[]}"#), "no_polygons");
        assert_eq!(
            upload_error(
                r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"P"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#
            ),
            "no_polygons"
        );
        let no_code = format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"name":"无编码"}},"geometry":{{"type":"Polygon","coordinates":[{}]}}}}]}}"#,
            square(0.0, 0.0, 1.0)
        );
        assert_eq!(upload_error(&no_code), "missing_code");
        let swapped = collection(&[polygon_feature("A", &["[[20.0,110.0],[20.1,110.0],[20.1,110.1],[20.0,110.0]]".to_string()])]);
        assert_eq!(upload_error(&swapped), "coordinate_out_of_range");
        let err = PolygonIndex::from_geojson(&swapped, "code", "name").unwrap_err();
        assert!(err.message_zh().contains("写反"), "{err}");
        let twice = collection(&[polygon_feature("A", &[square(0.0, 0.0, 1.0)]), polygon_feature("A", &[square(2.0, 0.0, 1.0)])]);
        assert_eq!(upload_error(&twice), "duplicate_code");
        let degenerate = collection(&[polygon_feature("A", &["[[0,0],[1,1],[0,0]]".to_string()])]);
        assert_eq!(upload_error(&degenerate), "bad_geojson");
        let not_numbers = collection(&[polygon_feature("A", &[r#"[["a","b"],[1,0],[1,1],[0,0]]"#.to_string()])]);
        assert_eq!(upload_error(&not_numbers), "bad_geojson");
        let missing_coords =
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"A"},"geometry":{"type":"Polygon"}}]}"#;
        assert_eq!(upload_error(missing_coords), "bad_geojson");
    }

    #[test]
    fn too_many_vertices_is_refused() {
        let n = MAX_VERTICES + 10;
        let mut ring = String::with_capacity(n * 24);
        ring.push('[');
        for k in 0..n {
            let angle = k as f64 / n as f64 * std::f64::consts::TAU;
            ring.push_str(&format!("[{:.9},{:.9}],", 110.0 + angle.cos() * 0.01, 20.0 + angle.sin() * 0.01));
        }
        ring.push_str("[110.01,20.0]]");
        let text = collection(&[polygon_feature("BIG", &[ring])]);
        let err = PolygonIndex::from_geojson(&text, "code", "name").unwrap_err();
        assert_eq!(err.code(), "too_many_vertices");
        assert!(err.message_en().contains("200000"), "{err}");
    }

    /// A tiny xorshift generator: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next_f64(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn random_points_agree_with_arithmetic_on_a_uploaded_grid() {
        // A 12×9 grid of 0.01° cells, uploaded as GeoJSON: the cell of any point is known by floor().
        let (cols, rows, size, x0, y0) = (12, 9, 0.01, 110.30, 20.00);
        let mut features = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let x = x0 + f64::from(c) * size;
                let y = y0 + f64::from(r) * size;
                features.push(polygon_feature(&format!("{r}-{c}"), &[square(x, y, size)]));
            }
        }
        let index = PolygonIndex::from_geojson(&collection(&features), "code", "name").unwrap();
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut checked = 0;
        for _ in 0..20_000 {
            let lon = x0 - 0.02 + rng.next_f64() * (f64::from(cols) * size + 0.04);
            let lat = y0 - 0.02 + rng.next_f64() * (f64::from(rows) * size + 0.04);
            let (fc, fr) = ((lon - x0) / size, (lat - y0) / size);
            // Skip points within 1e-9 of a grid line, where the decimal corner values decide.
            if (fc - fc.round()).abs() < 1e-7 || (fr - fr.round()).abs() < 1e-7 {
                continue;
            }
            let expected = (fc >= 0.0 && fr >= 0.0 && fc < f64::from(cols) && fr < f64::from(rows))
                .then(|| format!("{}-{}", fr.floor() as i64, fc.floor() as i64));
            assert_eq!(index.locate(lon, lat).map(|r| r.code.clone()), expected, "({lon}, {lat})");
            checked += 1;
        }
        assert!(checked > 19_000);
    }

    #[test]
    fn random_points_in_haikou_fall_in_at_most_one_district_and_prefilter_is_exact() {
        let index = districts();
        let mut rng = Rng(42);
        let mut found = [0usize; 4];
        for _ in 0..5_000 {
            let lon = 110.05 + rng.next_f64() * 0.75;
            let lat = 19.45 + rng.next_f64() * 0.75;
            let containing: Vec<usize> =
                (0..index.shapes.len()).filter(|&i| index.shapes[i].polygons.iter().any(|p| brute_force_contains(p, lon, lat))).collect();
            assert!(containing.len() <= 1, "({lon}, {lat}) in {containing:?}");
            let got = index.locate(lon, lat).map(|r| r.code.as_str());
            assert_eq!(got, containing.first().map(|&i| index.regions[i].code.as_str()), "({lon}, {lat})");
            if let Some(&i) = containing.first() {
                found[i] += 1;
            }
        }
        assert!(found.iter().all(|&n| n > 50), "every district is hit: {found:?}");
    }

    /// The crossing test without the bounding boxes, to check that the pre-filter never loses a point.
    fn brute_force_contains(p: &Polygon, lon: f64, lat: f64) -> bool {
        let mut inside = false;
        for ring in &p.rings {
            for e in ring.windows(2) {
                if (e[0][1] > lat) != (e[1][1] > lat) && lon < e[0][0] + (lat - e[0][1]) * (e[1][0] - e[0][0]) / (e[1][1] - e[0][1]) {
                    inside = !inside;
                }
            }
        }
        inside
    }
}
