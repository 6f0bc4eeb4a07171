//! Who a request comes from: devices and their tokens ([`devices`]), the
//! tokens themselves ([`secret_token`]), signing in with the operator's
//! OpenID Connect provider ([`sign_in`]) and the extractor that turns an
//! `Authorization: Bearer` header into a [`Caller`] ([`bearer`]).

pub mod bearer;
pub mod devices;
pub mod secret_token;
pub mod sign_in;

pub use devices::Caller;
