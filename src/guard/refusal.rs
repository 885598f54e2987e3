//! Why the guard turned a request away, as a value: the axum middleware and the tower layer
//! both turn it into their response, so the two answer alike.

use axum::response::Response;
use http::{HeaderValue, StatusCode, header};

/// A refusal; [`response`](Refusal::response) makes it a response with any body type.
pub(super) enum Refusal {
    /// 401 with these `WWW-Authenticate` challenges, and a reason for the body (never a
    /// secret) where the axum middleware can write one.
    Unauthorized {
        challenges: Vec<HeaderValue>,
        reason: Option<String>,
    },
    Forbidden,
    NotFound,
    /// 500: the guard itself is misconfigured (a policy it cannot evaluate, say).
    Internal,
    Unavailable,
}

impl Refusal {
    /// 401 with a `Bearer` challenge (`error="invalid_token"` when a token was presented).
    pub(super) fn bearer(realm: &str, invalid_token: bool) -> Refusal {
        let realm = quoted(realm);
        let challenge = if invalid_token {
            format!("Bearer realm=\"{realm}\", error=\"invalid_token\"")
        } else {
            format!("Bearer realm=\"{realm}\"")
        };
        Refusal::Unauthorized {
            challenges: HeaderValue::from_str(&challenge).into_iter().collect(),
            reason: None,
        }
    }

    /// Adds a challenge to a 401 (nothing for other refusals).
    pub(super) fn with_challenge(mut self, value: Option<HeaderValue>) -> Refusal {
        if let (Refusal::Unauthorized { challenges, .. }, Some(value)) = (&mut self, value) {
            challenges.push(value);
        }
        self
    }

    /// The response, with `body` (the tower layer's: its body type's default).
    pub(super) fn response<B>(self, body: B) -> http::Response<B> {
        let mut response = http::Response::new(body);
        *response.status_mut() = match &self {
            Refusal::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Refusal::Forbidden => StatusCode::FORBIDDEN,
            Refusal::NotFound => StatusCode::NOT_FOUND,
            Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        };
        if let Refusal::Unauthorized { challenges, .. } = self {
            for value in challenges {
                response
                    .headers_mut()
                    .append(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }

    /// The axum response, with the reason as its body.
    pub(super) fn into_axum(self) -> Response {
        let body = match &self {
            Refusal::Unauthorized {
                reason: Some(reason),
                ..
            } => axum::body::Body::from(reason.clone()),
            _ => axum::body::Body::empty(),
        };
        self.response(body)
    }
}

/// A realm fit to sit between double quotes.
pub(super) fn quoted(realm: &str) -> String {
    realm.replace(['"', '\\'], "")
}
