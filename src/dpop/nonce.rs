//! The client's side of server nonces (RFC 9449 §8, §9): the nonce each server gave last,
//! remembered by authority, and how a server says "use a nonce".

use std::collections::HashMap;
use std::sync::Arc;

use http::HeaderMap;
use parking_lot::Mutex;

use super::{DpopKey, DpopProof};
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::AccessToken;

/// How many servers' nonces a client remembers; past it, the oldest half is forgotten (a
/// forgotten nonce costs one `use_dpop_nonce` round trip, nothing more).
const MAX_SERVERS: usize = 64;

/// The header a server gives its nonce in.
pub(crate) const DPOP_NONCE: &str = "dpop-nonce";

/// The nonces by authority, each with its order of insertion, and the next order.
type Nonces = (HashMap<String, (String, u64)>, u64);

/// A request the transport must prove possession for: to a token endpoint (no `ath`), or to a
/// resource with an access token (`ath`). Put in the request's extensions by the client; the
/// transport signs a fresh proof for every attempt.
#[derive(Clone)]
pub(crate) enum DpopTarget {
    /// A token request (code, refresh, client credentials, device code).
    Token,
    /// A resource request carrying this DPoP-bound access token.
    Resource(AccessToken),
}

/// A client's DPoP state: its key and the nonces servers gave it. Shared by every request of
/// one client.
pub(crate) struct DpopState {
    key: DpopKey,
    /// authority → (nonce, order of insertion).
    nonces: Mutex<Nonces>,
}

impl std::fmt::Debug for DpopState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopState")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl DpopState {
    pub(crate) fn new(key: DpopKey) -> Arc<DpopState> {
        Arc::new(DpopState {
            key,
            nonces: Mutex::new((HashMap::new(), 0)),
        })
    }

    pub(crate) fn key(&self) -> &DpopKey {
        &self.key
    }

    /// The nonce `authority` gave last.
    pub(crate) fn nonce(&self, authority: &str) -> Option<String> {
        self.nonces.lock().0.get(authority).map(|(n, _)| n.clone())
    }

    #[cfg(test)]
    pub(crate) fn nonces_len(&self) -> usize {
        self.nonces.lock().0.len()
    }

    /// Remembers the nonce in `headers` (if any) for `authority`; whether there was one.
    pub(crate) fn remember(&self, authority: &str, headers: &HeaderMap) -> bool {
        let Some(nonce) = headers
            .get(DPOP_NONCE)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|n| !n.is_empty() && n.len() <= 1024)
        else {
            return false;
        };
        let mut guard = self.nonces.lock();
        let (map, counter) = &mut *guard;
        *counter += 1;
        if map.len() >= MAX_SERVERS && !map.contains_key(authority) {
            let mut orders: Vec<u64> = map.values().map(|(_, o)| *o).collect();
            orders.sort_unstable();
            let cut = orders[orders.len() / 2];
            map.retain(|_, (_, o)| *o > cut);
        }
        map.insert(authority.to_owned(), (nonce.to_owned(), *counter));
        true
    }

    /// Puts a fresh proof for `request` in its `DPoP` header, with the nonce its server gave
    /// last; for a resource request, also `Authorization: DPoP <token>`.
    pub(crate) fn prove(
        &self,
        request: &mut HttpRequest,
        target: &DpopTarget,
        now: std::time::SystemTime,
    ) -> crate::Result<()> {
        let url = request.uri().to_string();
        let method = request.method().clone();
        let nonce = self.nonce(&authority(request));
        let mut proof = DpopProof::new(method.as_str(), &url);
        if let Some(nonce) = &nonce {
            proof = proof.nonce(nonce);
        }
        if let DpopTarget::Resource(token) = target {
            proof = proof.access_token(token);
            let authorization =
                crate::http::sensitive_header(&format!("DPoP {}", token.expose_secret()))?;
            request
                .headers_mut()
                .insert(http::header::AUTHORIZATION, authorization);
        }
        let proof = proof.sign(&self.key, now)?;
        let value = crate::http::sensitive_header(&proof)?;
        request.headers_mut().insert("dpop", value);
        Ok(())
    }
}

/// The authority (`host:port`) a request goes to: nonces are remembered per server.
pub(crate) fn authority(request: &HttpRequest) -> String {
    request
        .uri()
        .authority()
        .map(|a| a.as_str().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `response` asks for a (new) nonce (§8.1, §9.1): a 400 whose JSON body's `error` is
/// `use_dpop_nonce` (an authorization server), or a 401 whose `WWW-Authenticate` has a DPoP
/// challenge with that error (a resource server).
pub(crate) fn asks_for_nonce(response: &HttpResponse) -> bool {
    match response.status().as_u16() {
        400 => serde_json::from_slice::<serde_json::Value>(response.body())
            .ok()
            .is_some_and(|v| v.get("error").and_then(|e| e.as_str()) == Some("use_dpop_nonce")),
        401 => crate::http::challenge_error(response.headers(), "dpop")
            .is_some_and(|e| e.code.as_str() == "use_dpop_nonce"),
        _ => false,
    }
}
