//! The Kubernetes recipe of `deploy/` (docs/scale-out.md), which no cluster
//! runs here: the Indexed Job takes its shard number from
//! `JOB_COMPLETION_INDEX` and its shard count from `completions`, the merge
//! Job merges what the shards write, and both commands, run by `sh` as a
//! pod would run them, give the unsharded run's CSV files. The schema check
//! is `deploy/check-k8s.sh`; the Slurm recipe runs in `deploy/test-slurm.sh`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_norway::Value;

const INDEX: &str = "${JOB_COMPLETION_INDEX}";

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn manifest(name: &str) -> Value {
    let path = repo(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(v["apiVersion"].as_str(), Some("batch/v1"), "{name}");
    assert_eq!(v["kind"].as_str(), Some("Job"), "{name}");
    assert_eq!(
        v["spec"]["template"]["spec"]["restartPolicy"].as_str(),
        Some("Never"),
        "{name}: a Job's pods must not restart in place"
    );
    v
}

/// The one container of a Job.
fn container(job: &Value) -> &Value {
    let containers = job["spec"]["template"]["spec"]["containers"].as_sequence().unwrap();
    assert_eq!(containers.len(), 1);
    &containers[0]
}

/// The shell script that the container runs: `command` and `args` together
/// must be `sh -c SCRIPT`.
fn script(job: &Value) -> String {
    let c = container(job);
    let mut argv: Vec<&str> = Vec::new();
    for key in ["command", "args"] {
        if let Some(seq) = c[key].as_sequence() {
            argv.extend(seq.iter().map(|a| a.as_str().unwrap()));
        }
    }
    assert_eq!(argv.len(), 3, "sh -c SCRIPT, not {argv:?}");
    assert_eq!(&argv[..2], ["sh", "-c"]);
    argv[2].to_string()
}

/// The words of a simple command line as `sh` splits them before expansion:
/// whitespace outside quotes, quotes removed.
fn words(script: &str) -> Vec<String> {
    let (mut words, mut word, mut quote, mut in_word) = (Vec::new(), String::new(), None, false);
    for ch in script.chars() {
        match (quote, ch) {
            (None, '"' | '\'') => (quote, in_word) = (Some(ch), true),
            (Some(q), _) if ch == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            (_, c) => {
                assert!(
                    c != '\\' && c != ';' && c != '|' && c != '&',
                    "a simple command: {script}"
                );
                word.push(c);
                in_word = true;
            }
        }
    }
    assert!(quote.is_none(), "unbalanced quotes: {script}");
    if in_word {
        words.push(word);
    }
    words
}

fn option<'a>(words: &'a [String], name: &str) -> &'a str {
    let i = words
        .iter()
        .position(|w| w == name)
        .unwrap_or_else(|| panic!("no {name} in {words:?}"));
    &words[i + 1]
}

struct Recipe {
    shards: Value,
    merge: Value,
    /// `completions`: the number of shards.
    n: u64,
    shard_words: Vec<String>,
    merge_words: Vec<String>,
}

fn recipe() -> Recipe {
    let shards = manifest("deploy/k8s-indexed-job.yaml");
    let merge = manifest("deploy/k8s-merge-job.yaml");
    let n = shards["spec"]["completions"].as_u64().expect("completions is a number");
    let (shard_words, merge_words) = (words(&script(&shards)), words(&script(&merge)));
    Recipe {
        shards,
        merge,
        n,
        shard_words,
        merge_words,
    }
}

#[test]
fn the_indexed_job_runs_shard_job_completion_index_of_completions() {
    let r = recipe();
    let spec = &r.shards["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    assert!(r.n >= 1);
    let parallelism = spec["parallelism"].as_u64().unwrap_or(1);
    assert!(
        (1..=r.n).contains(&parallelism),
        "parallelism {parallelism} of {} shards",
        r.n
    );

    let w = &r.shard_words;
    assert_eq!(&w[..2], ["mailsim", "run"], "{w:?}");
    assert_eq!(
        option(w, "--shard"),
        format!("{INDEX}/{}", r.n),
        "the N of --shard is completions"
    );
    let out = option(w, "--out");
    assert!(
        out.ends_with(&format!("/{INDEX}")),
        "each index writes its own folder: {out}"
    );
    assert!(w.iter().any(|a| a == "--quiet" || a == "-q"));
}

#[test]
fn the_merge_job_merges_every_folder_the_shards_write_on_the_same_volume() {
    let r = recipe();
    let shard_dir = option(&r.shard_words, "--out")
        .strip_suffix(&format!("/{INDEX}"))
        .unwrap();
    let w = &r.merge_words;
    assert_eq!(w.len(), 4, "mailsim merge OUT SHARDS/*: {w:?}");
    assert_eq!(&w[..2], ["mailsim", "merge"]);
    assert_eq!(w[3], format!("{shard_dir}/*"), "the merge reads where the shards write");
    assert_eq!(
        format!("{}.shards", w[2]),
        shard_dir,
        "OUT and OUT.shards, as in docs/scale-out.md"
    );

    let (a, b) = (container(&r.shards), container(&r.merge));
    assert_eq!(a["image"], b["image"]);
    assert_eq!(a["volumeMounts"], b["volumeMounts"]);
    let volumes = |job: &Value| job["spec"]["template"]["spec"]["volumes"].clone();
    assert_eq!(volumes(&r.shards), volumes(&r.merge));
    let mounts = a["volumeMounts"].as_sequence().unwrap();
    assert!(
        mounts
            .iter()
            .any(|m| shard_dir.starts_with(m["mountPath"].as_str().unwrap())),
        "{shard_dir} is on the shared volume"
    );
}

#[test]
fn the_indexed_job_cuts_its_scenario_into_equal_shards() {
    let r = recipe();
    let scenario = &r.shard_words[2];
    let name = Path::new(scenario).file_name().unwrap().to_str().unwrap();
    let text = std::fs::read_to_string(repo(&format!("scenarios/{name}"))).unwrap();
    let toml: toml::Value = toml::from_str(&text).unwrap();
    let pools = toml["evaluator"]["pools"].as_integer().unwrap() as u64;
    assert!(r.n <= pools, "run --shard refuses {} shards of {pools} pools", r.n);
    assert_eq!(pools % r.n, 0, "{pools} pools in {} shards are unequal", r.n);
}

/// Both containers' commands, run by `sh` as the pods would (with a small
/// scenario and a temporary folder in place of the image's and the volume's
/// paths), merge to the unsharded run's CSV files.
#[test]
fn the_pods_commands_run_by_sh_merge_to_the_unsharded_run() {
    let r = recipe();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_mailsim"), bin.join("mailsim")).unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());

    // deploy/test-slurm.toml, with as many pools as the Job has shards.
    let small = std::fs::read_to_string(repo("deploy/test-slurm.toml")).unwrap();
    assert!(small.contains("\npools = 4\n"));
    let scenario = dir.path().join("scenario.toml");
    std::fs::write(
        &scenario,
        small.replace("\npools = 4\n", &format!("\npools = {}\n", r.n)),
    )
    .unwrap();

    let image_scenario = r.shard_words[2].clone();
    let results = container(&r.shards)["volumeMounts"][0]["mountPath"]
        .as_str()
        .unwrap()
        .to_string();
    let local = |script: String| {
        script
            .replace(&image_scenario, scenario.to_str().unwrap())
            .replace(&results, dir.path().join("results").to_str().unwrap())
    };
    let sh = |script: &str, index: Option<u64>| {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script])
            .env("PATH", &path)
            .env_remove("JOB_COMPLETION_INDEX");
        if let Some(i) = index {
            cmd.env("JOB_COMPLETION_INDEX", i.to_string());
        }
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{script}: {}", String::from_utf8_lossy(&o.stderr));
    };
    let shard_script = local(script(&r.shards));
    for i in 0..r.n {
        sh(&shard_script, Some(i));
    }
    sh(&local(script(&r.merge)), None);

    let merged = dir
        .path()
        .join("results")
        .join(Path::new(&r.merge_words[2]).strip_prefix(&results).unwrap());
    let whole = dir.path().join("whole");
    let o = Command::new(env!("CARGO_BIN_EXE_mailsim"))
        .args(["run", "-q", "--out"])
        .args([&whole, &scenario])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csvs = |d: &Path| {
        let mut names: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".csv"))
            .collect();
        names.sort();
        names
    };
    let names = csvs(&whole);
    assert!(names.len() >= 7, "{names:?}");
    assert_eq!(csvs(&merged), names);
    for f in &names {
        assert!(
            std::fs::read(whole.join(f)).unwrap() == std::fs::read(merged.join(f)).unwrap(),
            "{f} differs between the merged shards and the unsharded run"
        );
    }
}
