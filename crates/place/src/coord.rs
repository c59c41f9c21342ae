//! Coordinate systems (坐标系): WGS-84, what GPS receivers and most of the world use, and GCJ-02
//! (国测局坐标, "Mars coordinates"), the obfuscated datum that Chinese law requires of published maps.
//! Phones in China running domestic map SDKs (AMap/高德, Tencent) report GCJ-02; raw GPS and foreign
//! services report WGS-84; the offset between the two near 海口 is about half a kilometre, enough to
//! put a point in the wrong grid or even the wrong district.
//!
//! All functions take and return `(lon, lat)` in degrees, the GeoJSON order.

use crate::PlaceError;

/// The semi-major axis of the Krasovsky 1940 ellipsoid, which the GCJ-02 formula is built on.
const KRASOVSKY_A: f64 = 6_378_245.0;
/// Its first eccentricity squared.
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
/// The inverse stops when a step moves less than this (1e-10° is about 0.01 mm).
const INVERSE_TOLERANCE_DEG: f64 = 1e-10;

/// The datum of a coordinate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CoordSystem {
    /// WGS-84: GPS, GeoJSON by RFC 7946, OpenStreetMap.
    Wgs84,
    /// GCJ-02 (火星坐标): AMap/高德, Tencent maps, WeChat location, DataV boundary files.
    Gcj02,
}

impl CoordSystem {
    /// Accepts `wgs84` / `gcj02`, case-insensitive, with or without the hyphen.
    pub fn parse(value: &str) -> Result<Self, PlaceError> {
        match value.trim().to_ascii_lowercase().replace('-', "").as_str() {
            "wgs84" => Ok(CoordSystem::Wgs84),
            "gcj02" => Ok(CoordSystem::Gcj02),
            _ => Err(PlaceError::UnknownCoordSystem { value: value.to_string() }),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CoordSystem::Wgs84 => "wgs84",
            CoordSystem::Gcj02 => "gcj02",
        }
    }

    /// Converts `(lon, lat)` given in `self` into `target`.
    pub fn convert(self, lon: f64, lat: f64, target: CoordSystem) -> (f64, f64) {
        match (self, target) {
            (CoordSystem::Wgs84, CoordSystem::Gcj02) => wgs84_to_gcj02(lon, lat),
            (CoordSystem::Gcj02, CoordSystem::Wgs84) => gcj02_to_wgs84(lon, lat),
            _ => (lon, lat),
        }
    }
}

impl std::str::FromStr for CoordSystem {
    type Err = PlaceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CoordSystem::parse(s)
    }
}

impl std::fmt::Display for CoordSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the point lies outside the rectangle in which the GCJ-02 offset is applied.
///
/// This is the conventional rectangle of the published reference implementations, not China's
/// border: it also covers e.g. parts of Mongolia, Korea and Vietnam, and it covers 香港/澳门/台湾,
/// where domestic SDKs do not all apply the offset. It is what the devices that produce GCJ-02 use,
/// so matching it is what makes conversions invert theirs.
pub fn out_of_china(lon: f64, lat: f64) -> bool {
    !(72.004..=137.8347).contains(&lon) || !(0.8293..=55.8271).contains(&lat)
}

/// WGS-84 → GCJ-02: the standard offset formula; points outside China are returned unchanged.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS-84. The formula has no closed-form inverse; a fixed-point iteration converges in a
/// handful of steps because the offset changes slowly with position (well under 0.01 m error).
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if out_of_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (glon, glat) = wgs84_to_gcj02(wlon, wlat);
        let (elon, elat) = (glon - lon, glat - lat);
        wlon -= elon;
        wlat -= elat;
        if elon.abs() < INVERSE_TOLERANCE_DEG && elat.abs() < INVERSE_TOLERANCE_DEG {
            break;
        }
    }
    (wlon, wlat)
}

/// Great-circle distance in metres (haversine on a sphere of the mean Earth radius): precise to
/// about 0.5 %, which is plenty for "how far is the reporter from the grid".
pub fn distance_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_008.8;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// The offset (Δlon, Δlat) in degrees that GCJ-02 adds at a WGS-84 point.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let (x, y) = (lon - 105.0, lat - 35.0);
    let dlat_m = transform_lat(x, y);
    let dlon_m = transform_lon(x, y);
    let rad_lat = lat.to_radians();
    let magic = 1.0 - KRASOVSKY_EE * rad_lat.sin().powi(2);
    let sqrt_magic = magic.sqrt();
    // Metres-ish values of the formula → degrees on the Krasovsky ellipsoid (meridian / parallel radii).
    let dlat = (dlat_m * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * std::f64::consts::PI);
    let dlon = (dlon_m * 180.0) / (KRASOVSKY_A / sqrt_magic * rad_lat.cos() * std::f64::consts::PI);
    (dlon, dlat)
}

fn transform_lat(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn transform_lon(x: f64, y: f64) -> f64 {
    use std::f64::consts::PI;
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 海口 龙华区 centre area, in WGS-84.
    const HAIKOU: (f64, f64) = (110.33, 20.03);

    #[test]
    fn haikou_offset_is_a_few_hundred_metres_east_and_south() {
        let (glon, glat) = wgs84_to_gcj02(HAIKOU.0, HAIKOU.1);
        // The published implementations give ≈ (+0.00437°, −0.00205°) here; pin it to catch a typo
        // in any of the formula's constants.
        assert!((glon - HAIKOU.0 - 0.004_368).abs() < 2e-5, "Δlon {}", glon - HAIKOU.0);
        assert!((glat - HAIKOU.1 + 0.002_048).abs() < 2e-5, "Δlat {}", glat - HAIKOU.1);
        let d = distance_m(HAIKOU.0, HAIKOU.1, glon, glat);
        assert!((400.0..700.0).contains(&d), "offset {d} m");
    }

    #[test]
    fn known_pair_from_the_reference_implementation() {
        // Beijing: the vector in the README of wandergis/coordtransform, reproduced by many ports:
        // wgs84togcj02(116.404, 39.915) → (116.41024449916938, 39.91640428150164).
        let (glon, glat) = wgs84_to_gcj02(116.404, 39.915);
        assert!((glon - 116.410_244_499_169_38).abs() < 1e-12 && (glat - 39.916_404_281_501_64).abs() < 1e-12, "{glon}, {glat}");
        let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
        assert!(distance_m(116.404, 39.915, wlon, wlat) < 0.01);
    }

    #[test]
    fn round_trip_is_below_a_centimetre_across_china() {
        let mut worst: f64 = 0.0;
        for i in 0..40 {
            for j in 0..40 {
                let lon = 74.0 + f64::from(i) * 1.5;
                let lat = 18.0 + f64::from(j) * 0.9;
                let (glon, glat) = wgs84_to_gcj02(lon, lat);
                let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
                worst = worst.max(distance_m(lon, lat, wlon, wlat));
            }
        }
        assert!(worst < 0.01, "worst round trip {worst} m");
        let (glon, glat) = wgs84_to_gcj02(HAIKOU.0, HAIKOU.1);
        let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
        assert!(distance_m(HAIKOU.0, HAIKOU.1, wlon, wlat) < 0.05);
    }

    #[test]
    fn points_outside_china_are_unchanged() {
        for (lon, lat) in [(2.35, 48.85), (-74.0, 40.7), (139.7, 35.7), (151.2, -33.9), (110.0, 0.5)] {
            assert!(out_of_china(lon, lat));
            assert_eq!(wgs84_to_gcj02(lon, lat), (lon, lat));
            assert_eq!(gcj02_to_wgs84(lon, lat), (lon, lat));
        }
        assert!(!out_of_china(HAIKOU.0, HAIKOU.1));
        assert_ne!(wgs84_to_gcj02(HAIKOU.0, HAIKOU.1), HAIKOU);
    }

    #[test]
    fn parse_and_convert() {
        assert_eq!(CoordSystem::parse("WGS84").ok(), Some(CoordSystem::Wgs84));
        assert_eq!(CoordSystem::parse("gcj-02").ok(), Some(CoordSystem::Gcj02));
        assert_eq!("gcj02".parse::<CoordSystem>().ok(), Some(CoordSystem::Gcj02));
        let err = CoordSystem::parse("bd09").err().map(|e| e.code());
        assert_eq!(err, Some("unknown_coord_system"));
        assert_eq!(CoordSystem::Gcj02.convert(1.0, 2.0, CoordSystem::Gcj02), (1.0, 2.0));
        assert_eq!(CoordSystem::Wgs84.convert(HAIKOU.0, HAIKOU.1, CoordSystem::Gcj02), wgs84_to_gcj02(HAIKOU.0, HAIKOU.1));
        assert_eq!(CoordSystem::Gcj02.to_string(), "gcj02");
    }

    #[test]
    fn distance_is_sane() {
        // One degree of latitude ≈ 111.2 km.
        let d = distance_m(110.0, 20.0, 110.0, 21.0);
        assert!((d - 111_195.0).abs() < 100.0, "{d}");
        assert_eq!(distance_m(110.0, 20.0, 110.0, 20.0), 0.0);
    }
}
