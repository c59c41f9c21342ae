//! Routing in the application: the place of a case (see `place`) and its catalogue item through
//! `domain::routing::route`; the decision is written at intake.

use minsheng_domain::DomainResult;
use minsheng_domain::case::Intake;
use minsheng_domain::routing::{RoutableUnit, RoutingDecision, route};

use crate::App;
use crate::place::PlaceReading;

impl App {
    /// The routing decision for an intake: item × place.
    pub async fn propose_routing(&self, intake: &Intake) -> DomainResult<(RoutingDecision, PlaceReading)> {
        let catalogue = self.current_catalogue().await?;
        let (place, reading) = self.read_place(&intake.place, intake.text.as_str()).await?;
        let dir = self.directory().await?;
        let units: Vec<RoutableUnit> = dir
            .units
            .iter()
            .filter(|u| u.active)
            .map(|u| RoutableUnit { unit: u.as_ref(), department_type: u.department_type.clone() })
            .collect();
        let item = intake.catalogue_item.as_deref().and_then(|c| catalogue.item(c));
        let path = item.map(|i| catalogue.path_name(&i.code));
        let version = item.map(|_| catalogue.version);
        let mut decision = route(item, path, version, &place, &units);
        if let Some(e) = &reading.explanation {
            decision.reasons_zh.insert(0, format!("地点识别：{e}"));
        }
        Ok((decision, reading))
    }
}
