// A CLI's life with a token store, compiled once per mode by `tests/clients.rs`: sign in once
// with the device flow, save the tokens, and later runs resume from the file and refresh
// silently, the rotated refresh token saved back before anything else.

use idpkit::oidc::{CancelToken, SessionOptions, TokenSet, TokenStore};
use idpkit::{ErrorKind, Result};

use super::common::{discover, now_secs, session_agent};
use super::{idp, maybe_async};
use crate::provider;

#[maybe_async]
async fn device_sign_in(client: &idp::IdpClient, account: &str) -> TokenSet {
    let device = client
        .start_device_authorization(["openid", "email", "offline_access"])
        .await
        .expect("device authorization");
    provider().approve_device(&device.user_code, account);
    let principal = client
        .wait_for_device_authorization(&device, &CancelToken::new())
        .await
        .expect("signed in");
    principal.tokens().clone()
}

#[maybe_async]
async fn resume(client: &idp::IdpClient, store: &TokenStore) -> Result<Option<idp::Session>> {
    client.resume_session(store, SessionOptions::new()).await
}

/// A fresh store under the system's temporary directory; the directory is removed on drop.
struct TempStore(std::path::PathBuf);

impl Drop for TempStore {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_cli_signs_in_once_and_later_runs_refresh_silently() {
    let dir = std::env::temp_dir().join(format!(
        "idpkit-cli-{}-{}",
        std::process::id(),
        idpkit::oidc::pkce::random_urlsafe(6)
    ));
    let _cleanup = TempStore(dir.clone());
    let store = TokenStore::new(dir.join("my-cli").join("tokens.json"));
    let client = run!(discover(idp::IdpClient::builder(&provider().issuer, "device")))
        .expect("discovery");
    assert!(run!(resume(&client, &store)).expect("empty store").is_none());

    // First run: sign in, save. The access token is made to look expired, as it will be on a
    // later day.
    let mut tokens = run!(device_sign_in(&client, "usr_carol"));
    let first_refresh_token = tokens.refresh_token.clone().expect("refresh token");
    tokens.expires_at = Some(now_secs() - 10);
    store.save(&tokens).expect("save");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(store.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Second run: resumed from the file, refreshed silently, the rotated token saved back.
    let session = run!(resume(&client, &store)).expect("resume").expect("saved");
    let principal = run!(session_agent(&session, None)).expect("silent refresh");
    assert_eq!(principal.id(), "usr_carol");
    assert_ne!(principal.access_token(), &tokens.access_token);
    let saved = store.load().expect("load").expect("saved");
    assert_eq!(&saved.access_token, principal.access_token());
    let rotated = saved.refresh_token.clone().expect("refresh token");
    assert_ne!(rotated, first_refresh_token, "the provider rotates refresh tokens");

    // Third run: the saved (rotated) refresh token works.
    let session = run!(resume(&client, &store)).expect("resume").expect("saved");
    let again = run!(session_agent(&session, Some(true))).expect("refresh");
    assert_eq!(again.id(), "usr_carol");
    assert_ne!(store.load().unwrap().unwrap().refresh_token, Some(rotated));

    // Signing out on this machine.
    store.clear().expect("clear");
    assert!(run!(resume(&client, &store)).expect("empty store").is_none());
}

#[test]
fn a_store_others_can_read_is_refused() {
    let dir = std::env::temp_dir().join(format!(
        "idpkit-cli-{}-{}",
        std::process::id(),
        idpkit::oidc::pkce::random_urlsafe(6)
    ));
    let _cleanup = TempStore(dir.clone());
    let store = TokenStore::new(dir.join("tokens.json"));
    store
        .save(&TokenSet::new(idpkit::AccessToken::new("at")))
        .expect("save");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(store.path(), std::fs::Permissions::from_mode(0o604)).unwrap();
        let client = run!(discover(idp::IdpClient::builder(&provider().issuer, "device")))
            .expect("discovery");
        let err = run!(resume(&client, &store)).expect_err("world-readable");
        assert!(matches!(err.kind(), ErrorKind::Config { .. }), "{err:?}");
    }
}
