//! Durations and ages as kubectl prints them (`45s`, `3m12s`, `5h`, `12d`); flags are read by
//! `multicloud_api::duration::parse`.

use std::time::Duration;

/// An age in kubectl's short form (apimachinery's `HumanDuration`): `45s`, `3m12s`, `15m`,
/// `1h30m`, `12h`, `3d4h`, `20d`, `2y100d`.
pub fn human_age(age: Duration) -> String {
    let seconds = age.as_secs();
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    let days = hours / 24;
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{days}d"),
            h => format!("{days}d{h}h"),
        };
    }
    if days < 365 * 2 {
        return format!("{days}d");
    }
    let years = days / 365;
    if years < 8 {
        return match days % 365 {
            0 => format!("{years}y"),
            d => format!("{years}y{d}d"),
        };
    }
    format!("{years}y")
}

/// How long ago `then` was at `now`; `None` for a time in the future.
pub fn age(
    now: k8s_openapi::jiff::Timestamp,
    then: k8s_openapi::jiff::Timestamp,
) -> Option<Duration> {
    Duration::try_from(now.duration_since(then)).ok()
}

/// A duration for messages: `1m30s`, `45s`, `500ms`.
pub fn human_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        return format!("{}ms", duration.as_millis());
    }
    let s = duration.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, 0, _) => format!("{h}h"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let age = |s| human_age(Duration::from_secs(s));
        assert_eq!(age(42), "42s");
        assert_eq!(age(119), "119s");
        assert_eq!(age(120), "2m");
        assert_eq!(age(192), "3m12s");
        assert_eq!(age(900), "15m");
        assert_eq!(age(5400), "90m");
        assert_eq!(age(4 * 3600 + 1800), "4h30m");
        assert_eq!(age(20 * 3600), "20h");
        assert_eq!(age(3 * 86_400 + 7200), "3d2h");
        assert_eq!(age(12 * 86_400), "12d");
        assert_eq!(age(800 * 86_400), "2y70d");
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(human_duration(Duration::from_millis(300)), "300ms");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(human_duration(Duration::from_secs(600)), "10m");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1h5m");
    }
}
