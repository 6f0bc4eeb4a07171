//! Credit periods are calendar months in UTC.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

/// A calendar month, ordered by time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    pub fn of(at: DateTime<Utc>) -> Self {
        Self {
            year: at.year(),
            month: at.month(),
        }
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Self {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// 00:00:00 UTC on the first day of the month.
    pub fn start(self) -> DateTime<Utc> {
        let date = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN);
        Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN))
    }

    /// `YYYY-MM`, used in reset idempotency keys.
    pub fn key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

/// True when `now` lies in a later month than `last_reset`. A clock that went
/// backwards (an earlier month) never triggers a reset.
pub fn reset_due(last_reset: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    Period::of(now) > Period::of(last_reset)
}

/// When the free bucket next refills, given the last refill.
pub fn next_reset(last_reset: DateTime<Utc>) -> DateTime<Utc> {
    Period::of(last_reset).next().start()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn month_boundary() {
        let jan = at("2026-01-31T23:59:59Z");
        assert!(!reset_due(at("2026-01-01T00:00:00Z"), jan));
        assert!(reset_due(jan, at("2026-02-01T00:00:00Z")));
        assert!(
            !reset_due(at("2026-02-01T00:00:00Z"), jan),
            "backwards clock"
        );
        assert!(
            reset_due(at("2025-12-31T23:59:59Z"), at("2026-01-01T00:00:00Z")),
            "year wrap"
        );
        assert_eq!(next_reset(jan), at("2026-02-01T00:00:00Z"));
        assert_eq!(
            next_reset(at("2026-12-15T10:00:00Z")),
            at("2027-01-01T00:00:00Z")
        );
    }
}
