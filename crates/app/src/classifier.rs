//! 智能分类 in the application: the active model proposes catalogue items for a new case, a
//! confident proposal dispatches the case at once, the rest wait in the dispatchers' review queue
//! with the top 3; people's choices and corrections are the history the next model learns from.
//!
//! A model's labels are catalogue codes: leaf items (learnt from the platform's history) or
//! categories (the shipped base data knows only the 7 level-1 categories). A category's
//! probability is shared among its items by how well each item's name and keywords match the
//! text, so every proposal is an item and the probabilities over items still sum to at most 1.

use std::collections::HashMap;
use std::sync::Arc;

use minsheng_classify::{Example, Model, TrainOptions};
use minsheng_domain::case::{Case, CaseType, Classification, Intake, ItemProposal, ItemSource};
use minsheng_domain::catalogue::Catalogue;
use minsheng_domain::org::{Actor, Role};
use minsheng_domain::{DomainError, DomainResult, ErrorCode};
use minsheng_store::{ModelInfo, NewModel};
use serde::{Deserialize, Serialize};

use crate::App;

/// Setting key of [`ClassifierSettings`].
pub const CLASSIFIER_KEY: &str = "classifier";

/// How classification acts on intake; administrators change it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ClassifierSettings {
    /// Classify cases that arrive without a catalogue item.
    pub enabled: bool,
    /// At or above this probability of the top item, the case is dispatched without review.
    pub auto_dispatch_threshold: f64,
    /// Retraining learns an item from the history only when people chose it at least this often;
    /// rarer items teach their category instead.
    pub min_examples_per_item: usize,
    /// Retraining also uses the shipped base data (level-1 categories).
    pub include_base: bool,
}

impl Default for ClassifierSettings {
    fn default() -> Self {
        ClassifierSettings { enabled: true, auto_dispatch_threshold: 0.9, min_examples_per_item: 5, include_base: true }
    }
}

impl ClassifierSettings {
    fn validate(&self) -> DomainResult<()> {
        if !(0.5..=1.0).contains(&self.auto_dispatch_threshold) || !(1..=1000).contains(&self.min_examples_per_item) {
            return Err(DomainError::invalid(
                "classifier",
                "自动派单阈值应在 0.5 至 1 之间（1 表示从不自动派单），事项最少样本数 1–1000",
                "auto_dispatch_threshold must lie in [0.5, 1] (1 never dispatches automatically); min_examples_per_item 1–1000",
            ));
        }
        Ok(())
    }
}

/// The model in force on this node.
pub(crate) struct ActiveModel {
    version: i64,
    model: Model,
}

/// What retraining used and produced.
#[derive(Debug, Clone, Serialize)]
pub struct RetrainReport {
    pub model: ModelInfo,
    /// Examples from the platform's history (people's choices), and from the base data.
    pub history_examples: usize,
    pub base_examples: usize,
    pub seconds: f64,
}

/// Retraining started from the API on this node: whether one runs, and how the last one ended.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrainingStatus {
    pub running: bool,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The version the last run saved.
    pub last_version: Option<i64>,
    pub last_error: Option<String>,
}

/// Options of one retraining run.
#[derive(Debug, Clone, Default)]
pub struct RetrainOptions {
    /// Overrides the setting `include_base`.
    pub include_base: Option<bool>,
    /// Make the new model the active one (the usual case).
    pub activate: bool,
    pub note: Option<String>,
    /// Training options (tests use fewer calibration folds).
    pub train: Option<TrainOptions>,
}

impl App {
    /// The classifier settings in force (setting `classifier`, else defaults).
    pub async fn classifier_settings(&self) -> DomainResult<ClassifierSettings> {
        Ok(match self.store.get_setting(CLASSIFIER_KEY).await? {
            Some(text) => serde_json::from_str(&text).unwrap_or_default(),
            None => ClassifierSettings::default(),
        })
    }

    /// Changes the classifier settings (administrators).
    pub async fn set_classifier_settings(&self, actor: &Actor, settings: ClassifierSettings) -> DomainResult<()> {
        require_admin(actor)?;
        settings.validate()?;
        let text = serde_json::to_string(&settings).map_err(|_| DomainError::internal())?;
        self.store.put_setting(CLASSIFIER_KEY, &text).await?;
        Ok(())
    }

    /// The active model, loading it if another node activated a newer one. `None` before any
    /// model was trained.
    async fn active_model(&self) -> DomainResult<Option<Arc<ActiveModel>>> {
        let cached = self.model.read().map(|m| m.clone()).unwrap_or_else(|p| p.into_inner().clone());
        let fresh = cached.as_ref().is_some_and(|(_, checked)| self.clock.now() - *checked < 10_000);
        if fresh {
            return Ok(cached.and_then(|(m, _)| m));
        }
        let active = self.store.models().await?.into_iter().find(|m| m.active).map(|m| m.version);
        let current = cached.as_ref().and_then(|(m, _)| m.clone());
        let loaded = match (active, current) {
            (None, _) => None,
            (Some(v), Some(m)) if m.version == v => Some(m),
            (Some(v), _) => match self.store.model_data(v).await? {
                Some(json) => {
                    let model = tokio::task::spawn_blocking(move || Model::from_json(&json)).await.map_err(|_| DomainError::internal())?;
                    match model {
                        Ok(model) => Some(Arc::new(ActiveModel { version: v, model })),
                        Err(e) => {
                            tracing::error!(version = v, error = %e, "the active classifier model cannot be read; retrain it");
                            None
                        }
                    }
                }
                None => None,
            },
        };
        if let Ok(mut m) = self.model.write() {
            *m = Some((loaded.clone(), self.clock.now()));
        }
        Ok(loaded)
    }

    /// The classifier's proposals for a text (best first, at most 3), or `None` without a model.
    pub async fn classify(&self, title: &str, text: &str) -> DomainResult<Option<Classification>> {
        let settings = self.classifier_settings().await?;
        self.classify_with(&settings, title, text).await
    }

    /// 智能分类 of an intake, the one rule for intake and its preview: only without an item and
    /// with classification on; `auto` when the top item reaches the threshold and the case is not
    /// a consultation (those are answered, never dispatched without review).
    pub async fn classify_intake(&self, intake: &Intake) -> DomainResult<Option<Classification>> {
        if intake.catalogue_item.is_some() {
            return Ok(None);
        }
        let settings = self.classifier_settings().await?;
        if !settings.enabled {
            return Ok(None);
        }
        let mut c = self.classify_with(&settings, intake.title.as_str(), intake.text.as_str()).await?;
        if let Some(c) = c.as_mut() {
            c.auto = intake.case_type != CaseType::Consultation && c.proposals.first().is_some_and(|p| p.confidence >= c.threshold);
        }
        Ok(c)
    }

    async fn classify_with(&self, settings: &ClassifierSettings, title: &str, text: &str) -> DomainResult<Option<Classification>> {
        let Some(active) = self.active_model().await? else { return Ok(None) };
        let catalogue = self.current_catalogue().await?;
        let joined = format!("{title} {text}");
        let ranked = active.model.predict(&joined);
        let proposals = item_proposals(&catalogue, &ranked, &joined, 3);
        Ok(Some(Classification {
            proposals,
            model_version: Some(active.version),
            catalogue_version: (catalogue.version > 0).then_some(catalogue.version),
            auto: false,
            threshold: settings.auto_dispatch_threshold,
        }))
    }

    /// Every saved model with its evaluation, newest first.
    pub async fn models(&self) -> DomainResult<Vec<ModelInfo>> {
        Ok(self.store.models().await?)
    }

    /// Makes a saved model the active one (administrators).
    pub async fn activate_model(&self, actor: &Actor, version: i64) -> DomainResult<()> {
        require_admin(actor)?;
        if !self.store.activate_model(version).await? {
            return Err(DomainError::not_found("分类模型", "model"));
        }
        if let Ok(mut m) = self.model.write() {
            *m = None;
        }
        Ok(())
    }

    /// 重新训练: trains a model on the history (cases whose item a person chose or corrected)
    /// and, unless turned off, the shipped base data; saves it with its cross-validated
    /// evaluation and, if asked, makes it active. `actor` is an administrator or the system.
    pub async fn retrain(&self, actor: &Actor, options: RetrainOptions) -> DomainResult<RetrainReport> {
        require_trainer(actor)?;
        let settings = self.classifier_settings().await?;
        let include_base = options.include_base.unwrap_or(settings.include_base);
        let catalogue = self.current_catalogue().await?;
        let history = self.history_examples(&catalogue, settings.min_examples_per_item).await?;
        let base = if include_base { base_examples(&catalogue)? } else { Vec::new() };
        let (history_examples, base_examples) = (history.len(), base.len());
        let mut examples = history;
        examples.extend(base);
        let labels = examples.iter().map(|e| e.label.as_str()).collect::<std::collections::BTreeSet<_>>().len();
        if labels < 2 {
            return Err(DomainError::new(
                ErrorCode::RuleViolation,
                "训练数据不足：至少需要两个分类的已标注工单",
                "not enough training data: labelled cases of at least two items are needed",
            ));
        }
        let train_options = options.train.unwrap_or_default();
        let started = std::time::Instant::now();
        let model = tokio::task::spawn_blocking(move || minsheng_classify::train(&examples, &train_options))
            .await
            .map_err(|_| DomainError::internal())?
            .map_err(|e| DomainError::invalid("training", format!("训练失败：{e}"), format!("training failed: {e}")))?;
        let seconds = started.elapsed().as_secs_f64();
        let summary = model.summary().clone();
        let evaluation = serde_json::json!({
            "examples": summary.examples,
            "distinct_messages": summary.distinct_messages,
            "features": summary.features,
            "labels": summary.label_counts.len(),
            "cv_folds": summary.cv_folds,
            "accuracy": summary.cv.as_ref().map(|e| e.accuracy),
            "macro_f1": summary.cv.as_ref().map(|e| e.macro_f1),
            "ece": summary.cv.as_ref().map(|e| e.ece),
            "history_examples": history_examples,
            "base_examples": base_examples,
            "train_seconds": seconds,
        });
        let data = model.to_json().map_err(|_| DomainError::internal())?;
        let saved = self
            .store
            .save_model(NewModel {
                created_at: self.clock.now(),
                created_by: actor.user_id,
                note: options.note,
                labels: labels as i64,
                examples: summary.examples as i64,
                evaluation: evaluation.to_string(),
                data,
            })
            .await?;
        let mut info = saved;
        if options.activate {
            self.store.activate_model(info.version).await?;
            info.active = true;
            if let Ok(mut m) = self.model.write() {
                *m = Some((Some(Arc::new(ActiveModel { version: info.version, model })), self.clock.now()));
            }
        }
        tracing::info!(version = info.version, history_examples, base_examples, seconds, "classifier trained");
        Ok(RetrainReport { model: info, history_examples, base_examples, seconds })
    }

    /// Starts retraining in the background (the API's one call); refused while a run is going.
    pub fn start_retrain(&self, actor: &Actor, options: RetrainOptions) -> DomainResult<TrainingStatus> {
        require_trainer(actor)?;
        let now = minsheng_domain::format_time(self.clock.now());
        {
            let mut status = self.training.lock().map_err(|_| DomainError::internal())?;
            if status.running {
                return Err(DomainError::new(ErrorCode::RuleViolation, "模型正在训练，请稍后再试", "a training run is already going"));
            }
            *status = TrainingStatus { running: true, started_at: Some(now), ..status.clone() };
        }
        let (app, actor) = (self.clone(), actor.clone());
        tokio::spawn(async move {
            let result = app.retrain(&actor, options).await;
            let finished = minsheng_domain::format_time(app.clock.now());
            if let Ok(mut status) = app.training.lock() {
                status.running = false;
                status.finished_at = Some(finished);
                match result {
                    Ok(report) => {
                        status.last_version = Some(report.model.version);
                        status.last_error = None;
                    }
                    Err(e) => status.last_error = Some(e.message_zh),
                }
            }
        });
        self.training_status()
    }

    /// The state of retraining on this node.
    pub fn training_status(&self) -> DomainResult<TrainingStatus> {
        Ok(self.training.lock().map_err(|_| DomainError::internal())?.clone())
    }

    /// Trains and activates the first model from the base data when there is none yet (the
    /// first start of a new installation). Returns the new version, if one was trained.
    pub async fn bootstrap_classifier(&self) -> DomainResult<Option<i64>> {
        if !self.store.models().await?.is_empty() {
            return Ok(None);
        }
        let report = self
            .retrain(
                &Actor::system(),
                RetrainOptions {
                    include_base: Some(true), activate: true, note: Some("基础模型（内置训练数据）".into()), train: None
                },
            )
            .await?;
        Ok(Some(report.model.version))
    }

    /// The labelled history: every case whose item a person chose (operator) or corrected
    /// (dispatcher), or that came with one from an import. Items chosen fewer than `min` times
    /// teach their level-1 category instead.
    async fn history_examples(&self, catalogue: &Catalogue, min: usize) -> DomainResult<Vec<Example>> {
        let mut out: Vec<(String, String)> = Vec::new();
        let mut after = 0;
        loop {
            let page = self.store.scan_cases(after, 1000, true).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            out.extend(page.iter().filter_map(|c| labelled(c, catalogue)));
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (_, label) in &out {
            *counts.entry(label.as_str()).or_default() += 1;
        }
        let rare: std::collections::HashSet<String> =
            counts.into_iter().filter(|(_, n)| *n < min).map(|(label, _)| label.to_string()).collect();
        Ok(out
            .into_iter()
            .filter_map(|(text, label)| {
                let label = if rare.contains(&label) { catalogue.path(&label).first().map(|c| c.code.clone())? } else { label };
                Some(Example::raw(text, label))
            })
            .collect())
    }
}

/// The example a case gives, if a person chose its item and the item is in the catalogue.
fn labelled(case: &Case, catalogue: &Catalogue) -> Option<(String, String)> {
    if case.item_source == Some(ItemSource::Classifier) {
        return None;
    }
    let item = case.intake.catalogue_item.as_deref()?;
    catalogue.item(item)?;
    Some((format!("{} {}", case.intake.title.as_str(), case.intake.text.as_str()), item.to_string()))
}

/// The shipped base data with its category names replaced by the catalogue's codes.
fn base_examples(catalogue: &Catalogue) -> DomainResult<Vec<Example>> {
    let by_name: HashMap<&str, &str> =
        catalogue.items.iter().filter(|i| i.parent.is_none()).map(|i| (i.name.as_str(), i.code.as_str())).collect();
    let mut examples = minsheng_classify::base_examples().map_err(|_| DomainError::internal())?;
    for e in &mut examples {
        if let Some(code) = by_name.get(e.label.as_str()) {
            e.label = (*code).to_string();
        }
    }
    Ok(examples)
}

fn require_trainer(actor: &Actor) -> DomainResult<()> {
    if !matches!(actor.role, Role::Admin | Role::System) {
        return Err(DomainError::new(ErrorCode::Forbidden, "仅管理员可以训练分类模型", "only administrators may train the classifier"));
    }
    Ok(())
}

fn require_admin(actor: &Actor) -> DomainResult<()> {
    if actor.role != Role::Admin {
        return Err(DomainError::new(
            ErrorCode::Forbidden,
            "仅管理员可以修改分类模型设置",
            "only administrators may change the classifier",
        ));
    }
    Ok(())
}

/// Turns the model's label probabilities into item proposals. A label is a catalogue code (a
/// leaf, or a category whose probability its leaves share by keyword match) or a category name.
pub fn item_proposals(catalogue: &Catalogue, ranked: &[(String, f64)], text: &str, limit: usize) -> Vec<ItemProposal> {
    // How much of a category's probability goes to leaves no keyword matched (a floor, so an
    // unmatched category still proposes something, though never confidently).
    const FLOOR: f64 = 0.1;
    let keyword: HashMap<&str, f64> =
        catalogue.search(text, usize::MAX).into_iter().map(|(i, s)| (i.code.as_str(), f64::from(s))).collect();
    let parent: HashMap<&str, &str> = catalogue.items.iter().filter_map(|i| Some((i.code.as_str(), i.parent.as_deref()?))).collect();
    let roots: HashMap<&str, &str> =
        catalogue.items.iter().filter(|i| i.parent.is_none()).map(|i| (i.name.as_str(), i.code.as_str())).collect();
    // Each leaf with its ancestors (itself first), so a label finds the leaves under it.
    let leaves: Vec<(&str, Vec<&str>)> = catalogue
        .leaves()
        .into_iter()
        .map(|l| {
            let mut chain = vec![l.code.as_str()];
            while let Some(p) = chain.last().and_then(|c| parent.get(c)).filter(|_| chain.len() < 4) {
                chain.push(p);
            }
            (l.code.as_str(), chain)
        })
        .collect();
    let known: std::collections::HashSet<&str> = catalogue.items.iter().map(|i| i.code.as_str()).collect();
    let mut mass: HashMap<&str, f64> = HashMap::new();
    for (label, p) in ranked {
        // Negligible labels cannot change the top proposals.
        if *p < 1e-4 {
            continue;
        }
        let Some(node) = known.get(label.as_str()).copied().or_else(|| roots.get(label.as_str()).copied()) else { continue };
        let under: Vec<&str> = leaves.iter().filter(|(_, chain)| chain.contains(&node)).map(|(code, _)| *code).collect();
        // A category none of whose items the text names says nothing about the item: proposing
        // its items in code order would only mislead the reviewer.
        if under.len() > 1 && !under.iter().any(|c| keyword.contains_key(c)) {
            continue;
        }
        let total: f64 = under.iter().map(|c| keyword.get(c).copied().unwrap_or(0.0) + FLOOR).sum();
        if total <= 0.0 {
            continue;
        }
        for code in under {
            *mass.entry(code).or_default() += p * (keyword.get(code).copied().unwrap_or(0.0) + FLOOR) / total;
        }
    }
    let mut out: Vec<ItemProposal> = mass
        .into_iter()
        .map(|(code, p)| ItemProposal {
            item: code.to_string(),
            name: catalogue.path_name(code),
            confidence: (p * 10_000.0).round() / 10_000.0,
        })
        .collect();
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then_with(|| a.item.cmp(&b.item)));
    out.truncate(limit);
    out
}
