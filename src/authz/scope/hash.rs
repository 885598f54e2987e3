//! The hasher of the compiled sets' tables.
//!
//! foldhash: a few nanoseconds for a short string where std's SipHash takes ~15–20 ns,
//! which matters as a check hashes the resource and some of its prefixes. Its seed is
//! random per process, so the table layout cannot be predicted from outside; the keys come
//! from the token issuer anyway, and a look-up's cost is bounded by the table's own
//! layout, whatever the requested string.

/// Builds the hasher of [`ScopeSet`](super::ScopeSet)'s tables.
pub(crate) type FastHashBuilder = foldhash::fast::RandomState;
