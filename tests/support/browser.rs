//! A minimal browser for tests: a cookie jar and manual redirect following over plain HTTP on
//! loopback, enough to walk the test provider's login and logout pages without a real browser.
//! Mode-independent set-up code: the tests' shared bodies never use it.

#![allow(dead_code)]

use std::collections::BTreeMap;

/// One response: status, `Location`, body.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

/// A cookie-keeping HTTP client that does not follow redirects by itself.
pub struct Browser {
    agent: ureq::Agent,
    cookies: BTreeMap<String, String>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .build()
            .into();
        Browser {
            agent,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, headers: &http::HeaderMap) {
        for value in headers.get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or("");
            if let Some((name, val)) = pair.split_once('=') {
                let expired = value
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970");
                if val.is_empty() || expired {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies.insert(name.trim().to_owned(), val.to_owned());
                }
            }
        }
    }

    fn finish(&mut self, response: http::Response<ureq::Body>, base: &str) -> Page {
        self.keep_cookies(response.headers());
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| resolve(base, l));
        let body = response.into_body().read_to_string().unwrap_or_default();
        Page {
            status,
            location,
            body,
        }
    }

    /// GET `url` with the jar's cookies.
    pub fn get(&mut self, url: &str) -> Page {
        let response = self
            .agent
            .get(url)
            .header("cookie", self.cookie_header())
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.finish(response, url)
    }

    /// POST a form to `url` with the jar's cookies.
    pub fn post_form(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .agent
            .post(url)
            .header("cookie", self.cookie_header())
            .send_form(form.iter().copied())
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.finish(response, url)
    }

    /// Follows redirects from `url` until one points below `stop_prefix` (which is not
    /// fetched) and returns that URL; panics after 20 hops or on a non-redirect page.
    pub fn follow_until(&mut self, url: &str, stop_prefix: &str) -> String {
        let mut next = url.to_owned();
        for _ in 0..20 {
            if next.starts_with(stop_prefix) {
                return next;
            }
            let page = self.get(&next);
            match page.location {
                Some(location) if (300..400).contains(&page.status) => next = location,
                _ => panic!(
                    "expected a redirect from {next}, got HTTP {}: {}",
                    page.status,
                    page.body.chars().take(300).collect::<String>()
                ),
            }
        }
        panic!("too many redirects from {url}");
    }
}

/// Resolves a `Location` against the URL it came from.
fn resolve(base: &str, location: &str) -> String {
    url::Url::parse(base)
        .and_then(|b| b.join(location))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| location.to_owned())
}

/// The value of the hidden input `name` in an HTML form.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let end = tag[v..].find('"')?;
    Some(tag[v..v + end].to_owned())
}
