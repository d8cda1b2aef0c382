//! A run split into shards (`run --shard I/N`, separate processes) and
//! merged (`merge`) writes the same CSV and `.hgrm` files, byte for byte, as
//! the run in one process; and merge refuses what it cannot merge exactly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SCENARIO: &str = include_str!("data/sharding.toml");

const CSVS: [&str; 13] = [
    "summary.csv",
    "sync_delay.csv",
    "evaluator.csv",
    "timeseries.csv",
    "outcomes.csv",
    "sync_delay_cdf.csv",
    "timeseries_pools.csv",
    // The scenario has 5 pools, spread over the shards.
    "evaluator_wait_pool0.hgrm",
    "evaluator_wait_pool1.hgrm",
    "evaluator_wait_pool2.hgrm",
    "evaluator_wait_pool3.hgrm",
    "evaluator_wait_pool4.hgrm",
    "evaluator_wait_all.hgrm",
];

fn mailsim(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

struct Setup {
    dir: tempfile::TempDir,
    scenario: PathBuf,
}

fn setup(text: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, text).unwrap();
    Setup { dir, scenario }
}

/// Runs shards `I/N` for every I as separate processes at once; returns their folders.
fn run_shards(s: &Setup, n: u32, extra: &[&str]) -> Vec<PathBuf> {
    let children: Vec<(PathBuf, std::process::Child)> = (0..n)
        .map(|i| {
            let out = s.dir.path().join(format!("shard{i}of{n}{}", extra.join("")));
            let child = Command::new(env!("CARGO_BIN_EXE_mailsim"))
                .args(["run", "-q", "--shard", &format!("{i}/{n}"), "--out"])
                .arg(&out)
                .args(extra)
                .arg(&s.scenario)
                .spawn()
                .unwrap();
            (out, child)
        })
        .collect();
    children
        .into_iter()
        .map(|(out, mut child)| {
            assert!(child.wait().unwrap().success());
            out
        })
        .collect()
}

fn merge(s: &Setup, name: &str, shards: &[PathBuf]) -> (PathBuf, Output) {
    let out = s.dir.path().join(name);
    let mut paths: Vec<&Path> = vec![&out];
    paths.extend(shards.iter().map(|p| p.as_path()));
    let o = mailsim(&["merge", "-q"], &paths);
    (out, o)
}

fn assert_same_csvs(a: &Path, b: &Path) {
    for f in CSVS {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn three_shards_merge_to_the_unsharded_run_in_any_order() {
    for engine in ["fast", "per-connection"] {
        three_shards_merge_on(engine);
    }
}

fn three_shards_merge_on(engine: &str) {
    let s = setup(SCENARIO);
    let whole = s.dir.path().join("whole");
    assert!(
        mailsim(&["run", "-q", "--engine", engine, "--out"], &[&whole, &s.scenario])
            .status
            .success()
    );
    let shards = run_shards(&s, 3, &["--engine", engine]);
    let (merged, o) = merge(&s, "merged", &shards);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_same_csvs(&whole, &merged);
    for chart in ["sync_delay_cdf.png", "evaluator_load.svg", "report.html"] {
        assert!(merged.join(chart).exists(), "merge draws {chart}");
    }
    let reversed: Vec<PathBuf> = shards.iter().rev().cloned().collect();
    let (merged2, o) = merge(&s, "merged2", &reversed);
    assert!(o.status.success());
    assert_same_csvs(&whole, &merged2);
    // The scenario exercises what the raw statistics must carry.
    let summary = std::fs::read_to_string(whole.join("summary.csv")).unwrap();
    for m in ["prompts", "evaluations_rejected", "outcome_switched", "readds"] {
        let v: u64 = summary
            .lines()
            .find(|l| l.starts_with(&format!("all,{m},")))
            .unwrap()
            .rsplit(',')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(v > 0, "{m} is 0");
    }
}

fn refused(o: &Output, words: &str) {
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.starts_with("error: ") && err.contains(words), "{err}");
}

#[test]
fn merge_refuses_what_it_cannot_merge_exactly() {
    let s = setup(SCENARIO);
    let shards = run_shards(&s, 3, &[]);

    let (out, o) = merge(&s, "missing", &shards[..2]);
    refused(&o, "2/3 missing");
    assert!(!out.exists(), "nothing written");

    let (_, o) = merge(
        &s,
        "dup",
        &[
            shards[0].clone(),
            shards[1].clone(),
            shards[1].clone(),
            shards[2].clone(),
        ],
    );
    refused(&o, "both shard 1/3");

    let other_seed = run_shards(&s, 3, &["--seed", "10"]);
    let (_, o) = merge(
        &s,
        "seed",
        &[shards[0].clone(), other_seed[1].clone(), shards[2].clone()],
    );
    refused(&o, "another run");

    let other = setup(&SCENARIO.replace("name = \"sharding test\"", "name = \"another test\""));
    let foreign = run_shards(&other, 3, &[]);
    let (_, o) = merge(
        &s,
        "foreign",
        &[shards[0].clone(), foreign[1].clone(), shards[2].clone()],
    );
    refused(&o, "another run");

    let two = run_shards(&s, 2, &[]);
    let (_, o) = merge(&s, "counts", &[shards[0].clone(), two[1].clone(), shards[2].clone()]);
    refused(&o, "shards");

    let file = shards[1].join("shard.json");
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&file, &bytes).unwrap();
    let (_, o) = merge(&s, "corrupt", &shards);
    refused(&o, "damaged");
    std::fs::write(&file, &bytes[..at]).unwrap();
    let (_, o) = merge(&s, "truncated", &shards);
    refused(&o, "damaged");

    let (_, o) = merge(&s, "not-a-shard", &[s.dir.path().to_path_buf()]);
    refused(&o, "cannot read");

    // Two engines draw different sample paths: their shards do not merge.
    let reference = run_shards(&s, 3, &["--engine", "per-connection"]);
    let fast = run_shards(&s, 3, &["--engine", "fast"]);
    let (_, o) = merge(&s, "engines", &[fast[0].clone(), reference[1].clone(), fast[2].clone()]);
    refused(&o, "one engine");
}

#[test]
fn more_shards_than_pools_is_bad_input() {
    let s = setup(SCENARIO);
    let o = mailsim(
        &["run", "--shard", "0/6", "--out"],
        &[&s.dir.path().join("x"), &s.scenario],
    );
    refused(&o, "only 5 pool(s)");
    let o = mailsim(
        &["run", "--shard", "3/3", "--out"],
        &[&s.dir.path().join("x"), &s.scenario],
    );
    assert_eq!(o.status.code(), Some(2));
}
