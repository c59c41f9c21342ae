//! End-to-end behaviour of the classifier on small synthetic data (fast enough for debug builds).

use std::path::PathBuf;

use minsheng_classify::{
    Document, Error, Example, Model, TrainOptions, cross_validate, evaluate, predict_csv, read_labelled_csv, read_unlabelled_csv, train,
};

const CLASSES: [(&str, &[&str]); 3] = [
    ("城乡建设", &["路灯", "物业", "电梯", "小区", "拆迁", "违建", "停水", "井盖", "维修", "业主"]),
    ("教育文体", &["学校", "老师", "学生", "补课", "幼儿园", "学位", "中考", "招生", "教室", "家长"]),
    ("卫生计生", &["医院", "医生", "看病", "疫苗", "药费", "住院", "护士", "诊所", "病人", "挂号"]),
];
const FILLER: &[&str] = &["请求", "领导", "尽快", "解决", "反映", "市民", "问题", "希望", "处理", "情况"];

/// A deterministic pseudo-random message of class `k`: five class words and three fillers.
fn message(k: usize, seed: u64) -> String {
    let mut s = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
    let mut next = |n: usize| {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((s >> 33) as usize) % n
    };
    let words = CLASSES[k].1;
    let mut parts: Vec<&str> = (0..5).map(|_| words[next(words.len())]).collect();
    for _ in 0..3 {
        let at = next(parts.len() + 1);
        parts.insert(at, FILLER[next(FILLER.len())]);
    }
    parts.join("")
}

fn corpus(per_class: usize, offset: u64) -> Vec<Example> {
    (0..per_class as u64)
        .flat_map(|i| (0..CLASSES.len()).map(move |k| Example::raw(message(k, offset + i * 7 + k as u64), CLASSES[k].0)))
        .collect()
}

fn options() -> TrainOptions {
    TrainOptions { calibration_folds: 3, ..TrainOptions::default() }
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("minsheng-classify-{}-{name}", std::process::id()))
}

#[test]
fn separates_clearly_different_classes_with_probabilities_summing_to_one() -> Result<(), Error> {
    let model = train(&corpus(30, 0), &options())?;
    let held_out = corpus(15, 10_000);
    let e = evaluate(&model, &held_out);
    assert!(e.accuracy >= 0.95, "held-out accuracy {}\n{e}", e.accuracy);
    assert!(e.macro_f1 >= 0.95, "{e}");

    let ranked = model.predict("小区路灯坏了物业不管电梯也停了请领导尽快解决");
    assert_eq!(ranked.len(), 3);
    assert_eq!(ranked[0].0, "城乡建设");
    assert!(ranked[0].1 > 0.5, "{ranked:?}");
    let sum: f64 = ranked.iter().map(|r| r.1).sum();
    assert!((sum - 1.0).abs() < 1e-9, "sum {sum}");
    assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "not sorted: {ranked:?}");
    assert!(ranked.iter().all(|r| (0.0..=1.0).contains(&r.1)));

    let top = model.predict_top("学校老师让学生周末补课", 2);
    assert_eq!(top.len(), 2);
    assert_eq!(top[0].0, "教育文体");
    // Text with no known word still gets a proper distribution.
    let empty = model.predict("");
    assert_eq!(empty.len(), 3);
    assert!((empty.iter().map(|r| r.1).sum::<f64>() - 1.0).abs() < 1e-9);

    // The temperature was fitted on out-of-fold scores and the model carries that evaluation.
    let summary = model.summary();
    assert_eq!(summary.examples, 90);
    assert_eq!(summary.cv_folds, Some(3));
    assert!(summary.cv.as_ref().is_some_and(|cv| cv.accuracy > 0.9));
    assert!(model.temperature() > 0.0);
    Ok(())
}

#[test]
fn segmented_and_raw_inputs_share_the_feature_space() -> Result<(), Error> {
    // Train on segmented text only, predict raw text.
    let segmented: Vec<Example> = corpus(30, 0)
        .into_iter()
        .map(|e| {
            let tokens = minsheng_classify::text::tokens(&e.doc).join(" ");
            Example::segmented(tokens, e.label)
        })
        .collect();
    let model = train(&segmented, &options())?;
    let e = evaluate(&model, &corpus(10, 5_000));
    assert!(e.accuracy >= 0.9, "{e}");
    Ok(())
}

#[test]
fn save_and_load_round_trip_gives_identical_predictions() -> Result<(), Error> {
    let model = train(&corpus(20, 0), &options())?;
    let path = temp_path("model.json");
    model.save(&path)?;
    let loaded = Model::load(&path)?;
    std::fs::remove_file(&path).ok();
    for i in 0..10 {
        let text = message(i % 3, 77_000 + i as u64);
        assert_eq!(model.predict(&text), loaded.predict(&text));
    }
    assert_eq!(model.summary(), loaded.summary());
    assert_eq!(model.labels(), loaded.labels());
    Ok(())
}

#[test]
fn load_rejects_other_format_versions() -> Result<(), Error> {
    let model = train(&corpus(10, 0), &TrainOptions { calibration_folds: 0, ..options() })?;
    let path = temp_path("old-model.json");
    model.save(&path)?;
    let text = std::fs::read_to_string(&path).map_err(|source| Error::Io { path: path.clone(), source })?;
    let old = text.replacen(&format!("\"format_version\":{}", minsheng_classify::FORMAT_VERSION), "\"format_version\":0", 1);
    std::fs::write(&path, old).map_err(|source| Error::Io { path: path.clone(), source })?;
    let err = Model::load(&path);
    std::fs::remove_file(&path).ok();
    assert!(matches!(err, Err(Error::ModelVersion { found: 0, .. })), "{err:?}");
    Ok(())
}

fn write(name: &str, content: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, content).ok();
    path
}

#[test]
fn reads_title_detail_text_and_tokens_csvs() -> Result<(), Error> {
    let td = write(
        "td.csv",
        "msg_id,title,detail,label\n1,小区路灯不亮,晚上出行很不方便,城乡建设\n2,学校乱收补课费,\"家长意见很大，请处理\",教育文体\n",
    );
    let examples = read_labelled_csv(&td)?;
    assert_eq!(examples.len(), 2);
    assert_eq!(examples[0].doc, Document::raw("小区路灯不亮 晚上出行很不方便"));
    assert_eq!(examples[1].label, "教育文体");

    let tk = write("tokens.csv", "\"tokens\",\"label\"\n\"小区 路灯 不亮\",\"城乡建设\"\n");
    let examples = read_labelled_csv(&tk)?;
    assert_eq!(examples, vec![Example::segmented("小区 路灯 不亮", "城乡建设")]);

    // Header names are matched case-insensitively, and a spreadsheet's UTF-8 byte-order mark is ignored.
    let tx = write("text.csv", "\u{feff}Text,Label\n医院看病太贵,卫生计生\n");
    assert_eq!(read_labelled_csv(&tx)?, vec![Example::raw("医院看病太贵", "卫生计生")]);

    // For prediction the label column is optional.
    let unl = write("unlabelled.csv", "title,detail\n小区路灯不亮,晚上很黑\n");
    let docs = read_unlabelled_csv(&unl)?;
    assert_eq!(docs, vec![(Document::raw("小区路灯不亮 晚上很黑"), None)]);
    for p in [td, tk, tx, unl] {
        std::fs::remove_file(p).ok();
    }
    Ok(())
}

#[test]
fn bad_csvs_give_readable_errors() {
    let no_label = write("nolabel.csv", "text,category\n路灯不亮,城乡建设\n");
    let err = read_labelled_csv(&no_label);
    assert!(matches!(err, Err(Error::NoLabelColumn { .. })), "{err:?}");
    assert!(err.as_ref().err().is_some_and(|e| e.to_string().contains("no `label` column")));

    let no_text = write("notext.csv", "body,label\n路灯不亮,城乡建设\n");
    assert!(matches!(read_labelled_csv(&no_text), Err(Error::NoTextColumn { .. })));

    let empty_label = write("emptylabel.csv", "text,label\n路灯不亮,城乡建设\n学校收费,\n");
    let err = read_labelled_csv(&empty_label);
    assert!(matches!(err, Err(Error::MissingLabel { line: 3, .. })), "{err:?}");
    assert!(err.err().is_some_and(|e| e.to_string().contains("line 3")));

    assert!(matches!(read_labelled_csv(temp_path("does-not-exist.csv")), Err(Error::Io { .. })));
    for p in [no_label, no_text, empty_label] {
        std::fs::remove_file(p).ok();
    }
}

#[test]
fn predict_csv_keeps_rows_and_adds_prediction_columns() -> Result<(), Error> {
    let model = train(&corpus(20, 0), &options())?;
    let input = write("in.csv", "msg_id,title,detail,likes\n7,小区路灯坏了,物业不管,3\n8,\"学校, 老师\",学生补课,0\n");
    let output = temp_path("out.csv");
    assert_eq!(predict_csv(&model, &input, &output)?, 2);
    let mut reader = csv::Reader::from_path(&output).map_err(|source| Error::Csv { path: output.clone(), source })?;
    let headers = reader.headers().map_err(|source| Error::Csv { path: output.clone(), source })?.clone();
    assert_eq!(headers.iter().collect::<Vec<_>>(), ["msg_id", "title", "detail", "likes", "predicted", "confidence"]);
    let rows: Vec<csv::StringRecord> =
        reader.records().collect::<Result<_, _>>().map_err(|source| Error::Csv { path: output.clone(), source })?;
    assert_eq!(rows[0].iter().take(4).collect::<Vec<_>>(), ["7", "小区路灯坏了", "物业不管", "3"]);
    assert_eq!(&rows[1][1], "学校, 老师");
    assert_eq!(&rows[0][4], "城乡建设");
    assert_eq!(&rows[1][4], "教育文体");
    let confidence: f64 = rows[0][5].parse().unwrap_or(-1.0);
    assert!(confidence > 1.0 / 3.0 && confidence <= 1.0, "{confidence}");
    std::fs::remove_file(input).ok();
    std::fs::remove_file(output).ok();
    Ok(())
}

#[test]
fn cross_validation_is_grouped_and_checks_its_folds() -> Result<(), Error> {
    let mut examples = corpus(12, 0);
    // Exact and near copies must not inflate the score; they only need to stay in one fold.
    examples.extend(corpus(4, 0));
    let e = cross_validate(&examples, 3, &TrainOptions { calibration_folds: 2, ..options() })?;
    assert_eq!(e.examples, examples.len());
    assert!(e.macro_f1 > 0.8, "{e}");
    let table = e.to_string();
    assert!(table.contains("城乡建设") && table.contains("precision"), "{table}");

    assert!(matches!(cross_validate(&examples, 1, &options()), Err(Error::BadFolds { .. })));
    let single = vec![Example::raw("路灯", "城乡建设")];
    assert!(matches!(train(&single, &options()), Err(Error::TooFewLabels { found: 1 })));
    assert!(matches!(train(&[], &options()), Err(Error::NoExamples)));
    Ok(())
}
