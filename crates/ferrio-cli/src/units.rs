//! The command line's units: durations (`200ms`, `2s`, `1.5s`, `1m`),
//! duration ranges (`50..300ms`) and rates (`100/s`, `600/m`).
//!
//! Each parser returns a message that says what was expected, for clap to
//! print as a usage error (exit code 2).

use std::time::Duration;

/// Parses `250ms`, `2s`, `1.5s`, `3m`, `100us`; a bare number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration: write e.g. 250ms, 2s, 1.5s or 1m"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1e3,
        "us" | "µs" => value / 1e6,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "'{other}' is not a unit of time in '{text}': use us, ms, s, m or h"
            ))
        }
    };
    if !seconds.is_finite() || !(0.0..=1e9).contains(&seconds) {
        return Err(format!("'{text}' is out of range for a duration"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// A duration or a uniform range of durations: `200ms` or `50..300ms`
/// (the unit of the upper bound applies to a bare lower bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationRange {
    /// Smallest value.
    pub low: Duration,
    /// Largest value (equal to `low` for a single duration).
    pub high: Duration,
}

impl DurationRange {
    /// One value drawn uniformly from the range.
    pub fn sample(&self, rng: &mut fastrand::Rng) -> Duration {
        if self.high <= self.low {
            return self.low;
        }
        let span = (self.high - self.low).as_nanos() as u64;
        self.low + Duration::from_nanos(rng.u64(0..=span))
    }
}

/// Parses `200ms` or `50..300ms` (also `50ms..300ms`).
pub fn parse_duration_range(text: &str) -> Result<DurationRange, String> {
    let Some((low, high)) = text.split_once("..") else {
        let d = parse_duration(text)?;
        return Ok(DurationRange { low: d, high: d });
    };
    let high_d = parse_duration(high)?;
    let low = low.trim();
    let low_d = if low.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let unit = high
            .trim()
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        parse_duration(&format!("{low}{unit}"))?
    } else {
        parse_duration(low)?
    };
    if low_d > high_d {
        return Err(format!(
            "'{text}': the lower bound is above the upper bound"
        ));
    }
    Ok(DurationRange {
        low: low_d,
        high: high_d,
    })
}

/// Parses a rate, `N/s` or `N/m` (a bare number is per second), into events
/// per second.
pub fn parse_rate(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, per) = text.split_once('/').unwrap_or((text, "s"));
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a rate: write e.g. 100/s or 600/m"))?;
    let per_second = match per.trim() {
        "s" | "sec" => value,
        "m" | "min" => value / 60.0,
        "h" => value / 3600.0,
        other => return Err(format!("'/{other}' in '{text}': a rate is per s, m or h")),
    };
    if !per_second.is_finite() || per_second <= 0.0 {
        return Err(format!("'{text}': a rate must be above zero"));
    }
    Ok(per_second)
}

/// Parses a probability written `0.05` or `5%`.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let value = match text.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|v| v / 100.0),
        None => text.parse::<f64>(),
    }
    .map_err(|_| format!("'{text}' is not a fraction: write e.g. 0.05 or 5%"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("'{text}' is outside 0..1"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit() {
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert_eq!(parse_duration("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("100us").unwrap(), Duration::from_micros(100));
    }

    #[test]
    fn bad_durations_say_what_to_write() {
        assert!(parse_duration("fast").unwrap_err().contains("250ms"));
        assert!(parse_duration("5 parsecs")
            .unwrap_err()
            .contains("unit of time"));
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn ranges_share_the_upper_unit() {
        let r = parse_duration_range("50..300ms").unwrap();
        assert_eq!(
            (r.low, r.high),
            (Duration::from_millis(50), Duration::from_millis(300))
        );
        let r = parse_duration_range("1s..2s").unwrap();
        assert_eq!(
            (r.low, r.high),
            (Duration::from_secs(1), Duration::from_secs(2))
        );
        assert!(parse_duration_range("300..50ms").is_err());
        let one = parse_duration_range("200ms").unwrap();
        let mut rng = fastrand::Rng::with_seed(1);
        assert_eq!(one.sample(&mut rng), Duration::from_millis(200));
        for _ in 0..100 {
            let d = r.sample(&mut rng);
            assert!(d >= r.low && d <= r.high);
        }
    }

    #[test]
    fn rates_and_fractions() {
        assert_eq!(parse_rate("100/s").unwrap(), 100.0);
        assert_eq!(parse_rate("600/m").unwrap(), 10.0);
        assert_eq!(parse_rate("5").unwrap(), 5.0);
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("10/week").is_err());
        assert_eq!(parse_fraction("5%").unwrap(), 0.05);
        assert_eq!(parse_fraction("0.25").unwrap(), 0.25);
        assert!(parse_fraction("1.5").is_err());
    }
}
