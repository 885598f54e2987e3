//! A token store for command-line tools: one file in the user's configuration directory,
//! holding a [`TokenSet`], written atomically (a temporary file in the same directory, synced,
//! then renamed over the old one) and readable by its owner only. A CLI signs in once, saves
//! the tokens, and later runs resume the session from the file and refresh silently
//! (`IdpClient::resume_session`), saving each rotated refresh token as soon as it arrives.
//!
//! On Unix the file is created `0600` and its directory `0700`; a file that others can read is
//! refused rather than used. Elsewhere the platform's default permissions of the user's
//! configuration directory apply.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::http::describe_json_error;
use crate::oidc::pkce::random_urlsafe;
use crate::oidc::{SessionOptions, TokenSet};

/// The file name inside the application's configuration directory.
const FILE_NAME: &str = "tokens.json";

/// Where a CLI keeps its tokens between runs.
///
/// ```
/// use idpkit::oidc::TokenStore;
/// let dir = std::env::temp_dir().join(format!("idpkit-doc-{}", std::process::id()));
/// let store = TokenStore::new(dir.join("tokens.json"));
/// assert_eq!(store.load()?, None); // nothing saved yet
/// let tokens = idpkit::oidc::TokenSet::new(idpkit::AccessToken::new("at"));
/// store.save(&tokens)?;
/// assert_eq!(store.load()?, Some(tokens));
/// store.clear()?;
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), idpkit::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    /// A store in this file (its directory is created on the first save).
    ///
    /// ```
    /// let store = idpkit::oidc::TokenStore::new("/tmp/my-cli/tokens.json");
    /// assert!(store.path().ends_with("tokens.json"));
    /// ```
    pub fn new(path: impl Into<PathBuf>) -> Self {
        TokenStore { path: path.into() }
    }

    /// The store of application `app` in the user's configuration directory:
    /// `$XDG_CONFIG_HOME/<app>/tokens.json`, or `$HOME/.config/<app>/tokens.json` when
    /// `XDG_CONFIG_HOME` is unset, empty or relative (XDG Base Directory Specification).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] when `app` is empty, a path component other than a plain name, or
    /// neither variable gives an absolute directory.
    ///
    /// ```no_run
    /// let store = idpkit::oidc::TokenStore::in_config_dir("my-cli")?;
    /// println!("tokens in {}", store.path().display());
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn in_config_dir(app: &str) -> Result<Self> {
        let dir = config_dir(
            std::env::var_os("XDG_CONFIG_HOME").map(PathBuf::from),
            std::env::var_os("HOME").map(PathBuf::from),
        )
        .ok_or_else(|| {
            Error::config("no configuration directory: neither XDG_CONFIG_HOME nor HOME is set")
        })?;
        Ok(TokenStore::new(dir.join(app_dir(app)?).join(FILE_NAME)))
    }

    /// The file.
    ///
    /// ```
    /// let store = idpkit::oidc::TokenStore::new("tokens.json");
    /// assert_eq!(store.path(), std::path::Path::new("tokens.json"));
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved tokens; `None` when nothing is saved.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] (with the I/O error as `source()`) when the file cannot be read,
    /// others may read it (Unix: any group or other permission bit), or it does not hold a
    /// token set. No message quotes the file's content.
    ///
    /// ```
    /// let store = idpkit::oidc::TokenStore::new("/nonexistent/idpkit/tokens.json");
    /// assert_eq!(store.load()?, None);
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn load(&self) -> Result<Option<TokenSet>> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io_error("cannot read", e)),
        };
        self.check_private()?;
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            Error::config(format!(
                "the token store {} does not hold a token set: {}",
                self.path.display(),
                describe_json_error(&e)
            ))
        })
    }

    /// Saves `tokens`, replacing what was saved, atomically: readers see the old file or the
    /// new one, never a mix, and a crash mid-write leaves the old one.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] (with the I/O error as `source()`) when the directory or the file
    /// cannot be written.
    ///
    /// ```no_run
    /// # let tokens: idpkit::oidc::TokenSet = todo!();
    /// idpkit::oidc::TokenStore::in_config_dir("my-cli")?.save(&tokens)?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn save(&self, tokens: &TokenSet) -> Result<()> {
        let json = serde_json::to_vec_pretty(tokens)
            .map_err(|e| Error::config(format!("cannot serialise the tokens: {e}")))?;
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        create_private_dir(dir).map_err(|e| self.io_error("cannot create the directory of", e))?;
        let name = self
            .path
            .file_name()
            .ok_or_else(|| Error::config("the token store path has no file name"))?;
        let temp = dir.join(format!(
            ".{}.{}.tmp",
            name.to_string_lossy(),
            random_urlsafe(9)
        ));
        let written = write_private(&temp, &json).and_then(|()| fs::rename(&temp, &self.path));
        if let Err(e) = written {
            let _ = fs::remove_file(&temp);
            return Err(self.io_error("cannot write", e));
        }
        Ok(())
    }

    /// Forgets the saved tokens (signing out on this machine); nothing to do when none are saved.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`] (with the I/O error as `source()`) when the file cannot be removed.
    ///
    /// ```
    /// idpkit::oidc::TokenStore::new("/nonexistent/idpkit/tokens.json").clear()?;
    /// # Ok::<(), idpkit::Error>(())
    /// ```
    pub fn clear(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io_error("cannot remove", e)),
        }
    }

    /// `options`, with every refreshed token set saved here first (then `options`' own
    /// `on_refresh`, if any). A save that fails is reported through `tracing` (a warning naming
    /// the file, never the tokens); the session keeps its fresh tokens in memory.
    ///
    /// ```
    /// let store = idpkit::oidc::TokenStore::new("/tmp/my-cli/tokens.json");
    /// let options = store.session_options(idpkit::oidc::SessionOptions::new());
    /// ```
    pub fn session_options(&self, options: SessionOptions) -> SessionOptions {
        let store = self.clone();
        let then = options.on_refresh.clone();
        options.on_refresh(move |tokens| {
            if let Err(e) = store.save(tokens) {
                tracing::warn!(path = %store.path.display(), error = %e, "idpkit: cannot save refreshed tokens");
            }
            if let Some(then) = &then {
                then(tokens);
            }
        })
    }

    /// Refuses a file others may read.
    fn check_private(&self) -> Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = fs::metadata(&self.path).map_err(|e| self.io_error("cannot inspect", e))?;
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                return Err(Error::config(format!(
                    "the token store {} may be read by others (mode {:o}): refusing to use it; \
                     run `chmod 600` on it or delete it",
                    self.path.display(),
                    mode & 0o777
                )));
            }
        }
        Ok(())
    }

    fn io_error(&self, what: &str, e: std::io::Error) -> Error {
        let message = format!("{what} the token store {}: {e}", self.path.display());
        Error::with_source(ErrorKind::Config { message }, e)
    }
}

/// The user's configuration directory: `xdg` when absolute, else `home/.config` when `home`
/// is absolute.
fn config_dir(xdg: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    match xdg {
        Some(dir) if dir.is_absolute() => Some(dir),
        _ => home.filter(|h| h.is_absolute()).map(|h| h.join(".config")),
    }
}

/// The application's directory name: one plain path component.
fn app_dir(app: &str) -> Result<&str> {
    let plain = !app.is_empty()
        && app != "."
        && app != ".."
        && !app.contains(['/', '\\', '\0'])
        && Path::new(app).components().count() == 1;
    if plain {
        Ok(app)
    } else {
        Err(Error::config(format!(
            "the application name {app:?} must be a plain directory name"
        )))
    }
}

/// Creates `dir` and its missing parents; those created are owner-only on Unix.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Writes a new file, owner-only on Unix from its creation, and syncs it to disk.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(data)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::{AccessToken, RefreshToken};

    /// A fresh directory under the system's temporary directory, removed when dropped.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> TempDir {
            let dir = std::env::temp_dir().join(format!("idpkit-store-{}", random_urlsafe(9)));
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn tokens(rt: &str) -> TokenSet {
        TokenSet::new(AccessToken::new("at-secret"))
            .with_refresh_token(RefreshToken::new(rt))
            .with_expires_at(1_700_000_000)
    }

    #[test]
    fn save_load_replace_clear() {
        let tmp = TempDir::new();
        let store = TokenStore::new(tmp.0.join("a/b/tokens.json"));
        assert_eq!(store.load().unwrap(), None);
        store.save(&tokens("rt-1")).unwrap();
        assert_eq!(store.load().unwrap(), Some(tokens("rt-1")));
        store.save(&tokens("rt-2")).unwrap();
        assert_eq!(store.load().unwrap(), Some(tokens("rt-2")));
        // No temporary file is left behind.
        let names: Vec<_> = fs::read_dir(tmp.0.join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["tokens.json"]);
        store.clear().unwrap();
        assert_eq!(store.load().unwrap(), None);
        store.clear().unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn owner_only_and_others_readable_files_are_refused() {
        use std::os::unix::fs::PermissionsExt as _;
        let tmp = TempDir::new();
        let store = TokenStore::new(tmp.0.join("cli/tokens.json"));
        store.save(&tokens("rt")).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(&tmp.0.join("cli")), 0o700);
        assert_eq!(mode(&tmp.0), 0o700);
        fs::set_permissions(store.path(), fs::Permissions::from_mode(0o644)).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }));
        assert!(err.to_string().contains("644"), "{err}");
        // Saving again replaces the file with an owner-only one.
        store.save(&tokens("rt")).unwrap();
        assert_eq!(mode(store.path()), 0o600);
        assert!(store.load().unwrap().is_some());
    }

    #[test]
    fn garbage_is_refused_without_quoting_it() {
        let tmp = TempDir::new();
        let store = TokenStore::new(tmp.0.join("tokens.json"));
        store.save(&tokens("rt")).unwrap();
        write_private(&tmp.0.join("x"), b"{\"access_token\": \"at-secret\"").unwrap();
        fs::rename(tmp.0.join("x"), store.path()).unwrap();
        let err = store.load().unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::Config { .. }));
        assert!(!format!("{err} {err:?}").contains("at-secret"), "{err:?}");
    }

    #[test]
    fn unwritable_paths_are_errors_with_a_source() {
        let tmp = TempDir::new();
        let blocker = tmp.0.join("file");
        TokenStore::new(&blocker).save(&tokens("rt")).unwrap();
        let store = TokenStore::new(blocker.join("tokens.json"));
        let err = store.save(&tokens("rt")).unwrap_err();
        assert!(std::error::Error::source(&err).is_some(), "{err:?}");
        assert!(!format!("{err:?}").contains("at-secret"));
    }

    #[test]
    fn config_dir_follows_xdg() {
        let abs = |s: &str| Some(PathBuf::from(s));
        assert_eq!(config_dir(abs("/x/cfg"), abs("/home/u")), abs("/x/cfg"));
        assert_eq!(
            config_dir(abs("rel"), abs("/home/u")),
            abs("/home/u/.config")
        );
        assert_eq!(
            config_dir(Some(PathBuf::new()), abs("/home/u")),
            abs("/home/u/.config")
        );
        assert_eq!(config_dir(None, abs("/home/u")), abs("/home/u/.config"));
        assert_eq!(config_dir(None, abs("rel")), None);
        assert_eq!(config_dir(None, None), None);
        assert_eq!(app_dir("my-cli").unwrap(), "my-cli");
        for bad in ["", ".", "..", "a/b", "a\\b", "/abs"] {
            assert!(app_dir(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refreshed_tokens_are_saved_before_the_callers_hook() {
        let tmp = TempDir::new();
        let store = TokenStore::new(tmp.0.join("tokens.json"));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
        let hook = seen.clone();
        let check = store.clone();
        let options = store.session_options(SessionOptions::new().on_refresh(move |t| {
            *hook.lock().unwrap() = Some(check.load().unwrap() == Some(t.clone()));
        }));
        (options.on_refresh.as_ref().unwrap())(&tokens("rt-new"));
        assert_eq!(*seen.lock().unwrap(), Some(true));
    }
}
