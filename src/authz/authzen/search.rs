//! Search (AuthZEN 1.0 `#search-apis`): the three search requests ([`SubjectSearchRequest`],
//! [`ResourceSearchRequest`], [`ActionSearchRequest`]), what they share ([`SearchRequest`],
//! [`SearchKind`]), paging ([`Page`], [`PageInfo`]) and the [`SearchResponse`].

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::model::{Action, Context, Properties, Resource, Subject, ser_opt_map_no_nulls};

/// What a search response is, for errors.
pub(super) const SEARCH: &str = "an AuthZEN search response (JSON)";

/// The `page` of a search request (AuthZEN 1.0 `#search-pagination`).
///
/// ```
/// let p = idpkit::authz::authzen::Page::limit(10);
/// assert_eq!(serde_json::to_string(&p).unwrap(), r#"{"limit":10}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page {
    /// The opaque token of the page to fetch (a previous answer's `next_token`); none for the
    /// first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The largest number of results wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// Implementation-specific options (sorting, filtering).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "ser_opt_map_no_nulls"
    )]
    pub properties: Option<Properties>,
}

impl Page {
    /// A first page of at most `limit` results.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::Page::limit(5).limit, Some(5));
    /// ```
    pub fn limit(limit: u64) -> Self {
        Page {
            limit: Some(limit),
            ..Page::default()
        }
    }
}

/// The `page` of a search response (AuthZEN 1.0 `#search-pagination`).
///
/// ```
/// let p: idpkit::authz::authzen::PageInfo = serde_json::from_str(r#"{"next_token":"","count":2}"#).unwrap();
/// assert!(p.is_last());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PageInfo {
    /// The token of the next page; empty on the last page.
    #[serde(default)]
    pub next_token: String,
    /// How many results this page holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// How many results there are in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    /// Implementation-specific members.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Properties>,
}

impl PageInfo {
    /// Whether this is the last page (`next_token` empty).
    ///
    /// ```
    /// let p: idpkit::authz::authzen::PageInfo = serde_json::from_str(r#"{"next_token":"abc"}"#).unwrap();
    /// assert!(!p.is_last());
    /// ```
    pub fn is_last(&self) -> bool {
        self.next_token.is_empty()
    }
}

/// The answer to a search (AuthZEN 1.0 `#search-response`): the results, and the `page` when there may be
/// more.
///
/// ```
/// use idpkit::authz::authzen::{SearchResponse, Subject};
/// let r: SearchResponse<Subject> = serde_json::from_str(
///     r#"{"page":{"next_token":"t2","count":1},"results":[{"type":"user","id":"alice"}]}"#).unwrap();
/// assert_eq!(r.results[0].id, "alice");
/// assert_eq!(r.next_token(), Some("t2"));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SearchResponse<T> {
    /// Paging information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageInfo>,
    /// Implementation-defined context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// The entities found.
    pub results: Vec<T>,
}

impl<T> SearchResponse<T> {
    /// The token of the next page, if there is one.
    ///
    /// ```
    /// let r: idpkit::authz::authzen::SearchResponse<idpkit::authz::authzen::Action> =
    ///     serde_json::from_str(r#"{"results":[{"name":"can_read"}]}"#).unwrap();
    /// assert_eq!(r.next_token(), None);
    /// ```
    pub fn next_token(&self) -> Option<&str> {
        self.page
            .as_ref()
            .map(|p| p.next_token.as_str())
            .filter(|t| !t.is_empty())
    }
}

/// Which search API a request is for.
///
/// ```
/// assert_eq!(idpkit::authz::authzen::SearchKind::Action.default_path(), "/access/v1/search/action");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SearchKind {
    /// `POST /access/v1/search/subject`.
    Subject,
    /// `POST /access/v1/search/resource`.
    Resource,
    /// `POST /access/v1/search/action`.
    Action,
}

impl SearchKind {
    /// The specification's default path of this search.
    ///
    /// ```
    /// assert_eq!(idpkit::authz::authzen::SearchKind::Subject.default_path(), "/access/v1/search/subject");
    /// ```
    pub fn default_path(self) -> &'static str {
        match self {
            SearchKind::Subject => "/access/v1/search/subject",
            SearchKind::Resource => "/access/v1/search/resource",
            SearchKind::Action => "/access/v1/search/action",
        }
    }
}

/// A search request: what the paging helper of the clients needs to know about it.
///
/// ```
/// use idpkit::authz::authzen::{SearchRequest, SearchKind, ActionSearchRequest, Subject, Resource};
/// let mut r = ActionSearchRequest::new(Subject::new("user", "a"), Resource::new("doc", "1"));
/// r.page_mut().get_or_insert_with(Default::default).token = Some("t".into());
/// assert_eq!(ActionSearchRequest::KIND, SearchKind::Action);
/// ```
pub trait SearchRequest: Serialize + Clone + Send + Sync {
    /// The entities the search returns.
    type Result: DeserializeOwned + Send;
    /// Which search it is.
    const KIND: SearchKind;
    /// The request's `page`.
    fn page_mut(&mut self) -> &mut Option<Page>;
}

macro_rules! search_request {
    ($(#[$doc:meta])* $name:ident, $kind:ident, $result:ty, { $($(#[$fdoc:meta])* $field:ident : $ty:ty),* }, $example:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
            /// The environment of the request; not sent when `None`.
            #[serde(
                default,
                skip_serializing_if = "Option::is_none",
                serialize_with = "ser_opt_map_no_nulls"
            )]
            pub context: Option<Context>,
            /// Paging; not sent when `None`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub page: Option<Page>,
        }

        impl $name {
            /// A request without context or paging.
            ///
            /// ```
            /// use idpkit::authz::authzen::*;
            #[doc = $example]
            /// assert!(r.page.is_none());
            /// ```
            pub fn new($($field: $ty),*) -> Self {
                $name { $($field,)* context: None, page: None }
            }

            /// Sets the page (e.g. [`Page::limit`]).
            ///
            /// ```
            /// use idpkit::authz::authzen::*;
            #[doc = $example]
            /// let r = r.with_page(Page::limit(10));
            /// assert_eq!(r.page.unwrap().limit, Some(10));
            /// ```
            pub fn with_page(mut self, page: Page) -> Self {
                self.page = Some(page);
                self
            }
        }

        impl SearchRequest for $name {
            type Result = $result;
            const KIND: SearchKind = SearchKind::$kind;
            fn page_mut(&mut self) -> &mut Option<Page> {
                &mut self.page
            }
        }
    };
}

search_request!(
    /// Which subjects of a type may do `action` on `resource` (AuthZEN 1.0 `#subject-search-api`)? The subject
    /// carries only its type ([`Subject::of_type`]).
    SubjectSearchRequest, Subject, Subject,
    {
        /// The subject type searched for (its id is not sent when empty).
        subject: Subject,
        /// The action.
        action: Action,
        /// The resource.
        resource: Resource
    },
    "let r = SubjectSearchRequest::new(Subject::of_type(\"user\"), Action::new(\"read\"), Resource::new(\"doc\", \"1\"));"
);

search_request!(
    /// Which resources of a type may `subject` do `action` on (AuthZEN 1.0 `#resource-search-api`)? The resource
    /// carries only its type ([`Resource::of_type`]).
    ResourceSearchRequest, Resource, Resource,
    {
        /// The subject.
        subject: Subject,
        /// The action.
        action: Action,
        /// The resource type searched for (its id is not sent when empty).
        resource: Resource
    },
    "let r = ResourceSearchRequest::new(Subject::new(\"user\", \"a\"), Action::new(\"read\"), Resource::of_type(\"doc\"));"
);

search_request!(
    /// Which actions may `subject` do on `resource` (AuthZEN 1.0 `#action-search-api`)? There is no `action`
    /// member.
    ActionSearchRequest, Action, Action,
    {
        /// The subject.
        subject: Subject,
        /// The resource.
        resource: Resource
    },
    "let r = ActionSearchRequest::new(Subject::new(\"user\", \"a\"), Resource::new(\"doc\", \"1\"));"
);
