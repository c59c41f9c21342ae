//! Places: the grid polygons (网格) coordinates of cases are placed in.

use axum::extract::State;

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{Authed, Json};

/// Replaces the grid polygons (网格) with a GeoJSON FeatureCollection (properties `code`, `name`;
/// GCJ-02 coordinates); administrators only. Coordinates of new cases are then placed in a grid.
#[utoipa::path(put, path = "/api/grids", tag = "places", responses((status = 200, description = "what was loaded")))]
pub async fn upload_grids(
    State(state): State<AppState>,
    Authed(actor): Authed,
    body: String,
) -> ApiResult<Json<minsheng_app::place::GridSummary>> {
    Ok(Json(state.app.upload_grids(&actor, &body).await?))
}
