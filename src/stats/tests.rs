//! The `/stats` text on the fixed data set, the chart and the exports read back.

use chrono::TimeZone;

use super::fixture::report_month;
use super::render::{Names, stats_text};
use super::{chart, export, gather};
use crate::domain::NodeCode;
use crate::domain::period::Period;
use crate::domain::stats::Reporter;
use crate::i18n::Locale;

const SH: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn code(s: &str) -> NodeCode {
    NodeCode::parse(s).unwrap()
}

fn names() -> Names {
    [
        ("xq", "西区"),
        ("xq.hmk", "河门口<街道>"),
        ("xq.qxp", "清香坪街道"),
    ]
    .into_iter()
    .map(|(c, n)| (code(c), n.to_string()))
    .collect()
}

fn june_5() -> i64 {
    SH.with_ymd_and_hms(2024, 6, 5, 9, 0, 0)
        .unwrap()
        .timestamp()
}

async fn may(l: Locale) -> (super::Report, String) {
    let records = report_month();
    let period = Period::parse("2024-05", SH, 0).unwrap();
    let report = gather(&records, &code("xq"), period, SH, june_5())
        .await
        .unwrap();
    let text = stats_text(l, &report.figures, &report.previous, &names());
    (report, text)
}

#[tokio::test]
async fn golden_stats_zh() {
    let (_, text) = may(Locale::Zh).await;
    assert_eq!(text, GOLDEN_ZH);
}

#[tokio::test]
async fn golden_stats_en() {
    let (_, text) = may(Locale::En).await;
    assert_eq!(text, GOLDEN_EN);
}

/// Checked by hand: 1,494/1,557 = 95.95…% shows as 95.9% (truncated, as the report);
/// (1,587 − 1,739)/1,739 = −8.74% → −8.7%; 90/95 = 94.7%; 417/420 = 99.2%.
const GOLDEN_ZH: &str = concat!(
    "📊 <b>西区 <code>xq</code> 统计</b>\n",
    "2024-05-01–2024-05-31\n",
    "\n",
    "新增 1,587 · 已解决 1,494 · 调解未成 63 · 已办结 0 · 在办 30 · 超期 30\n",
    "环比：新增 −8.7%，已解决 −14.0%\n",
    "矛盾纠纷化解成功率 95.9%（1,494/1,557）\n",
    "群众满意率 94.7%（90/95） · 回访应答率 95.0%（95/100）\n",
    "挂牌督办 5 件，按期完成 4 件\n",
    "警情提示 3 条 · 送达率 99.2% · 确认率 80.0%\n",
    "\n",
    "<b>按类别</b>（新增/已解决/在办/超期 · 环比）\n",
    "矛盾纠纷 1,557/1,494/0/0 · −10.4%\n",
    "安全隐患 30/0/30/30 · —\n",
    "\n",
    "<b>按层级</b>\n",
    "日常琐事 1,553/1,490/0/0\n",
    "专业难事 30/0/30/30\n",
    "重点大事 4/4/0/0\n",
    "\n",
    "<b>按下级</b>\n",
    "河门口&lt;街道&gt; <code>xq.hmk</code>\n",
    "  新增 1,030 · 已解决 960 · 调解未成 40 · 已办结 0 · 在办 30 · 超期 30 · 化解率 96.0%\n",
    "清香坪街道 <code>xq.qxp</code>\n",
    "  新增 557 · 已解决 534 · 调解未成 23 · 已办结 0 · 在办 0 · 超期 0 · 化解率 95.8%"
);
const GOLDEN_EN: &str = concat!(
    "📊 <b>Statistics of 西区 <code>xq</code></b>\n",
    "2024-05-01–2024-05-31\n",
    "\n",
    "new 1,587 · resolved 1,494 · failed 63 · closed 0 · open 30 · overdue 30\n",
    "vs previous period: new −8.7%, resolved −14.0%\n",
    "Dispute mediation success 95.9% (1,494/1,557)\n",
    "Satisfaction 94.7% (90/95) · follow-ups answered 95.0% (95/100)\n",
    "Supervised 5, done on time 4\n",
    "Alerts 3 · delivered 99.2% · acknowledged 80.0%\n",
    "\n",
    "<b>By category</b> (new/resolved/open/overdue · change)\n",
    "dispute 1,557/1,494/0/0 · −10.4%\n",
    "hazard 30/0/30/30 · —\n",
    "\n",
    "<b>By tier</b>\n",
    "everyday 1,553/1,490/0/0\n",
    "specialised 30/0/30/30\n",
    "major 4/4/0/0\n",
    "\n",
    "<b>By node</b>\n",
    "河门口&lt;街道&gt; <code>xq.hmk</code>\n",
    "  new 1,030 · resolved 960 · failed 40 · closed 0 · open 30 · overdue 30 · mediation 96.0%\n",
    "清香坪街道 <code>xq.qxp</code>\n",
    "  new 557 · resolved 534 · failed 23 · closed 0 · open 0 · overdue 0 · mediation 95.8%"
);

#[tokio::test]
async fn chart_is_a_png_of_the_expected_size() {
    let (report, _) = may(Locale::Zh).await;
    let bytes = chart::monthly_png(Locale::Zh, &report.figures, &names()).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(&bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (chart::WIDTH, chart::HEIGHT));
    // Something was drawn: not every pixel is the white background.
    let non_white = buf[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p != &[255, 255, 255])
        .count();
    assert!(non_white > 10_000, "{non_white} drawn pixels");
}

#[tokio::test]
async fn workbook_reads_back_cell_by_cell() {
    use calamine::{Data, Reader, Xlsx};
    let (report, _) = may(Locale::Zh).await;
    let records = report_month();
    let period = Period::parse("2024-05", SH, 0).unwrap();
    let cases: Vec<_> = report
        .cases
        .iter()
        .filter(|c| c.opened_at >= period.start)
        .cloned()
        .collect();
    let events: Vec<_> = records
        .events
        .iter()
        .filter(|e| period.contains(e.at))
        .cloned()
        .collect();
    let bytes = export::xlsx(Locale::Zh, SH, &cases, &events, &report.figures, &names())
        .unwrap()
        .bytes;
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["cases", "events", "summary"]);
    let sheet = book.worksheet_range("cases").unwrap();
    assert_eq!(sheet.height(), cases.len() + 1);
    assert_eq!(sheet.get((0, 0)), Some(&Data::String("编号".into())));
    assert_eq!(sheet.get((0, 15)), Some(&Data::String("反映人".into())));
    for (i, c) in cases.iter().enumerate() {
        let row = i + 1;
        assert_eq!(sheet.get((row, 0)), Some(&Data::Float(c.id as f64)));
        assert_eq!(
            sheet.get((row, 1)),
            Some(&Data::String(c.grid_code.to_string()))
        );
        assert_eq!(
            sheet.get((row, 3)),
            Some(&Data::String(c.category.name_zh().into()))
        );
        assert_eq!(
            sheet.get((row, 6)),
            Some(&Data::String(export::local_time(SH, Some(c.opened_at))))
        );
        let reporter = match &c.reporter {
            Reporter::Anonymous => "匿名".to_string(),
            Reporter::Known { name, .. } => name.clone(),
        };
        assert_eq!(sheet.get((row, 15)), Some(&Data::String(reporter)));
        // Text that looks like a formula stays text.
        assert_eq!(sheet.get((row, 16)), Some(&Data::String(c.summary.clone())));
    }
    let ev = book.worksheet_range("events").unwrap();
    assert_eq!(ev.height(), events.len() + 1);
    assert_eq!(ev.get((1, 0)), Some(&Data::Float(events[0].case_id as f64)));
    let summary = book.worksheet_range("summary").unwrap();
    let last = summary.height() - 1;
    assert_eq!(summary.get((last, 1)), Some(&Data::String("合计".into())));
    assert_eq!(summary.get((last, 3)), Some(&Data::Float(1494.0)));
    assert_eq!(summary.get((last, 4)), Some(&Data::Float(63.0)));
    assert_eq!(summary.get((last, 7)), Some(&Data::Float(95.9)));
    assert_eq!(summary.get((1, 0)), Some(&Data::String("xq.hmk".into())));
    assert_eq!(
        summary.get((1, 1)),
        Some(&Data::String("河门口<街道>".into()))
    );
}

#[tokio::test]
async fn csv_has_a_bom_and_hides_anonymous_reporters() {
    let (report, _) = may(Locale::Zh).await;
    let bytes = export::csv(Locale::Zh, SH, &report.cases).unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF]);
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let mut n = 0;
    for (row, case) in rows.records().zip(&report.cases) {
        let row = row.unwrap();
        assert_eq!(&row[0], format!("#{}", case.id));
        match &case.reporter {
            Reporter::Anonymous => assert_eq!(&row[15], "匿名"),
            Reporter::Known { name, .. } => assert_eq!(&row[15], name),
        }
        assert_eq!(&row[16], format!("'{}", case.summary)); // defused formula
        n += 1;
    }
    assert_eq!(n, report.cases.len());
    assert!(!text.contains("900002"), "anonymous reporter's id leaked");
}
