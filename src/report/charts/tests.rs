//! Unit tests of the chart toolkit and the charts.

use super::*;
use crate::output::results::tests::sample;

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

fn check_folder(dir: &Path, name: &str) {
    for stem in CHART_STEMS {
        let png = std::fs::read(dir.join(format!("{stem}.png"))).unwrap();
        assert_eq!(png_size(&png), (WIDTH, HEIGHT), "{stem}.png");
        assert!(
            png.len() > 10_000 && png.len() < 5_000_000,
            "{stem}.png is {} bytes",
            png.len()
        );
        let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
        let start = svg.trim_start();
        assert!(
            start.starts_with("<svg") || start.starts_with("<?xml"),
            "{stem}.svg: {}",
            &svg[..40]
        );
        assert!(svg.trim_end().ends_with("</svg>"), "{stem}.svg is not closed");
        assert!(svg.contains(name), "{stem}.svg lacks the title");
        assert!(svg.len() < 5_000_000, "{stem}.svg is {} bytes", svg.len());
    }
}

#[test]
fn all_charts_are_written_as_png_and_svg() {
    let (dir, r) = sample("tests/data/small.toml");
    write_charts(&r, dir.path()).unwrap();
    check_folder(dir.path(), &r.run.scenario.name);
}

#[test]
fn an_unmanaged_only_run_still_gets_every_chart() {
    let scenario = tempfile::tempdir().unwrap();
    let file = scenario.path().join("unmanaged.toml");
    std::fs::write(
        &file,
        r#"name = "unmanaged only"
horizon = "6h"
bucket = "30m"
[evaluator]
servers = 1
service_time = { dist = "fixed", value = "10ms" }
[devices]
poll_interval = { dist = "exponential", mean = "30m" }
[[tenants]]
name = "smb"
count = 3
users = { dist = "fixed", value = 4 }
"#,
    )
    .unwrap();
    let (dir, r) = sample(file.to_str().unwrap());
    assert_eq!(r.metric("evaluations"), 0);
    assert_eq!(r.metric("prompts"), 0);
    write_charts(&r, dir.path()).unwrap();
    check_folder(dir.path(), "unmanaged only");
}

/// Redraws the charts of the output folders listed in `MAILSIM_CHART_DIRS`
/// (separated by `:`), for looking at them: `MAILSIM_CHART_DIRS=/tmp/a:/tmp/b
/// cargo test --release --lib charts::tests::redraw -- --ignored`.
#[test]
#[ignore]
fn redraw() {
    let dirs = std::env::var("MAILSIM_CHART_DIRS").unwrap_or_default();
    for dir in dirs.split(':').filter(|d| !d.is_empty()) {
        let r = Results::load(Path::new(dir)).unwrap();
        let t = std::time::Instant::now();
        write_charts(&r, Path::new(dir)).unwrap();
        eprintln!("{dir}: {:?}", t.elapsed());
    }
}

#[test]
fn formats_read_well() {
    assert_eq!(human(1.0), "1 s");
    assert_eq!(human(600.0), "10 min");
    assert_eq!(human(86400.0), "1 d");
    assert_eq!(human(21600.0), "6 h");
    assert_eq!(human(129600.0), "1.5 d");
    assert_eq!(clock(7500.0), "2 h 5 min");
    assert_eq!(clock(129600.0), "1 d 12 h");
    assert_eq!(clock(30.0), "30 s");
    assert_eq!(group_thousands(37393), "37,393");
    assert_eq!(group_thousands(999), "999");
    assert_eq!(fmt_tick(2500.0, 3000.0), "2,500");
    assert_eq!(fmt_tick(8000.0, 25000.0), "8k");
    assert_eq!(fmt_tick(25000.0, 25000.0), "25k");
    assert_eq!(fmt_tick(0.25, 1.0), "0.25");
    assert_eq!(fmt_tick(0.0, 1e6), "0");
    assert_eq!(short_policy("any_app_prompt_always"), "prompt_always");
}

#[test]
fn markers_sit_on_the_line() {
    let pts = [(1.0, 0.0), (100.0, 50.0), (1000.0, 50.0)];
    assert_eq!(value_on_log_line(&pts, 0.5), 0.0);
    assert!((value_on_log_line(&pts, 10.0) - 25.0).abs() < 1e-9);
    assert_eq!(value_on_log_line(&pts, 500.0), 50.0);
    assert_eq!(value_on_log_line(&pts, 5000.0), 50.0);
    assert_eq!(value_on_log_line(&[], 5.0), 0.0);
}

#[test]
fn gaps_split_lines() {
    let s = segments([(0.0, Some(1.0)), (1.0, None), (2.0, Some(2.0)), (3.0, Some(3.0))]);
    assert_eq!(s, vec![vec![(0.0, 1.0)], vec![(2.0, 2.0), (3.0, 3.0)]]);
}

#[test]
fn time_axes_have_a_dozen_ticks_at_most() {
    for h in [600.0, 7200.0, 86400.0, 3.0 * 86400.0, 7.0 * 86400.0, 90.0 * 86400.0] {
        let a = time_axis(h);
        assert!(a.bold.len() >= 2 && a.bold.len() <= 15, "{h}: {:?}", a.bold);
        assert!(*a.bold.last().unwrap() <= a.max + 1e-9);
    }
}

/// The labels of a chart's SVG, each as `>label<` (plotters writes each
/// `<text>` element's content on a line of its own).
fn svg_text(dir: &Path, stem: &str) -> String {
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).unwrap();
    svg.split("<text")
        .skip(1)
        .filter_map(|t| {
            let body = &t[t.find('>')? + 1..t.find("</text>")?];
            Some(format!(">{}<", body.trim()))
        })
        .collect()
}

#[test]
fn the_delay_axis_starts_at_a_millisecond_and_the_tail_is_on_a_log_scale() {
    let (dir, r) = sample("tests/data/small.toml");
    assert_eq!(delay_axis_start(&r), 0.001);
    write_charts(&r, dir.path()).unwrap();
    let svg = svg_text(dir.path(), "sync_delay_cdf");
    for label in [
        ">1 ms<",
        ">10 ms<",
        ">100 ms<",
        ">1 s<",
        "still waiting (%, log)",
        ">10 %<",
    ] {
        assert!(svg.contains(label), "the CDF lacks {label}");
    }
    assert_eq!(waiting_floor(Some(0.052)), 0.01);
    assert_eq!(waiting_floor(None), 1.0);
    let segs = waiting_segments(&[(1.0, 10.0), (2.0, 99.5), (3.0, 100.0), (4.0, 100.0)], 0.1);
    assert_eq!(segs, vec![vec![(1.0, 90.0), (2.0, 0.5), (3.0, 0.1)]]);
}

#[test]
fn the_load_chart_states_the_capacity_it_draws() {
    let (dir, r) = sample("tests/data/small.toml");
    // 2 pools × 1 server ÷ 50 ms.
    let c = Capacity::of(&r).unwrap();
    assert!((c.all() - 40.0).abs() < 1e-9 && (c.per_pool - 20.0).abs() < 1e-9);
    write_charts(&r, dir.path()).unwrap();
    let svg = svg_text(dir.path(), "evaluator_load");
    assert!(
        svg.contains("capacity: 2 pools × 1 server ÷ 50 ms mean service time = 40/s"),
        "the load chart does not state the capacity"
    );
    assert!(svg.contains("busiest pool × 2 pools"), "no busiest pool line");
    assert_eq!(per_s(3200.0), "3,200/s");
    assert_eq!(per_s(33.333), "33.3/s");
    assert!(capacity_in_view(50.0, 20.0) && !capacity_in_view(80.0, 20.0) && !capacity_in_view(5.0, 0.0));
}

#[test]
fn the_wait_charts_mark_queue_timeout_and_draw_the_spectrum() {
    let (dir, r) = sample("tests/data/small.toml");
    assert_eq!(timeout_mark(&r, 2000.0), Some((5000.0, true)));
    assert_eq!(timeout_mark(&r, 100.0), Some((5000.0, false)));
    write_charts(&r, dir.path()).unwrap();
    let spectrum = svg_text(dir.path(), "evaluator_wait_spectrum");
    for label in [
        ">pool 0 (max ",
        ">pool 1 (max ",
        "all 2 pools merged",
        ">90 %<",
        ">99 %<",
    ] {
        assert!(spectrum.contains(label), "the spectrum lacks {label}");
    }
    assert_eq!(percentile_label(1000.0), "99.9 %");
    assert_eq!(percentile_label(1.0), "0 %");
    let (points, max) = spectrum_points(&r.wait_spectra[0]);
    assert!(points.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    assert!(max >= points.last().unwrap().1);
}

#[test]
fn a_folder_without_hgrm_files_still_gets_a_spectrum_chart() {
    let (dir, _) = sample("tests/data/small.toml");
    for f in std::fs::read_dir(dir.path()).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_some_and(|e| e == "hgrm") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let r = Results::load(dir.path()).unwrap();
    assert!(r.wait_spectra.is_empty());
    write_charts(&r, dir.path()).unwrap();
    assert!(svg_text(dir.path(), "evaluator_wait_spectrum").contains("No .hgrm files"));
}

#[test]
fn the_sweep_chart_marks_the_chosen_point_and_every_slo_and_wraps_its_title() {
    use crate::scenario::set::Axis as SweepAxis;
    use crate::stats::sweep::{Point, SweepSlo};
    let name = "capacity stress: a prompt-always wave on far too few evaluators during the busiest week of the quarter";
    let axes = [
        SweepAxis {
            path: "evaluator.servers".into(),
            values: vec!["1".into(), "2".into(), "3".into(), "4".into()],
        },
        SweepAxis {
            path: "replications".into(),
            values: vec!["3".into()],
        },
    ];
    let waits = [(29_999.1, 0.0), (237.95, 27.96), (66.87, 5.55), (22.79, 2.69)];
    let rejected = [0.21, 0.004, 0.0, 0.0];
    let points: Vec<Point> = (0..4)
        .map(|i| Point {
            values: vec![(i + 1).to_string(), "3".into()],
            metrics: [
                ("evaluator.wait_p99_ms".to_string(), (waits[i].0, Some(waits[i].1))),
                ("evaluations_rejected_share".to_string(), (rejected[i], Some(0.0))),
            ]
            .into_iter()
            .collect(),
        })
        .collect();
    let slos = [
        SweepSlo {
            metric: "evaluator.wait_p99_ms".into(),
            bound: "max",
            limit: 50.0,
        },
        SweepSlo {
            metric: "evaluations_rejected_share".into(),
            bound: "max",
            limit: 0.001,
        },
    ];
    let chosen = crate::stats::sweep::cheapest(&points, &slos);
    assert_eq!(chosen, Some(3));
    let dir = tempfile::tempdir().unwrap();
    sweep::write_sweep_chart(dir.path(), name, &axes, &points, &slos, "evaluator.wait_p99_ms", chosen).unwrap();
    let png = std::fs::read(dir.path().join("sweep.png")).unwrap();
    assert_eq!(png_size(&png), (WIDTH, HEIGHT));
    let svg = svg_text(dir.path(), "sweep");
    assert!(
        svg.contains("cheapest meeting every SLO: evaluator.servers=4<"),
        "no chosen mark"
    );
    assert!(svg.contains("SLO: evaluator.wait_p99_ms ≤ 50<"), "no SLO line label");
    assert!(
        svg.contains("evaluations_rejected_share ≤ 0.001"),
        "the other SLO is not stated"
    );
    assert!(!svg.contains('…'), "the title is cut");
    for word in name.split(' ') {
        assert!(svg.contains(word), "the title lacks {word:?}");
    }
    // One series: no legend entry naming it.
    assert!(!svg.contains(">replications=3<"), "a series label for a single line");
    // Round log ticks.
    for tick in [">20<", ">50<", ">100<", ">1k<", ">20k<"] {
        assert!(svg.contains(tick), "no tick {tick}");
    }
}

#[test]
fn log_and_linear_ticks_are_round() {
    use sweep::{fmt_log_tick, linear_ticks, log_ticks};
    let (bold, light) = log_ticks(10.0, 48_000.0);
    assert_eq!(
        bold,
        [
            10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0
        ]
    );
    assert!(light.is_empty());
    let (bold, light) = log_ticks(0.001, 1e6);
    assert_eq!(bold.len(), 10);
    assert!(light.contains(&0.002) && light.contains(&500_000.0));
    assert_eq!(linear_ticks(0.0, 1.12), [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
    assert_eq!(linear_ticks(0.0, 55.0), [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]);
    assert_eq!(fmt_log_tick(0.002), "0.002");
    assert_eq!(fmt_log_tick(20_000.0), "20k");
    assert_eq!(fmt_log_tick(1_500.0), "1.5k");
    assert_eq!(fmt_log_tick(2e6), "2M");
}
