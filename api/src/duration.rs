//! Durations as Kubernetes tools write them, for every flag of every multicloud binary: Go's
//! syntax (`500ms`, `30s`, `1.5m`, `1h30m`, as kubectl's `--request-timeout`) or a bare number
//! of seconds (`90`, `0.5`).

use std::time::Duration;

/// Parses a duration; `0` is zero, and callers that need more say so.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let invalid = || format!("`{text}` is not a duration; use e.g. 500ms, 30s, 5m or 1h30m");
    if text.is_empty() {
        return Err(invalid());
    }
    let mut seconds = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        // `str::parse::<f64>` also takes signs, exponents, `inf` and `NaN`; only digits with
        // at most one point reach it.
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            // A bare number is seconds, but only alone: `1m30` is a typo, not 1m30s.
            "" if number_len == text.len() => 1.0,
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(invalid()),
        };
        seconds += value * scale;
        rest = &rest[unit_len..];
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is too long a duration"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_go_durations_and_bare_seconds() {
        for (text, expected) in [
            ("90", Duration::from_secs(90)),
            ("0.5", Duration::from_millis(500)),
            ("0", Duration::ZERO),
            ("30s", Duration::from_secs(30)),
            ("0.5s", Duration::from_millis(500)),
            ("250ms", Duration::from_millis(250)),
            ("1.5m", Duration::from_secs(90)),
            ("1m30s", Duration::from_secs(90)),
            ("2h", Duration::from_secs(7200)),
            ("1h30m", Duration::from_secs(5400)),
            (" 10s ", Duration::from_secs(10)),
        ] {
            assert_eq!(parse(text), Ok(expected), "{text:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "", "s", "5x", "-3s", "+3s", "m5", "1m30", "1..5s", ".", "1e3", "inf", "NaN", "3d",
        ] {
            assert_eq!(
                parse(bad),
                Err(format!(
                    "`{}` is not a duration; use e.g. 500ms, 30s, 5m or 1h30m",
                    bad.trim()
                )),
                "{bad:?}"
            );
        }
        assert!(parse(&"9".repeat(400)).is_err_and(|e| e.contains("too long")));
    }
}
