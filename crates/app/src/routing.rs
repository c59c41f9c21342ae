//! Routing in the application: the place of a case (see `place`) and its catalogue item through
//! `domain::routing::route`; the decision is written at intake.

use minsheng_domain::DomainResult;
use minsheng_domain::case::{Classification, Intake};
use minsheng_domain::org::Actor;
use minsheng_domain::routing::{RoutingDecision, route};
use serde::Serialize;

use crate::App;
use crate::place::PlaceReading;
use crate::similar::SimilarCase;

/// What the operator sees while typing a new case: the classifier's proposals, the routing (by
/// the chosen item, else the top proposal), the place as understood and open cases about the
/// same matter. Nothing is stored.
#[derive(Debug, Clone, Serialize)]
pub struct IntakePreview {
    pub classification: Option<Classification>,
    pub routing: RoutingDecision,
    pub place: PlaceReading,
    /// 并单建议: open cases probably about the same matter, best first.
    pub similar: Vec<SimilarCase>,
}

impl App {
    /// 派单建议 for a draft, the way intake would decide it.
    pub async fn preview_intake(&self, actor: &Actor, intake: &Intake) -> DomainResult<IntakePreview> {
        let classification = self.classify_intake(intake).await?;
        let mut routed = intake.clone();
        if let Some(top) = classification.as_ref().and_then(|c| c.proposals.first()) {
            routed.catalogue_item = Some(top.item.clone());
        }
        let (routing, place) = self.propose_routing(&routed).await?;
        let similar = self.similar_open_cases(actor, intake, None, 5).await?;
        Ok(IntakePreview { classification, routing, place, similar })
    }

    /// The routing decision for an intake: item × place.
    pub async fn propose_routing(&self, intake: &Intake) -> DomainResult<(RoutingDecision, PlaceReading)> {
        let catalogue = self.current_catalogue().await?;
        let (place, reading) = self.read_place(&intake.place, intake.text.as_str()).await?;
        let dir = self.directory().await?;
        let units = &dir.routable;
        let item = intake.catalogue_item.as_deref().and_then(|c| catalogue.item(c));
        let path = item.map(|i| catalogue.path_name(&i.code));
        let version = item.map(|_| catalogue.version);
        let mut decision = route(item, path, version, &place, units);
        if let Some(e) = &reading.explanation {
            decision.reasons_zh.insert(0, format!("地点识别：{e}"));
        }
        Ok((decision, reading))
    }
}
