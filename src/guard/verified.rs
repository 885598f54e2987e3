//! The guard's cache of tokens already verified: by SHA-256 (never the token itself), each
//! until its expiry, bounded. Shared by [`JwtVerifier`](super::JwtVerifier) and
//! [`IntrospectionVerifier`](super::IntrospectionVerifier).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lc_rs::digest;
use parking_lot::RwLock;

use super::Caller;

/// A verified token's SHA-256: the cache never holds the token itself.
pub(super) type TokenHash = [u8; 32];

/// Tokens already verified, by hash, each until its `exp`; at most `capacity` of them.
pub(super) struct VerifiedTokens {
    capacity: usize,
    map: RwLock<HashMap<TokenHash, (Arc<Caller>, u64), foldhash::fast::RandomState>>,
}

impl VerifiedTokens {
    pub(super) fn new(capacity: usize) -> Self {
        VerifiedTokens {
            capacity,
            map: RwLock::new(HashMap::default()),
        }
    }

    pub(super) fn key(token: &str) -> TokenHash {
        let digest = digest::digest(&digest::SHA256, token.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        key
    }

    pub(super) fn len(&self) -> usize {
        self.map.read().len()
    }

    /// The caller of a token verified before and not yet expired.
    pub(super) fn get(&self, key: &TokenHash, now: SystemTime) -> Option<Caller> {
        if self.capacity == 0 {
            return None;
        }
        let now = crate::clock::since_epoch(now);
        let map = self.map.read();
        let (caller, exp) = map.get(key)?;
        (now < Duration::from_secs(*exp)).then(|| Caller::clone(caller))
    }

    /// Remembers a verified token until `exp`; when full, first drops the expired ones, then a
    /// tenth of the rest.
    pub(super) fn insert(&self, key: TokenHash, caller: Caller, exp: u64, now: SystemTime) {
        if self.capacity == 0 {
            return;
        }
        let now = crate::clock::since_epoch(now).as_secs();
        let mut map = self.map.write();
        if map.len() >= self.capacity && !map.contains_key(&key) {
            map.retain(|_, (_, exp)| *exp > now);
            let excess = (map.len() + self.capacity.div_ceil(10)).saturating_sub(self.capacity);
            let victims: Vec<TokenHash> = map.keys().take(excess).copied().collect();
            for victim in victims {
                map.remove(&victim);
            }
        }
        map.insert(key, (Arc::new(caller), exp));
    }

    pub(super) fn forget(&self, token: &str) {
        self.map.write().remove(&Self::key(token));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(sub: &str) -> Caller {
        Caller {
            subject: sub.into(),
            scope: None,
            claims: Default::default(),
        }
    }

    #[test]
    fn remembered_until_exp_and_bounded() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let seen = VerifiedTokens::new(100);
        let key = VerifiedTokens::key("token-a");
        seen.insert(key, caller("a"), 1_060, t0);
        assert_eq!(seen.get(&key, t0).map(|c| c.subject), Some("a".into()));
        assert!(seen.get(&key, t0 + Duration::from_secs(60)).is_none());
        for i in 0..10_000 {
            let key = VerifiedTokens::key(&format!("token-{i}"));
            seen.insert(key, caller("x"), 2_000, t0);
            assert!(seen.len() <= 100);
        }
        seen.forget("token-9999");
        assert!(seen.get(&VerifiedTokens::key("token-9999"), t0).is_none());
        let off = VerifiedTokens::new(0);
        off.insert(key, caller("a"), 1_060, t0);
        assert!(off.get(&key, t0).is_none());
    }
}
