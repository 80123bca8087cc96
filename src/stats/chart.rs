//! The monthly report's chart: cases by category and by child node, resolved
//! against still open, as a PNG. Labels are Chinese, so the font is bundled
//! (Droid Sans Fallback, Apache-2.0, see `assets/fonts/README.md`): the
//! server needs no system font.

use std::sync::Once;

use anyhow::Context;
use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

use super::render::Names;
use crate::domain::stats::{Counts, Figures};
use crate::i18n::Locale;
use crate::tr;

static FONT: &[u8] = include_bytes!("../../assets/fonts/wqy-microhei.ttc");
const FAMILY: &str = "pingan-cjk";

pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 1200;

fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            tracing::error!("the bundled chart font could not be loaded");
        }
    });
}

/// Draws the chart of `f` and encodes it as PNG (`WIDTH`×`HEIGHT`).
pub fn monthly_png(l: Locale, f: &Figures, names: &Names) -> anyhow::Result<Vec<u8>> {
    register();
    let mut rgb = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        let title = tr!(
            l,
            "{} {} 案件统计",
            "{} {} cases",
            names.get(&f.root).map_or(f.root.as_str(), String::as_str),
            f.period.label()
        );
        let root = root
            .titled(&title, (FAMILY, 34).into_font())
            .map_err(draw_err)?;
        let (top, bottom) = root.split_vertically(HEIGHT / 3);
        let categories: Vec<(String, Counts)> = f
            .by_category
            .iter()
            .map(|(c, n)| {
                let name = if l.is_en() { c.name_en() } else { c.name_zh() };
                (name.to_string(), *n)
            })
            .collect();
        bars(l, &top, &tr!(l, "按类别", "By category"), &categories)?;
        let nodes: Vec<(String, Counts)> = f
            .by_child
            .iter()
            .map(|(code, n)| {
                (
                    names.get(code).cloned().unwrap_or_else(|| code.to_string()),
                    *n,
                )
            })
            .collect();
        bars(l, &bottom, &tr!(l, "按下级节点", "By node"), &nodes)?;
        root.present().map_err(draw_err)?;
    }
    encode(&rgb)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart failed: {e:?}")
}

/// Horizontal bars: resolved (green) then open (orange), one row per label.
fn bars(
    l: Locale,
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    caption: &str,
    rows: &[(String, Counts)],
) -> anyhow::Result<()> {
    let n = rows.len().max(1);
    let max = rows
        .iter()
        .map(|(_, c)| c.resolved + c.open)
        .max()
        .unwrap_or(0)
        .max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FAMILY, 26).into_font())
        .margin(16)
        .x_label_area_size(36)
        .y_label_area_size(220)
        .build_cartesian_2d(0u32..max + max / 10 + 1, (0usize..n).into_segmented())
        .map_err(draw_err)?;
    let label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(i) => rows.get(*i).map(|r| r.0.clone()).unwrap_or_default(),
        _ => String::new(),
    };
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&label)
        .label_style((FAMILY, 18).into_font())
        .draw()
        .map_err(draw_err)?;
    let green = RGBColor(46, 139, 87);
    let orange = RGBColor(230, 126, 34);
    let resolved = rows.iter().enumerate().map(|(i, (_, c))| {
        let mut r = Rectangle::new(
            [
                (0, SegmentValue::Exact(i)),
                (c.resolved, SegmentValue::Exact(i + 1)),
            ],
            green.filled(),
        );
        r.set_margin(6, 6, 0, 0);
        r
    });
    chart
        .draw_series(resolved)
        .map_err(draw_err)?
        .label(tr!(l, "已解决", "resolved"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], green.filled()));
    let open = rows.iter().enumerate().map(|(i, (_, c))| {
        let mut r = Rectangle::new(
            [
                (c.resolved, SegmentValue::Exact(i)),
                (c.resolved + c.open, SegmentValue::Exact(i + 1)),
            ],
            orange.filled(),
        );
        r.set_margin(6, 6, 0, 0);
        r
    });
    chart
        .draw_series(open)
        .map_err(draw_err)?
        .label(tr!(l, "在办", "open"))
        .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 16, y + 6)], orange.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font((FAMILY, 18).into_font())
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(draw_err)?;
    Ok(())
}

fn encode(rgb: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().context("PNG header")?;
    writer.write_image_data(rgb).context("PNG data")?;
    writer.finish().context("PNG end")?;
    Ok(out)
}

#[cfg(test)]
mod font_tests {
    /// The chart's labels mix Chinese with dates and numbers: the bundled
    /// font must draw both (a CJK-only fallback font draws digits as boxes).
    #[test]
    fn bundled_font_covers_chinese_latin_and_digits() {
        let face = ttf_parser::Face::parse(super::FONT, 0).expect("the bundled font parses");
        for c in "西区案件统计按类别已解决办结在办0123456789-–.%ABCxyz".chars() {
            assert!(face.glyph_index(c).is_some(), "no glyph for {c:?}");
        }
    }
}
