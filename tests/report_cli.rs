//! Charts, report and summary from the command line: written by `run` by
//! default, rebuilt by `report`, summarised as text or JSON.

use std::path::Path;
use std::process::{Command, Output};

fn mailsim(args: &[&str], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(args)
        .arg(out)
        .output()
        .unwrap()
}

const CHARTS: [&str; 5] = [
    "sync_delay_cdf",
    "evaluator_load",
    "evaluator_wait",
    "evaluator_wait_spectrum",
    "outcomes",
];

#[test]
fn run_writes_charts_report_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = mailsim(&["run", "tests/data/small.toml", "--replications", "2", "--out"], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Not a terminal: no progress bar, nothing on stderr.
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    for line in ["Population", "Prompts", "Sync delay", "Evaluator", "Speed", "Report"] {
        assert!(text.contains(line), "summary lacks {line}:\n{text}");
    }
    assert!(text.contains(&out.join("report.html").display().to_string()));
    for chart in CHARTS {
        let png = std::fs::read(out.join(format!("{chart}.png"))).unwrap();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n") && (10_000..5_000_000).contains(&png.len()),
            "{chart}.png"
        );
        let svg = std::fs::read_to_string(out.join(format!("{chart}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>") && svg.contains("small test scenario"));
    }
    for hgrm in [
        "evaluator_wait_pool0.hgrm",
        "evaluator_wait_pool1.hgrm",
        "evaluator_wait_all.hgrm",
    ] {
        let text = std::fs::read_to_string(out.join(hgrm)).unwrap();
        assert!(
            text.starts_with("       Value     Percentile TotalCount 1/(1-Percentile)\n\n"),
            "{hgrm}"
        );
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        html.contains("id=\"chart-evaluator_wait_spectrum\""),
        "the spectrum is not in the report"
    );
    assert!(
        std::fs::read_to_string(out.join("report.html"))
            .unwrap()
            .contains("<h1>small test scenario</h1>")
    );
}

#[test]
fn json_summary_matches_summary_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = mailsim(&["run", "tests/data/small.toml", "--format", "json", "--out"], &out);
    assert!(o.status.success());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut csv = csv::Reader::from_path(out.join("summary.csv")).unwrap();
    let mut checked = 0;
    for row in csv.records() {
        let row = row.unwrap();
        if &row[0] == "all" {
            assert_eq!(json["metrics"][&row[1]], row[2].parse::<u64>().unwrap(), "{}", &row[1]);
            checked += 1;
        }
    }
    assert!(checked >= 18);
    assert_eq!(json["scenario"], "small test scenario");
    assert!(json["outcomes"].as_array().unwrap().len() >= 3);
}

#[test]
fn report_rebuilds_charts_and_report_from_the_csvs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    assert!(
        mailsim(&["run", "tests/data/small.toml", "-q", "--out"], &out)
            .status
            .success()
    );
    let before = std::fs::read(out.join("report.html")).unwrap();
    let svgs_before: Vec<Vec<u8>> = CHARTS
        .iter()
        .map(|c| std::fs::read(out.join(format!("{c}.svg"))).unwrap())
        .collect();
    for chart in CHARTS {
        std::fs::remove_file(out.join(format!("{chart}.png"))).unwrap();
        std::fs::remove_file(out.join(format!("{chart}.svg"))).unwrap();
    }
    std::fs::remove_file(out.join("report.html")).unwrap();
    let o = mailsim(&["report", "--format", "json"], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    assert!(
        std::fs::read(out.join("report.html")).unwrap() == before,
        "rebuilt report differs"
    );
    for (chart, svg_before) in CHARTS.iter().zip(&svgs_before) {
        assert!(
            std::fs::read(out.join(format!("{chart}.svg"))).unwrap() == *svg_before,
            "rebuilt {chart} differs"
        );
    }
    for chart in CHARTS {
        assert!(out.join(format!("{chart}.png")).exists());
    }
}

#[test]
fn report_on_a_folder_that_is_not_an_output_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = mailsim(&["report"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
}

#[test]
fn quiet_prints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let o = mailsim(
        &["run", "tests/data/small.toml", "--quiet", "--out"],
        &dir.path().join("out"),
    );
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty());
}
