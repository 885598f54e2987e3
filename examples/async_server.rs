//! A web application that signs users in with the async client (axum): `/login` sends the
//! browser to the provider, `/callback` completes the sign-in and keeps a self-refreshing
//! session, `/me` shows who is signed in and what they may do, `/logout` ends the session at the
//! provider too. The authorization request is kept server-side between `/login` and
//! `/callback` (it is serde-serializable, so a cookie store or a database would do as well).
//!
//! ```text
//! IDPKIT_ISSUER=https://login.example.com IDPKIT_CLIENT_ID=my-app IDPKIT_CLIENT_SECRET=... \
//!     cargo run --example async_server --features async
//! ```
//!
//! It listens on `127.0.0.1:8976` (`IDPKIT_LISTEN` to change) with the redirect URI
//! `http://127.0.0.1:8976/callback`, which the project's test provider accepts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use idpkit::asynch::{IdpClient, Session};
use idpkit::oidc::AuthorizationRequest;
use idpkit::oidc::LogoutOptions;
use idpkit::oidc::SessionOptions;

#[derive(Clone)]
struct App {
    client: IdpClient,
    /// Sign-ins under way, by `state`.
    pending: Arc<Mutex<HashMap<String, AuthorizationRequest>>>,
    /// Signed-in sessions, by session id (the `sid` cookie).
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let listen = std::env::var("IDPKIT_LISTEN").unwrap_or_else(|_| "127.0.0.1:8976".into());
    let mut builder = IdpClient::builder(env("IDPKIT_ISSUER")?, env("IDPKIT_CLIENT_ID")?)
        .redirect_uri(format!("http://{listen}/callback"));
    if let Ok(secret) = std::env::var("IDPKIT_CLIENT_SECRET") {
        builder = builder.client_secret(secret);
    }
    let app = App {
        client: builder.discover().await?,
        pending: Arc::default(),
        sessions: Arc::default(),
    };
    let router = Router::new()
        .route(
            "/",
            get(|| async { "idpkit example: /login, /me, /logout" }),
        )
        .route("/login", get(login))
        .route("/callback", get(callback))
        .route("/me", get(me))
        .route("/logout", get(logout))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    println!("listening on http://{listen}");
    axum::serve(listener, router).await?;
    Ok(())
}

async fn login(State(app): State<App>) -> Result<Response, Failure> {
    let request = app.client.create_authorization_url([
        "openid",
        "email",
        "profile",
        "organizations",
        "offline_access",
    ])?;
    let url = request.url.clone();
    app.pending
        .lock()
        .unwrap()
        .insert(request.state.clone(), request);
    Ok(Redirect::to(&url).into_response())
}

async fn callback(
    State(app): State<App>,
    Query(query): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
) -> Result<Response, Failure> {
    let state = query.get("state").cloned().unwrap_or_default();
    let request = app.pending.lock().unwrap().remove(&state).ok_or(Failure(
        StatusCode::BAD_REQUEST,
        "unknown or reused sign-in".into(),
    ))?;
    // The callback's query string; state, iss and error= are all checked here.
    let agent = app
        .client
        .handle_callback(uri.query().unwrap_or_default(), &request)
        .await?;
    let options = SessionOptions::new().on_refresh(|_tokens| {
        // A real application stores the new token set here.
    });
    let session = app
        .client
        .create_agent(agent.tokens().clone(), options)
        .await?;
    let sid = idpkit::oidc::pkce::random_urlsafe(32);
    app.sessions.lock().unwrap().insert(sid.clone(), session);
    let cookie = format!("sid={sid}; HttpOnly; SameSite=Lax; Path=/");
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/me")).into_response())
}

fn session_of(app: &App, headers: &HeaderMap) -> Option<Session> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let sid = cookies
        .split(';')
        .find_map(|c| c.trim().strip_prefix("sid="))?;
    app.sessions.lock().unwrap().get(sid).cloned()
}

async fn me(State(app): State<App>, headers: HeaderMap) -> Result<Response, Failure> {
    let session = session_of(&app, &headers).ok_or(Failure(
        StatusCode::UNAUTHORIZED,
        "not signed in: /login".into(),
    ))?;
    let agent = session.principal().await?; // refreshed first when about to expire
    let orgs: Vec<_> = agent
        .organizations()
        .iter()
        .map(|o| {
            serde_json::json!({
                "id": o.id,
                "owner": agent.is_owner_of(&o.id),
                "can_write_projects": agent.has_access_in(&o.id, "write", "projects"),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "id": agent.id(),
        "type": format!("{:?}", agent.principal_type()),
        "email": agent.email(),
        "can_read_projects": agent.has_access("read", "projects"),
        "organizations": orgs,
    }))
    .into_response())
}

async fn logout(State(app): State<App>, headers: HeaderMap) -> Result<Response, Failure> {
    let session = session_of(&app, &headers)
        .ok_or(Failure(StatusCode::UNAUTHORIZED, "not signed in".into()))?;
    let agent = session.current().await?;
    let url = app.client.create_logout_url(LogoutOptions {
        id_token_hint: agent.tokens().id_token.clone(),
        ..Default::default()
    })?;
    Ok(Redirect::to(&url).into_response())
}

/// An error page; idpkit errors map to 401 (sign-in refused) or 502 (provider trouble).
struct Failure(StatusCode, String);

impl From<idpkit::Error> for Failure {
    fn from(e: idpkit::Error) -> Self {
        let status = match e.kind() {
            idpkit::ErrorKind::OAuth(_)
            | idpkit::ErrorKind::StateMismatch
            | idpkit::ErrorKind::TokenValidation(_)
            | idpkit::ErrorKind::TokenExpired => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_GATEWAY,
        };
        Failure(status, e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}
