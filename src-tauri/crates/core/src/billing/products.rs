//! What Banter sells through Autumn. Prices are shown to the user; only the
//! credits matter to the ledger, and they are granted only for invoices
//! Autumn reports as paid.

use serde::{Deserialize, Serialize};

/// Serialised as Autumn's product ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, specta::Type)]
pub enum Product {
    #[serde(rename = "credits_500")]
    Credits500,
    #[serde(rename = "credits_1000")]
    Credits1000,
    #[serde(rename = "credits_5000")]
    Credits5000,
    /// Subscription: unlimited credits while active.
    #[serde(rename = "pro")]
    Pro,
}

/// A product as the pricing page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "camelCase")]
pub struct ProductInfo {
    pub product: Product,
    /// Autumn's product id.
    pub id: String,
    pub name: String,
    /// US cents.
    pub price_cents: i64,
    /// Credits granted once paid; `None` for Pro (unlimited while active).
    pub credits: Option<i64>,
    pub monthly: bool,
}

impl Product {
    pub const ALL: [Product; 4] = [
        Product::Credits500,
        Product::Credits1000,
        Product::Credits5000,
        Product::Pro,
    ];

    /// Autumn's product id.
    pub const fn id(self) -> &'static str {
        match self {
            Self::Credits500 => "credits_500",
            Self::Credits1000 => "credits_1000",
            Self::Credits5000 => "credits_5000",
            Self::Pro => "pro",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Credits a paid invoice of this product adds (`None` for Pro).
    pub const fn credits(self) -> Option<i64> {
        match self {
            Self::Credits500 => Some(500),
            Self::Credits1000 => Some(1000),
            Self::Credits5000 => Some(5000),
            Self::Pro => None,
        }
    }

    pub const fn price_cents(self) -> i64 {
        match self {
            Self::Credits500 => 500,
            Self::Credits1000 => 900,
            Self::Credits5000 => 4000,
            Self::Pro => 2000,
        }
    }

    pub fn info(self) -> ProductInfo {
        ProductInfo {
            product: self,
            id: self.id().to_string(),
            name: match self.credits() {
                Some(c) => format!("{c} credits"),
                None => "Pro".to_string(),
            },
            price_cents: self.price_cents(),
            credits: self.credits(),
            monthly: self == Self::Pro,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Product;

    #[test]
    fn ids_round_trip_and_match_serde() {
        for p in Product::ALL {
            assert_eq!(Product::from_id(p.id()), Some(p));
            assert_eq!(serde_json::to_value(p).unwrap(), p.id());
        }
        assert_eq!(Product::from_id("credits_999"), None);
    }
}
