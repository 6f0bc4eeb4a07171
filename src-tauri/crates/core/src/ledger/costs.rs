//! What things cost and the thresholds the UI colours by — the one place
//! these numbers are written down.

use serde::{Deserialize, Serialize};

/// Credits granted at signup and restored at each monthly reset.
pub const FREE_MONTHLY_CREDITS: i64 = 100;
/// Below this balance the user is warned.
pub const LOW_BALANCE_THRESHOLD: i64 = 20;
/// Above this balance the badge is green.
pub const HEALTHY_BALANCE_THRESHOLD: i64 = 50;

/// An AI action that is metered by the ledger.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type, specta::Type,
)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Action {
    ChatMessage,
    ProjectGeneration,
    UrlScrape,
}

impl Action {
    pub const ALL: [Action; 3] = [
        Action::ChatMessage,
        Action::ProjectGeneration,
        Action::UrlScrape,
    ];

    /// The nominal price in credits on the free plan.
    pub const fn cost(self) -> i64 {
        match self {
            Self::ChatMessage => 3,
            Self::ProjectGeneration => 15,
            Self::UrlScrape => 5,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ChatMessage => "chat_message",
            Self::ProjectGeneration => "project_generation",
            Self::UrlScrape => "url_scrape",
        }
    }
}

/// The colour band of the credit badge: green above
/// [`HEALTHY_BALANCE_THRESHOLD`], red below [`LOW_BALANCE_THRESHOLD`],
/// yellow between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    Green,
    Yellow,
    Red,
}

impl Band {
    pub fn of(remaining: i64) -> Self {
        if remaining > HEALTHY_BALANCE_THRESHOLD {
            Self::Green
        } else if remaining >= LOW_BALANCE_THRESHOLD {
            Self::Yellow
        } else {
            Self::Red
        }
    }
}

/// True when a balance change crosses from "fine" to "low".
pub fn crossed_low(before: i64, after: i64) -> bool {
    before >= LOW_BALANCE_THRESHOLD && after < LOW_BALANCE_THRESHOLD
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_at_their_edges() {
        assert_eq!(Band::of(51), Band::Green);
        assert_eq!(Band::of(50), Band::Yellow);
        assert_eq!(Band::of(20), Band::Yellow);
        assert_eq!(Band::of(19), Band::Red);
        assert_eq!(Band::of(0), Band::Red);
    }

    #[test]
    fn costs_match_the_prd() {
        assert_eq!(Action::ChatMessage.cost(), 3);
        assert_eq!(Action::ProjectGeneration.cost(), 15);
        assert_eq!(Action::UrlScrape.cost(), 5);
    }

    #[test]
    fn low_crossing() {
        assert!(crossed_low(20, 17));
        assert!(!crossed_low(19, 16));
        assert!(!crossed_low(23, 20));
    }
}

/// The prices and thresholds the UI shows, from the one place they are set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct Costs {
    pub chat_message: i64,
    pub project_generation: i64,
    pub url_scrape: i64,
    pub low_balance_threshold: i64,
}

impl Costs {
    pub const fn current() -> Self {
        Self {
            chat_message: Action::ChatMessage.cost(),
            project_generation: Action::ProjectGeneration.cost(),
            url_scrape: Action::UrlScrape.cost(),
            low_balance_threshold: LOW_BALANCE_THRESHOLD,
        }
    }
}
