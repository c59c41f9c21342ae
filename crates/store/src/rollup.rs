//! Daily roll-ups of the metric facts, so a month's figures sum a few thousand rows instead of
//! every case. Each case write adds the difference between the case's new facts and its old
//! ones (`deltas`), in the same transaction, so the roll-ups stay exact and live.

use crate::FactKey;

/// A case's facts as the roll-ups see them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// China day number (days since 1970-01-01, UTC+8) of receipt.
    pub day: i64,
    pub unit_id: Option<i64>,
    pub unit_path: Option<String>,
    pub callback_unit_id: Option<i64>,
    pub channel: String,
    pub case_type: String,
    pub catalogue_item: Option<String>,
    pub bucket: Option<i64>,
    /// Counters in `Counter::SUMMED` order.
    pub values: Vec<i64>,
}

pub(crate) fn china_day(ms: i64) -> i64 {
    (ms + 28_800_000).div_euclid(86_400_000)
}

impl Snapshot {
    pub fn of(row: &crate::FactsRow) -> Snapshot {
        Snapshot {
            day: china_day(row.facts.received_at),
            unit_id: row.facts.unit_id,
            unit_path: row.unit_path.clone(),
            callback_unit_id: row.facts.callback_unit_id,
            channel: row.channel.to_string(),
            case_type: row.case_type.to_string(),
            catalogue_item: row.catalogue_item.clone(),
            bucket: row.facts.handling_bucket.map(i64::from),
            values: row.values(),
        }
    }

    /// (dimension, key) pairs this case counts under. The category is the first segment of the
    /// item code (children's codes extend their parent's, which the catalogue enforces).
    fn keys(&self) -> Vec<(&'static str, String)> {
        let category = self.catalogue_item.as_deref().map(|i| i.split('.').next().unwrap_or(i).to_string()).unwrap_or_default();
        vec![
            ("unit", self.unit_id.map(|u| u.to_string()).unwrap_or_default()),
            ("channel", self.channel.clone()),
            ("case_type", self.case_type.clone()),
            ("category", category),
        ]
    }
}

/// One roll-up row to add to: (day, dimension, key, unit path) and counter deltas.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delta {
    pub day: i64,
    pub dim: &'static str,
    pub key: String,
    pub unit_path: String,
    pub values: Vec<i64>,
}

/// One histogram cell to add to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BucketDelta {
    pub day: i64,
    pub dim: &'static str,
    pub key: String,
    pub unit_path: String,
    pub bucket: i64,
    pub n: i64,
}

/// What changes in the roll-ups when a case's facts go from `old` to `new`, sorted so that
/// concurrent writers lock rows in one order.
pub(crate) fn deltas(old: Option<&Snapshot>, new: &Snapshot) -> (Vec<Delta>, Vec<BucketDelta>) {
    let mut sums: Vec<Delta> = Vec::new();
    let mut cells: Vec<BucketDelta> = Vec::new();
    let add = |s: &Snapshot, sign: i64, sums: &mut Vec<Delta>, cells: &mut Vec<BucketDelta>| {
        let path = s.unit_path.clone().unwrap_or_default();
        let mut keys = s.keys();
        // The ratings a unit recorded count for that unit (回访), keyed by who called back.
        keys.push(("callback", s.callback_unit_id.map(|u| u.to_string()).unwrap_or_default()));
        for (dim, key) in keys {
            let values: Vec<i64> = s.values.iter().map(|v| v * sign).collect();
            match sums.iter_mut().find(|d| d.day == s.day && d.dim == dim && d.key == key && d.unit_path == path) {
                Some(d) => d.values.iter_mut().zip(&values).for_each(|(a, b)| *a += b),
                None => sums.push(Delta { day: s.day, dim, key: key.clone(), unit_path: path.clone(), values }),
            }
            if let (Some(bucket), true) = (s.bucket, dim != "callback") {
                match cells.iter_mut().find(|c| c.day == s.day && c.dim == dim && c.key == key && c.unit_path == path && c.bucket == bucket)
                {
                    Some(c) => c.n += sign,
                    None => cells.push(BucketDelta { day: s.day, dim, key, unit_path: path.clone(), bucket, n: sign }),
                }
            }
        }
    };
    if let Some(old) = old {
        add(old, -1, &mut sums, &mut cells);
    }
    add(new, 1, &mut sums, &mut cells);
    sums.retain(|d| d.values.iter().any(|v| *v != 0));
    cells.retain(|c| c.n != 0);
    sums.sort_by(|a, b| (a.day, a.dim, &a.key, &a.unit_path).cmp(&(b.day, b.dim, &b.key, &b.unit_path)));
    cells.sort_by(|a, b| (a.day, a.dim, &a.key, &a.unit_path, a.bucket).cmp(&(b.day, b.dim, &b.key, &b.unit_path, b.bucket)));
    (sums, cells)
}

/// The roll-up dimension a grouping reads, and the SQL key expression over `fact_rollup`.
pub(crate) fn source(by: FactKey) -> (&'static str, &'static str) {
    match by {
        FactKey::Unit => ("unit", "key"),
        FactKey::CallbackUnit => ("callback", "key"),
        FactKey::Channel => ("channel", "key"),
        FactKey::CaseType => ("case_type", "key"),
        FactKey::CatalogueItem => ("category", "key"),
        FactKey::Day => ("unit", "CAST(day AS TEXT)"),
        FactKey::All => ("unit", "'all'"),
    }
}

/// The roll-up rows built from `case_facts` when the tables are created (existing databases).
pub(crate) fn backfill_sql(engine: crate::Engine) -> Vec<String> {
    let cols = crate::counter_columns();
    let sums = crate::counter_sums();
    let day = "((received_at + 28800000) / 86400000)";
    let sqlite = engine == crate::Engine::Sqlite;
    let cat = if sqlite {
        "COALESCE(CASE WHEN instr(catalogue_item, '.') > 0 THEN substr(catalogue_item, 1, instr(catalogue_item, '.') - 1) ELSE catalogue_item END, '')"
    } else {
        "COALESCE(split_part(catalogue_item, '.', 1), '')"
    };
    let unit = if sqlite { "COALESCE(CAST(unit_id AS TEXT), '')" } else { "COALESCE(unit_id::text, '')" };
    let cb = if sqlite { "COALESCE(CAST(callback_unit_id AS TEXT), '')" } else { "COALESCE(callback_unit_id::text, '')" };
    let mut out = Vec::new();
    for (dim, key) in [("unit", unit), ("channel", "channel"), ("case_type", "case_type"), ("category", cat), ("callback", cb)] {
        out.push(format!(
            "INSERT INTO fact_rollup (day, dim, key, unit_path, {cols}) SELECT {day}, '{dim}', {key}, COALESCE(unit_path, ''), {sums} \
             FROM case_facts GROUP BY {day}, {key}, COALESCE(unit_path, '')"
        ));
        if dim != "callback" {
            out.push(format!(
                "INSERT INTO fact_buckets (day, dim, key, unit_path, bucket, n) SELECT {day}, '{dim}', {key}, COALESCE(unit_path, ''), handling_bucket, COUNT(*) \
                 FROM case_facts WHERE handling_bucket IS NOT NULL GROUP BY {day}, {key}, COALESCE(unit_path, ''), handling_bucket"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(unit: Option<i64>, values: Vec<i64>, bucket: Option<i64>) -> Snapshot {
        Snapshot {
            day: 20_000,
            unit_id: unit,
            unit_path: unit.map(|u| format!("/1/{u}/")),
            callback_unit_id: None,
            channel: "phone".into(),
            case_type: "complaint".into(),
            catalogue_item: Some("ZS.01.001".into()),
            bucket,
            values,
        }
    }

    #[test]
    fn a_new_case_counts_once_under_each_dimension() {
        let (sums, cells) = deltas(None, &snap(None, vec![1, 0], None));
        let dims: Vec<(&str, &str)> = sums.iter().map(|d| (d.dim, d.key.as_str())).collect();
        assert_eq!(dims, vec![("callback", ""), ("case_type", "complaint"), ("category", "ZS"), ("channel", "phone"), ("unit", "")]);
        assert!(cells.is_empty());
    }

    #[test]
    fn dispatch_moves_the_case_between_units_and_unchanged_dimensions_net_out() {
        let (sums, _) = deltas(Some(&snap(None, vec![1, 0], None)), &snap(Some(4), vec![1, 1], None));
        let unit: Vec<(&str, &[i64])> = sums.iter().filter(|d| d.dim == "unit").map(|d| (d.key.as_str(), d.values.as_slice())).collect();
        assert_eq!(unit, vec![("", &[-1, 0][..]), ("4", &[1, 1][..])]);
        // The channel row: same key, path changed from '' to /1/4/: moved too.
        assert_eq!(sums.iter().filter(|d| d.dim == "channel").count(), 2);
        // Nothing changed: nothing to write.
        let same = snap(Some(4), vec![1, 1], Some(7));
        assert_eq!(deltas(Some(&same), &same), (vec![], vec![]));
    }

    #[test]
    fn closing_adds_a_histogram_cell_and_a_redo_takes_it_back() {
        let open = snap(Some(4), vec![1, 1], None);
        let closed = snap(Some(4), vec![1, 1], Some(30));
        let (_, cells) = deltas(Some(&open), &closed);
        assert_eq!(cells.len(), 4, "one cell per dimension: {cells:?}");
        assert!(cells.iter().all(|c| c.n == 1 && c.bucket == 30));
        let (_, back) = deltas(Some(&closed), &open);
        assert!(back.iter().all(|c| c.n == -1));
    }
}
