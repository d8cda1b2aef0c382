//! `--set key.path=value`: change any key of a scenario file by its dotted
//! path (`evaluator.servers=4`, `tenants[0].changes[1].share=0.5`,
//! `evaluator.service_time.mean=6ms`) before it is validated, so that an
//! override gets exactly the checks the file does.

use toml::{Table, Value};

/// One override: where, and the text of the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// Dotted key path, with `[i]` for array elements.
    pub path: String,
    /// The value as written: a TOML number or boolean, else a string.
    pub value: String,
}

impl Override {
    /// Parses `key.path=value`.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text
            .split_once('=')
            .ok_or_else(|| format!("--set {text}: expected key.path=value, for example evaluator.servers=8"))?;
        if path.trim().is_empty() {
            return Err(format!("--set {text}: the key path is empty"));
        }
        Ok(Override {
            path: path.trim().to_string(),
            value: value.trim().to_string(),
        })
    }
}

/// A value as TOML would read it: integer, float or boolean when it is one,
/// otherwise a string (durations such as `6ms`, policy names).
fn to_value(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Integer(i);
    }
    if let Ok(f) = text.parse::<f64>()
        && text.chars().any(|c| c.is_ascii_digit())
    {
        return Value::Float(f);
    }
    match text {
        "true" => Value::Boolean(true),
        "false" => Value::Boolean(false),
        _ => Value::String(text.trim_matches('"').to_string()),
    }
}

/// Applies the overrides to scenario text and returns the new text.
pub fn apply(text: &str, overrides: &[Override]) -> Result<String, String> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc: Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().trim().to_string())?;
    for o in overrides {
        set(&mut doc, &o.path, to_value(&o.value)).map_err(|e| format!("--set {}={}: {e}", o.path, o.value))?;
    }
    toml::to_string(&doc).map_err(|e| e.to_string())
}

fn set(doc: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    let mut table = doc;
    for (n, part) in parts.iter().enumerate() {
        let last = n + 1 == parts.len();
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => {
                let i = rest
                    .strip_suffix(']')
                    .and_then(|i| i.parse::<usize>().ok())
                    .ok_or(format!("bad index in {part:?}"))?;
                (name, Some(i))
            }
            None => (*part, None),
        };
        if last && index.is_none() {
            table.insert(name.to_string(), value);
            return Ok(());
        }
        let entry = table
            .entry(name.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        let slot = match (entry, index) {
            (Value::Array(items), Some(i)) => {
                let len = items.len();
                items
                    .get_mut(i)
                    .ok_or(format!("{name} has {len} element(s), no [{i}]"))?
            }
            (other, None) => other,
            (_, Some(_)) => return Err(format!("{name} is not an array")),
        };
        if last {
            *slot = value;
            return Ok(());
        }
        table = match slot {
            Value::Table(t) => t,
            _ => return Err(format!("{part} is a value, not a table")),
        };
    }
    Ok(())
}

/// One swept key and the values it takes, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// Dotted key path.
    pub path: String,
    /// Values as written.
    pub values: Vec<String>,
}

/// Parses `key=a..b`, `key=a..b:step`, `key=x,y,z` or `key=x`.
pub fn parse_axis(text: &str) -> Result<Axis, String> {
    let o = Override::parse(text)?;
    let v = o.value.as_str();
    let values = if let Some((a, rest)) = v.split_once("..") {
        let (b, step) = rest.split_once(':').unwrap_or((rest, "1"));
        let parse = |x: &str| {
            x.trim()
                .parse::<i64>()
                .map_err(|_| format!("--set {text}: {x:?} is not a whole number"))
        };
        let (a, b, step) = (parse(a)?, parse(b)?, parse(step)?);
        if step <= 0 || b < a || (b - a) / step > 10_000 {
            return Err(format!(
                "--set {text}: a range needs a <= b and a positive step, at most 10000 values"
            ));
        }
        (0..=(b - a) / step).map(|i| (a + i * step).to_string()).collect()
    } else {
        v.split(',').map(|x| x.trim().to_string()).collect::<Vec<_>>()
    };
    if values.iter().any(|x| x.is_empty()) {
        return Err(format!("--set {text}: an empty value"));
    }
    Ok(Axis { path: o.path, values })
}

/// An SLO bound given on the command line (`run --slo`, `sweep --slo`):
/// `metric<=value` (`max`) or `metric>=value` (`min`).
#[derive(Clone, Debug, PartialEq)]
pub struct SloBound {
    /// Metric name.
    pub metric: String,
    /// `max` or `min`.
    pub bound: &'static str,
    /// The threshold.
    pub limit: f64,
}

impl SloBound {
    /// Parses `metric<=value` or `metric>=value`; the metric must be a key metric.
    pub fn parse(text: &str) -> Result<SloBound, String> {
        let (metric, bound, value) = if let Some((m, v)) = text.split_once("<=") {
            (m, "max", v)
        } else if let Some((m, v)) = text.split_once(">=") {
            (m, "min", v)
        } else {
            return Err(format!("--slo {text}: expected METRIC<=VALUE or METRIC>=VALUE"));
        };
        let metric = metric.trim().to_string();
        if !super::metric_names::metric_names().contains(&metric) {
            return Err(format!(
                "--slo {text}: unknown metric; metrics are {}",
                super::metric_names::METRIC_FORMS
            ));
        }
        let limit = value
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("--slo {text}: {value:?} is not a number"))?;
        Ok(SloBound { metric, bound, limit })
    }

    /// The bound as a `[[slo]]` table of a scenario file.
    pub fn to_toml(&self) -> String {
        format!(
            "\n[[slo]]\nmetric = {:?}\n{} = {:?}\n",
            self.metric, self.bound, self.limit
        )
    }
}

impl std::fmt::Display for SloBound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.bound == "max" { "<=" } else { ">=" };
        write!(f, "{}{op}{}", self.metric, self.limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"name = "x"
[evaluator]
servers = 2
service_time = { dist = "exponential", mean = "5ms" }
[[tenants]]
name = "a"
count = 3
[[tenants.changes]]
at = "1h"
policy = "unmanaged"
"#;

    #[test]
    fn sets_nested_keys_and_array_elements() {
        let sets: Vec<Override> = [
            "evaluator.servers=8",
            "evaluator.service_time.mean=6ms",
            "tenants[0].changes[0].share=0.5",
            "seed=7",
        ]
        .iter()
        .map(|s| Override::parse(s).unwrap())
        .collect();
        let out: Table = apply(TEXT, &sets).unwrap().parse().unwrap();
        assert_eq!(out["evaluator"]["servers"].as_integer(), Some(8));
        assert_eq!(out["evaluator"]["service_time"]["mean"].as_str(), Some("6ms"));
        assert_eq!(out["tenants"][0]["changes"][0]["share"].as_float(), Some(0.5));
        assert_eq!(out["seed"].as_integer(), Some(7));
    }

    #[test]
    fn bad_paths_are_named() {
        let err = apply(TEXT, &[Override::parse("tenants[3].count=1").unwrap()]).unwrap_err();
        assert!(err.contains("tenants has 1 element"), "{err}");
        assert!(Override::parse("servers").is_err());
        let err = apply(TEXT, &[Override::parse("name.x=1").unwrap()]).unwrap_err();
        assert!(err.contains("not a table"), "{err}");
    }
}
