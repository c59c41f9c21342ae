//! Errors of the place crate. Every value carries a stable machine code (`code()`) for the API and
//! a message in Chinese and in English, because the usual reader is an administrator who has just
//! uploaded a grid file or a division table and needs to know which feature or line is wrong.

/// A place error (地点错误).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{} / {}", self.message_zh(), self.message_en())]
pub enum PlaceError {
    /// The text is not JSON, or not GeoJSON of the expected shape.
    BadGeoJson { zh: String, en: String },
    /// The GeoJSON holds no Polygon or MultiPolygon feature at all.
    NoPolygons,
    /// A polygon feature lacks the property that names its code.
    MissingCode { feature: usize, property: String },
    /// Two polygon features carry the same code.
    DuplicateCode { code: String },
    /// The upload has more vertices than an index accepts.
    TooManyVertices { count: usize, limit: usize },
    /// A position lies outside longitude -180..180 / latitude -90..90.
    CoordinateOutOfRange { feature: usize, lon: f64, lat: f64 },
    /// The division table is malformed (bad CSV, unknown kind, unknown parent, duplicate code...).
    BadDivisions { zh: String, en: String },
    /// A division code that the gazetteer does not hold.
    UnknownDivision { code: String },
    /// An alias that cannot be matched (empty or only whitespace).
    BadAlias { alias: String },
    /// A coordinate-system name other than wgs84 / gcj02.
    UnknownCoordSystem { value: String },
}

impl PlaceError {
    /// The stable code, e.g. `"bad_geojson"`; clients switch on this, never on the message.
    pub fn code(&self) -> &'static str {
        match self {
            PlaceError::BadGeoJson { .. } => "bad_geojson",
            PlaceError::NoPolygons => "no_polygons",
            PlaceError::MissingCode { .. } => "missing_code",
            PlaceError::DuplicateCode { .. } => "duplicate_code",
            PlaceError::TooManyVertices { .. } => "too_many_vertices",
            PlaceError::CoordinateOutOfRange { .. } => "coordinate_out_of_range",
            PlaceError::BadDivisions { .. } => "bad_divisions",
            PlaceError::UnknownDivision { .. } => "unknown_division",
            PlaceError::BadAlias { .. } => "bad_alias",
            PlaceError::UnknownCoordSystem { .. } => "unknown_coord_system",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            PlaceError::BadGeoJson { zh, .. } => format!("GeoJSON 格式错误：{zh}"),
            PlaceError::NoPolygons => "GeoJSON 中没有面（Polygon / MultiPolygon）要素".to_string(),
            PlaceError::MissingCode { feature, property } => {
                format!("第 {} 个要素缺少编码属性“{property}”（须为字符串或整数）", feature + 1)
            }
            PlaceError::DuplicateCode { code } => format!("编码“{code}”出现在多个面要素上；同一区域的多块请用 MultiPolygon"),
            PlaceError::TooManyVertices { count, limit } => format!("顶点过多：至少 {count} 个，上限 {limit} 个，请先简化边界"),
            PlaceError::CoordinateOutOfRange { feature, lon, lat } => {
                let hint = if swapped(*lon, *lat) { "，是否把经度和纬度写反了？" } else { "" };
                format!("第 {} 个要素的坐标 [{lon}, {lat}] 超出经度 -180~180、纬度 -90~90 的范围{hint}", feature + 1)
            }
            PlaceError::BadDivisions { zh, .. } => format!("区划数据错误：{zh}"),
            PlaceError::UnknownDivision { code } => format!("没有编码为“{code}”的区划"),
            PlaceError::BadAlias { alias } => format!("别名“{alias}”无效：不能为空"),
            PlaceError::UnknownCoordSystem { value } => format!("未知的坐标系“{value}”，只支持 wgs84 和 gcj02"),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            PlaceError::BadGeoJson { en, .. } => format!("malformed GeoJSON: {en}"),
            PlaceError::NoPolygons => "the GeoJSON holds no Polygon or MultiPolygon feature".to_string(),
            PlaceError::MissingCode { feature, property } => {
                format!("feature {} lacks the code property \"{property}\" (a string or an integer)", feature + 1)
            }
            PlaceError::DuplicateCode { code } => {
                format!("the code \"{code}\" is on several polygon features; use one MultiPolygon for a region in several parts")
            }
            PlaceError::TooManyVertices { count, limit } => {
                format!("too many vertices: at least {count}, the limit is {limit}; simplify the boundaries first")
            }
            PlaceError::CoordinateOutOfRange { feature, lon, lat } => {
                let hint = if swapped(*lon, *lat) { "; are longitude and latitude swapped?" } else { "" };
                format!("feature {} has the position [{lon}, {lat}] outside longitude -180..180 / latitude -90..90{hint}", feature + 1)
            }
            PlaceError::BadDivisions { en, .. } => format!("bad division data: {en}"),
            PlaceError::UnknownDivision { code } => format!("no division has the code \"{code}\""),
            PlaceError::BadAlias { alias } => format!("the alias \"{alias}\" is invalid: it must not be empty"),
            PlaceError::UnknownCoordSystem { value } => {
                format!("unknown coordinate system \"{value}\"; only wgs84 and gcj02 are supported")
            }
        }
    }

    pub(crate) fn bad_geojson(zh: impl Into<String>, en: impl Into<String>) -> Self {
        PlaceError::BadGeoJson { zh: zh.into(), en: en.into() }
    }

    pub(crate) fn bad_divisions(zh: impl Into<String>, en: impl Into<String>) -> Self {
        PlaceError::BadDivisions { zh: zh.into(), en: en.into() }
    }
}

/// GeoJSON is [lon, lat]; people who think "lat, lon" produce a latitude beyond 90 in China.
fn swapped(lon: f64, lat: f64) -> bool {
    lat.abs() > 90.0 && lon.abs() <= 90.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_carries_both_languages_and_codes_are_stable() {
        let e = PlaceError::TooManyVertices { count: 200_001, limit: 200_000 };
        assert_eq!(e.code(), "too_many_vertices");
        let text = e.to_string();
        assert!(text.contains("顶点过多") && text.contains("too many vertices"), "{text}");
        let swapped = PlaceError::CoordinateOutOfRange { feature: 2, lon: 20.0, lat: 110.3 };
        assert!(swapped.message_zh().contains("第 3 个要素") && swapped.message_zh().contains("写反"));
        assert!(swapped.message_en().contains("swapped"));
        let plain = PlaceError::CoordinateOutOfRange { feature: 0, lon: 190.0, lat: 20.0 };
        assert!(!plain.message_en().contains("swapped"));
    }
}
