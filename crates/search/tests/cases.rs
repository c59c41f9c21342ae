//! The case index end to end: matching, ranking, filters, updates, persistence, snippets, limits.
// Helpers outside #[test] functions unwrap too; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use minsheng_search::{CaseDoc, CaseIndex, CaseSearch, Error, IndexOptions, MAX_QUERY_CHARS, OpenStatus};

const DAY: i64 = 86_400_000;

fn case(id: i64, title: &str, text: &str) -> CaseDoc {
    CaseDoc {
        id,
        number: format!("HK2026112200{id:04}"),
        version: 1,
        title: title.to_owned(),
        text: text.to_owned(),
        state: "办理中".to_owned(),
        case_type: "投诉".to_owned(),
        channel: "电话".to_owned(),
        unit_paths: vec!["/1/".to_owned()],
        received_at: 1_700_000_000_000 + id * DAY,
        updated_at: 1_700_000_000_000 + id * DAY,
        ..CaseDoc::default()
    }
}

fn index_of(docs: &[CaseDoc]) -> CaseIndex {
    let index = CaseIndex::in_memory().unwrap();
    index.upsert(docs).unwrap();
    index.commit().unwrap();
    index
}

fn text(q: &str) -> CaseSearch {
    CaseSearch { text: Some(q.to_owned()), limit: 10, ..CaseSearch::default() }
}

fn ids(index: &CaseIndex, s: &CaseSearch) -> Vec<i64> {
    index.search(s).unwrap().hits.iter().map(|h| h.id).collect()
}

fn sorted(mut v: Vec<i64>) -> Vec<i64> {
    v.sort_unstable();
    v
}

#[test]
fn bigrams_find_words_that_a_segmenter_would_hide() {
    let index = index_of(&[
        case(1, "反映问题", "我们小区门口路灯灯不亮已经一个月了"),
        case(2, "反映问题", "楼道里的灯泡坏了"),
        case(3, "反映问题", &format!("{}国兴大道施工噪音扰民{}", "前面很长的一段话。".repeat(30), "后面也很长。".repeat(30))),
    ]);
    assert_eq!(ids(&index, &text("路灯")), [1]);
    assert_eq!(ids(&index, &text("灯不亮")), [1]);
    // Bigrams are required, not their order: 路灯灯不亮 has 路灯, 灯不 and 不亮, so it answers 路灯不亮 too.
    assert_eq!(ids(&index, &text("路灯不亮")), [1]);
    assert_eq!(ids(&index, &text("灯泡")), [2]);
}

#[test]
fn every_query_bigram_must_match() {
    let index = index_of(&[case(1, "路灯", "路灯不亮"), case(2, "路灯", "路灯很亮"), case(3, "其他", "不亮的灯")]);
    assert_eq!(ids(&index, &text("路灯不亮")), [1]);
    assert_eq!(sorted(ids(&index, &text("路灯"))), [1, 2]);
    // Words separated by a space are each required, in any field.
    assert_eq!(ids(&index, &text("路灯 很亮")), [2]);
}

#[test]
fn a_word_in_the_middle_of_a_long_text_is_found() {
    let long = format!("{}国兴大道施工噪音扰民{}", "前面很长的一段话。".repeat(30), "后面也很长。".repeat(30));
    let index = index_of(&[case(1, "反映问题", &long), case(2, "反映问题", "别的事情")]);
    assert_eq!(ids(&index, &text("施工噪音")), [1]);
    let hit = &index.search(&text("施工噪音")).unwrap().hits[0];
    assert!(hit.snippet.contains("<mark>施工噪音</mark>"), "{}", hit.snippet);
    assert!(hit.snippet.starts_with('…') && hit.snippet.ends_with('…'), "{}", hit.snippet);
}

#[test]
fn single_character_queries_match_inside_bigrams() {
    let index = index_of(&[case(1, "反映", "3号楼漏水"), case(2, "反映", "楼道漏水"), case(3, "反映", "其他")]);
    assert_eq!(sorted(ids(&index, &text("水"))), [1, 2]);
    assert_eq!(ids(&index, &text("3号")), [1]);
}

#[test]
fn a_title_match_ranks_above_a_passing_mention() {
    let filler = "居民反映的情况比较复杂，涉及多个部门，需要协调处理，".repeat(10);
    let index = index_of(&[
        case(1, "关于多个问题的反映", &format!("{filler}另外小区噪音也有。{filler}")),
        case(2, "小区噪音扰民", "晚上施工，请处理"),
        case(3, "无关", "无关的内容"),
    ]);
    let hits = index.search(&text("噪音")).unwrap().hits;
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 1]);
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn replies_and_addresses_are_searchable() {
    let mut with_reply = case(1, "咨询", "请问办理流程");
    with_reply.replies = vec!["已转交市社保局答复".to_owned()];
    let mut with_address = case(2, "投诉", "施工扰民");
    with_address.address = Some("龙华区金贸街道国贸大道18号".to_owned());
    let index = index_of(&[with_reply, with_address, case(3, "其他", "其他")]);
    assert_eq!(ids(&index, &text("社保局")), [1]);
    assert_eq!(ids(&index, &text("国贸大道")), [2]);
    assert_eq!(ids(&index, &text("国贸大道 扰民")), [2]);
}

#[test]
fn case_numbers_and_phone_numbers_match_exactly() {
    let mut a = case(1, "反映", "联系电话13812345678，尽快处理");
    a.number = "HK20261122000123".to_owned();
    let mut b = case(2, "反映", "联系电话13812345679");
    b.number = "HK20261122000124".to_owned();
    let index = index_of(&[a, b]);
    assert_eq!(ids(&index, &text("HK20261122000123")), [1]);
    assert_eq!(ids(&index, &text("hk20261122000124")), [2]);
    assert_eq!(ids(&index, &text("ＨＫ２０２６１１２２０００１２３")), [1], "full-width input folds");
    assert_eq!(ids(&index, &text("13812345678")), [1]);
    assert_eq!(index.search(&text("1381234")).unwrap().total, 0, "numbers match whole, not by prefix");
    let hit = &index.search(&text("13812345678")).unwrap().hits[0];
    assert_eq!(hit.number, "HK20261122000123");
    assert_eq!(hit.snippet, "联系电话138****5678，尽快处理", "phones are masked in snippets unless asked for");
    let full = CaseSearch { show_phones: true, ..text("13812345678") };
    assert_eq!(index.search(&full).unwrap().hits[0].snippet, "联系电话<mark>13812345678</mark>，尽快处理");
}

fn filtered_corpus() -> CaseIndex {
    let mut docs = Vec::new();
    let specs = [
        // id, state, type, channel, catalogue, unit path, division
        (1, "办理中", "投诉", "电话", "A010203", "/1/5/9/", "/460100/460106/"),
        (2, "已办结", "投诉", "电话", "A010301", "/1/5/", "/460100/460106/"),
        (3, "办理中", "咨询", "网站", "B0201", "/1/6/", "/460100/460108/"),
        (4, "待派单", "建议", "微信", "A0102", "/1/56/", "/460100/460106/"),
        (5, "办理中", "投诉", "电话", "A010203", "/1/6/12/", "/460100/460107/"),
    ];
    for (id, state, case_type, channel, item, unit, division) in specs {
        let mut d = case(id, "路灯问题", "路灯不亮");
        d.state = state.to_owned();
        d.case_type = case_type.to_owned();
        d.channel = channel.to_owned();
        d.catalogue_item = Some(item.to_owned());
        d.unit_paths = vec![unit.to_owned()];
        d.division_path = Some(division.to_owned());
        docs.push(d);
    }
    // A case with two units: led by /1/6/, handled with /1/5/9/.
    let mut shared = case(6, "路灯问题", "路灯不亮");
    shared.unit_paths = vec!["/1/6/".to_owned(), "/1/5/9/".to_owned()];
    docs.push(shared);
    index_of(&docs)
}

#[test]
fn state_type_and_channel_filters() {
    let index = filtered_corpus();
    let s = |f: fn(&mut CaseSearch)| {
        let mut s = text("路灯");
        f(&mut s);
        sorted(ids(&index, &s))
    };
    assert_eq!(s(|s| s.states = vec!["办理中".into()]), [1, 3, 5, 6]);
    assert_eq!(s(|s| s.states = vec!["已办结".into(), "待派单".into()]), [2, 4]);
    assert_eq!(s(|s| s.case_type = Some("咨询".into())), [3]);
    assert_eq!(s(|s| s.channel = Some("电话".into())), [1, 2, 5, 6]);
    assert_eq!(
        s(|s| {
            s.channel = Some("电话".into());
            s.states = vec!["办理中".into()];
            s.case_type = Some("投诉".into());
        }),
        [1, 5, 6]
    );
}

#[test]
fn unit_subtree_filter_excludes_siblings() {
    let index = filtered_corpus();
    let under = |path: &str| {
        let mut s = text("路灯");
        s.unit_path_prefix = Some(path.to_owned());
        sorted(ids(&index, &s))
    };
    assert_eq!(under("/1/5/"), [1, 2, 6], "/1/56/ is a sibling, not a child, of /1/5/");
    assert_eq!(under("/1/5/9/"), [1, 6]);
    assert_eq!(under("/1/56/"), [4]);
    assert_eq!(under("1/6"), [3, 5, 6], "paths are normalised");
    assert_eq!(under("/1/"), [1, 2, 3, 4, 5, 6]);
    assert_eq!(under("/2/"), Vec::<i64>::new());
    let mut s = text("路灯");
    s.division_prefix = Some("/460100/460106/".to_owned());
    assert_eq!(sorted(ids(&index, &s)), [1, 2, 4]);
}

#[test]
fn catalogue_prefix_filter() {
    let index = filtered_corpus();
    let under = |code: &str| {
        let mut s = text("路灯");
        s.catalogue_prefix = Some(code.to_owned());
        sorted(ids(&index, &s))
    };
    assert_eq!(under("A010203"), [1, 5]);
    assert_eq!(under("A0102"), [1, 4, 5]);
    assert_eq!(under("A01"), [1, 2, 4, 5]);
    assert_eq!(under("B"), [3]);
    assert_eq!(under("C01"), Vec::<i64>::new());
}

#[test]
fn date_range_is_half_open() {
    let index = filtered_corpus();
    let base = 1_700_000_000_000;
    let between = |from: Option<i64>, to: Option<i64>| {
        let mut s = CaseSearch { limit: 10, received_from: from, received_to: to, ..CaseSearch::default() };
        s.text = Some("路灯".into());
        sorted(ids(&index, &s))
    };
    assert_eq!(between(Some(base + 2 * DAY), Some(base + 4 * DAY)), [2, 3]);
    assert_eq!(between(Some(base + 5 * DAY), None), [5, 6]);
    assert_eq!(between(None, Some(base + 2 * DAY)), [1]);
}

#[test]
fn filters_without_text_list_newest_first() {
    let index = filtered_corpus();
    for blank in [None, Some(""), Some("   "), Some("，。")] {
        let s = CaseSearch { text: blank.map(str::to_owned), states: vec!["办理中".into()], limit: 10, ..CaseSearch::default() };
        let result = index.search(&s).unwrap();
        assert_eq!(result.hits.iter().map(|h| h.id).collect::<Vec<_>>(), [6, 5, 3, 1], "{blank:?}");
        assert_eq!(result.total, 4);
        assert!(result.hits.windows(2).all(|w| w[0].received_at > w[1].received_at));
        assert!(result.hits[0].snippet.starts_with("路灯不亮"), "no marks without a query: {}", result.hits[0].snippet);
    }
    let all = CaseSearch { limit: 2, offset: 1, ..CaseSearch::default() };
    let page = index.search(&all).unwrap();
    assert_eq!((page.total, page.hits.iter().map(|h| h.id).collect::<Vec<_>>()), (6, vec![5, 4]));
}

#[test]
fn total_counts_beyond_the_page() {
    let docs: Vec<CaseDoc> = (1..=30).map(|i| case(i, "噪音", "夜间施工噪音")).collect();
    let index = index_of(&docs);
    let mut s = text("噪音");
    s.limit = 5;
    let r = index.search(&s).unwrap();
    assert_eq!((r.total, r.hits.len()), (30, 5));
    s.limit = 0;
    let r = index.search(&s).unwrap();
    assert_eq!((r.total, r.hits.len()), (30, 0));
}

#[test]
fn upsert_replaces_and_respects_versions() {
    let index = index_of(&[case(1, "路灯", "路灯不亮"), case(2, "其他", "其他")]);
    let mut newer = case(1, "井盖", "井盖丢失");
    newer.version = 2;
    let stats = index.upsert(&[newer.clone()]).unwrap();
    assert_eq!((stats.written, stats.skipped), (1, 0));
    assert_eq!(index.indexed_version(1).unwrap(), Some(2), "pending writes count");
    assert_eq!(ids(&index, &text("路灯")), [1], "not visible before commit");
    index.commit().unwrap();
    assert_eq!(ids(&index, &text("路灯")), Vec::<i64>::new());
    assert_eq!(ids(&index, &text("井盖")), [1]);
    assert_eq!(index.doc_count(), 2);

    // A replayed older or equal version is skipped, committed or pending.
    let mut older = case(1, "路灯", "路灯不亮");
    older.version = 1;
    assert_eq!(index.upsert(&[older.clone(), newer]).unwrap().skipped, 2);
    let mut v3 = case(1, "窨井", "窨井盖");
    v3.version = 3;
    let mut v4 = case(1, "水管", "水管爆裂");
    v4.version = 4;
    assert_eq!(index.upsert(&[v3, v4, older]).unwrap().written, 2);
    index.commit().unwrap();
    assert_eq!(ids(&index, &text("水管")), [1]);
    assert_eq!(ids(&index, &text("窨井")), Vec::<i64>::new());
    assert_eq!(index.doc_count(), 2);
    assert_eq!(index.indexed_version(1).unwrap(), Some(4));
}

#[test]
fn delete_removes() {
    let index = index_of(&[case(1, "路灯", "路灯不亮"), case(2, "路灯", "路灯坏了")]);
    index.delete(1).unwrap();
    assert_eq!(index.indexed_version(1).unwrap(), None);
    index.commit().unwrap();
    assert_eq!(ids(&index, &text("路灯")), [2]);
    assert_eq!(index.doc_count(), 1);
    // Deleted, then written again with any version.
    index.upsert(&[case(1, "路灯", "路灯不亮")]).unwrap();
    index.commit().unwrap();
    assert_eq!(sorted(ids(&index, &text("路灯"))), [1, 2]);
}

#[test]
fn clear_swaps_in_a_rebuild_at_the_next_commit() {
    let index = index_of(&[case(1, "路灯", "路灯不亮"), case(2, "路灯", "路灯坏了")]);
    index.commit_with_checkpoint("event:10").unwrap();
    index.clear().unwrap();
    assert_eq!(index.checkpoint().unwrap(), None);
    assert_eq!(index.doc_count(), 2, "searchers see the old index during the rebuild");
    // The same version as before is written, since the cleared documents no longer count.
    assert_eq!(index.upsert(&[case(2, "路灯", "路灯坏了"), case(3, "噪音", "噪音")]).unwrap().written, 2);
    index.commit_with_checkpoint("event:12").unwrap();
    assert_eq!(sorted(ids(&index, &CaseSearch { limit: 10, ..CaseSearch::default() })), [2, 3]);
    assert_eq!(index.checkpoint().unwrap().as_deref(), Some("event:12"));
}

#[test]
fn reopening_from_disk_keeps_documents_and_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = CaseIndex::open(dir.path(), &IndexOptions::small()).unwrap();
        assert_eq!(index.open_status(), &OpenStatus::Created);
        assert_eq!(index.checkpoint().unwrap(), None);
        index.upsert(&[case(1, "路灯", "路灯不亮"), case(2, "噪音", "噪音扰民")]).unwrap();
        index.commit_with_checkpoint("event:42").unwrap();
        index.delete(2).unwrap();
        index.commit().unwrap();
    }
    let index = CaseIndex::open(dir.path(), &IndexOptions::small()).unwrap();
    assert_eq!(index.open_status(), &OpenStatus::Opened);
    assert_eq!(index.checkpoint().unwrap().as_deref(), Some("event:42"), "a plain commit keeps the checkpoint");
    assert_eq!(ids(&index, &text("路灯")), [1]);
    assert_eq!(index.doc_count(), 1);
    assert_eq!(index.indexed_version(1).unwrap(), Some(1));
    index.optimize().unwrap();
    assert_eq!(ids(&index, &text("路灯")), [1]);
    assert_eq!(index.checkpoint().unwrap().as_deref(), Some("event:42"));
}

#[test]
fn an_index_of_another_schema_version_is_reset_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = CaseIndex::open(dir.path(), &IndexOptions::small()).unwrap();
        index.upsert(&[case(1, "路灯", "路灯不亮")]).unwrap();
        index.commit_with_checkpoint("event:1").unwrap();
    }
    let marker = dir.path().join(minsheng_search::MARKER_FILE);
    let old = std::fs::read_to_string(&marker).unwrap().replace("\"schema_version\": 1", "\"schema_version\": 0");
    std::fs::write(&marker, old).unwrap();
    let index = CaseIndex::open(dir.path(), &IndexOptions::small()).unwrap();
    assert!(matches!(index.open_status(), OpenStatus::Reset { found } if found.contains("schema 0")), "{:?}", index.open_status());
    assert_eq!(index.doc_count(), 0);
    assert_eq!(index.checkpoint().unwrap(), None, "no checkpoint: the caller rebuilds");
    drop(index);
    assert_eq!(CaseIndex::open(dir.path(), &IndexOptions::small()).unwrap().open_status(), &OpenStatus::Opened);
}

#[test]
fn a_directory_with_other_files_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    assert!(matches!(CaseIndex::open(dir.path(), &IndexOptions::small()), Err(Error::NotAnIndex(_))));
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn snippets_mark_matches_and_escape_html() {
    let index = index_of(&[case(1, "路灯<script>", "<script>alert('x')</script> 小区路灯不亮 & 没人管")]);
    let hit = &index.search(&text("路灯不亮")).unwrap().hits[0];
    assert_eq!(hit.snippet, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; 小区<mark>路灯不亮</mark> &amp; 没人管");
    assert_eq!(hit.title, "路灯<script>", "titles come back as plain text for the caller to escape");
    assert!(!hit.snippet.contains("<script"));
}

#[test]
fn oversized_queries_and_pages_are_refused() {
    let index = index_of(&[case(1, "路灯", "路灯不亮")]);
    let long = "路".repeat(MAX_QUERY_CHARS + 1);
    assert!(matches!(index.search(&text(&long)), Err(Error::QueryTooLong { chars, .. }) if chars == MAX_QUERY_CHARS + 1));
    let at_limit = format!("路灯{}", " ".repeat(MAX_QUERY_CHARS));
    assert_eq!(ids(&index, &text(&at_limit)), [1], "surrounding whitespace does not count");
    assert!(matches!(index.search(&CaseSearch { limit: 101, ..CaseSearch::default() }), Err(Error::InvalidRequest(_))));
    assert!(matches!(index.search(&CaseSearch { limit: 10, offset: 9_995, ..CaseSearch::default() }), Err(Error::InvalidRequest(_))));
    let unindexable = "x".repeat(minsheng_search::tokenizer::MAX_WORD_CHARS + 1);
    assert_eq!(index.search(&text(&unindexable)).unwrap().total, 0, "an unindexable word finds nothing, not everything");
    let mut bad_path = text("路灯");
    bad_path.unit_path_prefix = Some("/".to_owned());
    assert!(matches!(index.search(&bad_path), Err(Error::InvalidRequest(_))));
}

#[test]
fn the_index_is_shared_between_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<CaseIndex>();
    let index = index_of(&[case(1, "路灯", "路灯不亮")]);
    let writer = {
        let index = index.clone();
        std::thread::spawn(move || {
            for i in 2..50 {
                index.upsert(&[case(i, "路灯", "路灯坏了")]).unwrap();
                index.commit().unwrap();
            }
        })
    };
    for _ in 0..50 {
        assert!(index.search(&text("路灯")).unwrap().total >= 1);
    }
    writer.join().unwrap();
    assert_eq!(index.search(&text("路灯")).unwrap().total, 49);
}

#[test]
fn newest_first_over_many_matches_equals_a_full_sort() {
    // Enough cases that listings look in a recent window first; times shuffled against ids, and the
    // newest sixth all in another state so a filtered listing must widen its window several times.
    let n: i64 = 30_000;
    let base = 1_700_000_000_000;
    let docs: Vec<CaseDoc> = (1..=n)
        .map(|id| {
            let slot = id * 7_919 % n;
            let mut d = case(id, "事项", "内容");
            d.received_at = base + slot * 60_000;
            d.state = if slot >= n - 5_000 { "办理中" } else { "已办结" }.to_owned();
            d
        })
        .collect();
    let mut expected = docs.clone();
    expected.sort_by_key(|d| std::cmp::Reverse(d.received_at));
    let index = index_of(&docs);
    let page = |states: Vec<String>, offset: usize, from: Option<i64>, to: Option<i64>| {
        let s = CaseSearch { states, limit: 10, offset, received_from: from, received_to: to, ..CaseSearch::default() };
        let r = index.search(&s).unwrap();
        (r.total, r.hits.iter().map(|h| h.id).collect::<Vec<_>>())
    };
    let want = |pred: &dyn Fn(&CaseDoc) -> bool, offset: usize| {
        let matching: Vec<i64> = expected.iter().filter(|d| pred(d)).map(|d| d.id).collect();
        (matching.len(), matching[offset..offset + 10].to_vec())
    };
    assert_eq!(page(vec![], 0, None, None), want(&|_| true, 0));
    assert_eq!(page(vec![], 995, None, None), want(&|_| true, 995));
    assert_eq!(page(vec!["已办结".into()], 0, None, None), want(&|d| d.state == "已办结", 0));
    assert_eq!(page(vec!["已办结".into()], 40, None, None), want(&|d| d.state == "已办结", 40));
    let (from, to) = (base + 1_000 * 60_000, base + 26_000 * 60_000);
    assert_eq!(page(vec![], 0, Some(from), Some(to)), want(&|d| d.received_at >= from && d.received_at < to, 0));
}
