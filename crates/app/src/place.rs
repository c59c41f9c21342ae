//! Places of cases: the territorial units of a place (from the chosen unit, the address text
//! through the gazetteer, or the coordinates through the district polygons) and the grids (网格)
//! an administrator uploads.

use std::sync::{Arc, OnceLock};

use minsheng_domain::DomainResult;
use minsheng_domain::case::Place;
use minsheng_domain::org::{Actor, UnitKind};
use minsheng_domain::routing::PlaceUnits;
use minsheng_place::{CoordSystem, Gazetteer, PolygonIndex};
use serde::Serialize;

use crate::App;

/// The gazetteer of the demo city's division tree and the district polygons, built once.
struct Places {
    gazetteer: Option<Gazetteer>,
    districts: Option<PolygonIndex>,
}

fn places() -> &'static Places {
    static PLACES: OnceLock<Places> = OnceLock::new();
    PLACES.get_or_init(|| Places {
        gazetteer: Gazetteer::from_csv(crate::demo::DIVISIONS_CSV)
            .map_err(|e| tracing::error!(error = %e, "the shipped division tree does not load"))
            .ok(),
        districts: PolygonIndex::haikou_districts()
            .map_err(|e| tracing::error!(error = %e, "the shipped district polygons do not load"))
            .ok(),
    })
}

/// How the place was understood, for the dispatcher.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PlaceReading {
    /// The most specific territorial unit found.
    pub unit_id: Option<i64>,
    pub explanation: Option<String>,
    pub confidence: Option<f32>,
    /// The grid (网格) the coordinates fall in, when grids were uploaded.
    pub grid: Option<GridRef>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GridRef {
    pub code: String,
    pub name: String,
}

/// What an upload of grid polygons holds.
#[derive(Debug, Clone, Serialize)]
pub struct GridSummary {
    pub grids: usize,
    pub vertices: usize,
    pub codes: Vec<String>,
}

/// Setting key of the uploaded grid polygons (GeoJSON, properties `code` and `name`, GCJ-02).
pub const GRIDS_KEY: &str = "grids.geojson";

fn parse_grids(text: &str) -> Result<PolygonIndex, minsheng_domain::DomainError> {
    PolygonIndex::from_geojson(text, "code", "name").map(|i| i.with_datum(CoordSystem::Gcj02)).map_err(|e| {
        minsheng_domain::DomainError::invalid(
            "geojson",
            format!("网格数据有误：{}", e.message_zh()),
            format!("invalid grid GeoJSON: {}", e.message_en()),
        )
        .with_details(serde_json::json!({"field": "geojson", "reason": e.code()}))
    })
}

impl App {
    /// The territorial units of a place, and how they were found.
    pub async fn read_place(&self, place: &Place, text: &str) -> DomainResult<(PlaceUnits, PlaceReading)> {
        let dir = self.directory().await?;
        let by_id = |id: i64| dir.units.iter().find(|u| u.id == id);
        let by_division = |code: &str| dir.units.iter().find(|u| u.division_code.as_deref() == Some(code) && u.kind.is_territorial());
        let mut reading = PlaceReading::default();
        let found = match place.division_unit_id.and_then(by_id) {
            Some(u) => {
                reading.explanation = Some(format!("受理时选定：{}", u.name));
                Some(u)
            }
            None => {
                let mut hit = None;
                if let Some(g) = &places().gazetteer {
                    let address = place.address.as_ref().map(|a| a.as_str()).unwrap_or("");
                    // The address first; the text only if the address names nothing.
                    for source in [address, text] {
                        let m = g.resolve(source);
                        if let Some(d) = m.most_specific()
                            && let Some(u) = by_division(&d.code)
                        {
                            reading.explanation = Some(m.explain_zh());
                            reading.confidence = Some(m.confidence);
                            hit = Some(u);
                            break;
                        }
                    }
                }
                if hit.is_none()
                    && let (Some(lat), Some(lon), Some(index)) = (place.latitude, place.longitude, &places().districts)
                    && let Some(region) = index.locate_any(lon, lat, CoordSystem::Gcj02)
                    && let Some(u) = by_division(&region.code)
                {
                    reading.explanation = Some(format!("坐标 ({lon:.5}, {lat:.5}) 位于{}", region.name));
                    hit = Some(u);
                }
                hit
            }
        };
        if let (Some(lat), Some(lon)) = (place.latitude, place.longitude)
            && let Some(grids) = self.grids().await?
            && let Some(g) = grids.locate_any(lon, lat, CoordSystem::Gcj02)
        {
            reading.grid = Some(GridRef { code: g.code.clone(), name: g.name.clone() });
        }
        let mut units = PlaceUnits::default();
        if let Some(u) = found {
            reading.unit_id = Some(u.id);
            // The unit and its ancestors by path.
            for id in u.path.trim_matches('/').split('/').filter_map(|x| x.parse::<i64>().ok()) {
                if let Some(a) = by_id(id) {
                    match a.kind {
                        UnitKind::District => units.district = Some(a.as_ref()),
                        UnitKind::Street => units.street = Some(a.as_ref()),
                        UnitKind::Community => units.community = Some(a.as_ref()),
                        _ => {}
                    }
                }
            }
        }
        Ok((units, reading))
    }

    /// The uploaded grids, loaded once per process (and replaced by an upload on this node).
    pub async fn grids(&self) -> DomainResult<Option<Arc<PolygonIndex>>> {
        if let Ok(g) = self.grids.read()
            && let Some(loaded) = g.as_ref()
        {
            return Ok(loaded.clone());
        }
        let loaded = match self.store.get_setting(GRIDS_KEY).await? {
            Some(text) => parse_grids(&text).ok().map(Arc::new),
            None => None,
        };
        if let Ok(mut g) = self.grids.write() {
            *g = Some(loaded.clone());
        }
        Ok(loaded)
    }

    /// Replaces the grid polygons (administrators); validated before anything is stored.
    pub async fn upload_grids(&self, actor: &Actor, geojson: &str) -> DomainResult<GridSummary> {
        if actor.role != minsheng_domain::org::Role::Admin {
            return Err(minsheng_domain::DomainError::new(
                minsheng_domain::ErrorCode::Forbidden,
                "仅管理员可以上传网格",
                "only administrators may upload grids",
            ));
        }
        let index = parse_grids(geojson)?;
        let summary = GridSummary {
            grids: index.regions().len(),
            vertices: index.vertex_count(),
            codes: index.regions().iter().map(|r| r.code.clone()).collect(),
        };
        self.store.put_setting(GRIDS_KEY, geojson).await?;
        if let Ok(mut g) = self.grids.write() {
            *g = Some(Some(Arc::new(index)));
        }
        Ok(summary)
    }
}
