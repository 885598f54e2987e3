//! Authora-compatible permission patterns (`resource:action`, `mcp:server:tool.name`) and a
//! deny-first permission set compiled once.
//!
//! The grammar is Authora 0.4.3's, bit for bit: both strings are split on `:` (empty segments
//! count, no trimming, case-sensitive); the segment counts must be equal; a pattern segment
//! that is exactly `*` matches any one segment (even an empty one); a segment that contains `*`
//! is a Python `fnmatch` glob on POSIX (`*` any run of characters, `?` one character, `[abc]`,
//! `[a-z]`, `[!abc]` classes, an unclosed `[` literal); any other segment must be equal. So `?`
//! and `[..]` are literal unless the same segment has a `*`, and a `*` never crosses a `:`.
//! This is a different grammar from [`authz::scope`](crate::authz::scope); the two never mix.

use std::collections::HashMap;

/// Whether `pattern` grants `permission` (Authora's `match_permission`).
///
/// ```
/// use idpkit::agent::permission::matches;
/// assert!(matches("files:reports/*", "files:reports/2024/q1.pdf"));
/// assert!(!matches("files:*", "files:reports:read"));
/// assert!(!matches("files:rea?", "files:read"));
/// assert!(matches("files:rea?*", "files:read"));
/// ```
pub fn matches(pattern: &str, permission: &str) -> bool {
    Pattern::compile(pattern).matches(permission)
}

/// One compiled pattern.
#[derive(Debug, Clone)]
struct Pattern {
    segments: Box<[Segment]>,
}

#[derive(Debug, Clone)]
enum Segment {
    /// Exactly `*`: any one segment.
    Any,
    /// No `*`: equality.
    Literal(Box<str>),
    /// Contains `*`: an fnmatch glob.
    Glob(Box<[Token]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Star,
    AnyChar,
    Char(char),
    /// A character class: inclusive ranges, possibly negated. Empty and not negated: matches
    /// nothing (fnmatch's `(?!)`).
    Class {
        negated: bool,
        ranges: Box<[(char, char)]>,
    },
}

impl Pattern {
    fn compile(pattern: &str) -> Pattern {
        let segments = pattern
            .split(':')
            .map(|s| {
                if s == "*" {
                    Segment::Any
                } else if s.contains('*') {
                    Segment::Glob(translate(s).into_boxed_slice())
                } else {
                    Segment::Literal(s.into())
                }
            })
            .collect();
        Pattern { segments }
    }

    fn matches(&self, permission: &str) -> bool {
        let mut parts = permission.split(':');
        for segment in &self.segments {
            let Some(part) = parts.next() else {
                return false;
            };
            let ok = match segment {
                Segment::Any => true,
                Segment::Literal(l) => **l == *part,
                Segment::Glob(tokens) => glob(tokens, part),
            };
            if !ok {
                return false;
            }
        }
        parts.next().is_none()
    }
}

/// Python 3.11's `fnmatch.translate` and `re`'s class parser, reduced to tokens.
fn translate(pat: &str) -> Vec<Token> {
    let pat: Vec<char> = pat.chars().collect();
    let n = pat.len();
    let mut out = Vec::new();
    let mut i = 0;
    while i < n {
        let c = pat[i];
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::AnyChar),
            '[' => {
                let mut j = i;
                if j < n && pat[j] == '!' {
                    j += 1;
                }
                if j < n && pat[j] == ']' {
                    j += 1;
                }
                while j < n && pat[j] != ']' {
                    j += 1;
                }
                if j >= n {
                    out.push(Token::Char('['));
                } else {
                    out.push(class(&pat, i, j));
                    i = j + 1;
                }
            }
            c => out.push(Token::Char(c)),
        }
    }
    out
}

/// The class `pat[i..j]` (between `[` and `]`), as fnmatch rewrites it and `re` reads it.
/// Items are `(char, escaped)`; an unescaped `-` is a range marker.
fn class(pat: &[char], i: usize, j: usize) -> Token {
    let never = Token::Class {
        negated: false,
        ranges: Box::new([]),
    };
    let mut stuff: Vec<(char, bool)> = Vec::new();
    if !pat[i..j].contains(&'-') {
        stuff.extend(pat[i..j].iter().map(|&c| (c, c == '\\')));
    } else {
        let mut chunks: Vec<Vec<char>> = Vec::new();
        let mut start = i;
        let mut k = if pat[start] == '!' {
            start + 2
        } else {
            start + 1
        };
        while let Some(h) = (k < j)
            .then(|| pat[k..j].iter().position(|&c| c == '-'))
            .flatten()
        {
            let h = k + h;
            chunks.push(pat[start..h].to_vec());
            start = h + 1;
            k = h + 3;
        }
        let last = &pat[start..j];
        if last.is_empty() {
            if let Some(prev) = chunks.last_mut() {
                prev.push('-');
            }
        } else {
            chunks.push(last.to_vec());
        }
        // Remove empty ranges, as fnmatch does (an IndexError there: the pattern never matches).
        for k in (1..chunks.len()).rev() {
            let (Some(&hi), Some(&lo)) = (chunks[k - 1].last(), chunks[k].first()) else {
                return never;
            };
            if hi > lo {
                let next = chunks.remove(k);
                chunks[k - 1].pop();
                chunks[k - 1].extend_from_slice(&next[1..]);
            }
        }
        for (idx, chunk) in chunks.iter().enumerate() {
            if idx > 0 {
                stuff.push(('-', false));
            }
            stuff.extend(chunk.iter().map(|&c| (c, c == '\\' || c == '-')));
        }
    }
    for item in &mut stuff {
        if matches!(item.0, '&' | '~' | '|') {
            item.1 = true;
        }
    }
    if stuff.is_empty() {
        return never;
    }
    if stuff == [('!', false)] {
        return Token::AnyChar;
    }
    let mut negated = false;
    if stuff[0] == ('!', false) {
        negated = true;
        stuff.remove(0);
    }
    // `re`'s class parser: `a-b` is a range unless the `-` ends the class.
    let mut ranges = Vec::new();
    let mut t = 0;
    while t < stuff.len() {
        let lo = stuff[t].0;
        if stuff.get(t + 1) == Some(&('-', false)) {
            match stuff.get(t + 2) {
                None => {
                    ranges.push((lo, lo));
                    ranges.push(('-', '-'));
                    t += 2;
                }
                Some(&(hi, _)) if hi >= lo => {
                    ranges.push((lo, hi));
                    t += 3;
                }
                // `re.error: bad character range`: the pattern never matches.
                Some(_) => return never,
            }
        } else {
            ranges.push((lo, lo));
            t += 1;
        }
    }
    Token::Class {
        negated,
        ranges: ranges.into_boxed_slice(),
    }
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Star => true,
        Token::AnyChar => true,
        Token::Char(t) => *t == c,
        Token::Class { negated, ranges } => {
            *negated != ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
        }
    }
}

/// Whole-string glob match over code points, with one backtracking point per `*`.
fn glob(tokens: &[Token], s: &str) -> bool {
    let (mut t, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = s[i..].chars().next() {
        match tokens.get(t) {
            Some(Token::Star) => {
                t += 1;
                star = Some((t, i));
                continue;
            }
            Some(token) if token_matches(token, c) => {
                t += 1;
                i += c.len_utf8();
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, si)) => {
                let skip = s[si..].chars().next().map_or(1, char::len_utf8);
                star = Some((st, si + skip));
                t = st;
                i = si + skip;
            }
            None => return false,
        }
    }
    tokens[t.min(tokens.len())..]
        .iter()
        .all(|tok| *tok == Token::Star)
}

/// Patterns compiled once for fast matching: grouped by segment count, then each pattern with
/// a literal segment is indexed by its most selective one (the literal fewest patterns of its
/// group share at that position). A check hashes at most one segment per indexed position and
/// tries only the patterns found, plus those without any literal. Matching allocates nothing.
#[derive(Debug, Clone, Default)]
struct Compiled {
    /// Indexed by segment count.
    by_count: Vec<Bucket>,
}

type Index = HashMap<Box<str>, Vec<Pattern>, foldhash::fast::RandomState>;

#[derive(Debug, Clone, Default)]
struct Bucket {
    /// Per segment position, the patterns indexed by their literal there.
    by_position: Vec<(usize, Index)>,
    /// Patterns without a literal segment.
    other: Vec<Pattern>,
}

impl Compiled {
    fn new<S: AsRef<str>>(patterns: impl IntoIterator<Item = S>) -> Compiled {
        let mut groups: HashMap<usize, Vec<Pattern>> = HashMap::new();
        for p in patterns {
            let pattern = Pattern::compile(p.as_ref());
            groups
                .entry(pattern.segments.len())
                .or_default()
                .push(pattern);
        }
        let mut compiled = Compiled::default();
        for (count, patterns) in groups {
            let mut frequency: HashMap<(usize, &str), usize> = HashMap::new();
            for p in &patterns {
                for (i, s) in p.segments.iter().enumerate() {
                    if let Segment::Literal(l) = s {
                        *frequency.entry((i, l)).or_default() += 1;
                    }
                }
            }
            let choice: Vec<Option<(usize, Box<str>)>> = patterns
                .iter()
                .map(|p| {
                    p.segments
                        .iter()
                        .enumerate()
                        .filter_map(|(i, s)| match s {
                            Segment::Literal(l) => Some((frequency[&(i, &**l)], i, l.clone())),
                            _ => None,
                        })
                        .min_by_key(|(n, i, _)| (*n, *i))
                        .map(|(_, i, l)| (i, l))
                })
                .collect();
            if compiled.by_count.len() <= count {
                compiled.by_count.resize_with(count + 1, Bucket::default);
            }
            let bucket = &mut compiled.by_count[count];
            for (pattern, choice) in patterns.into_iter().zip(choice) {
                match choice {
                    Some((position, literal)) => {
                        let index =
                            match bucket.by_position.iter().position(|(p, _)| *p == position) {
                                Some(k) => &mut bucket.by_position[k].1,
                                None => {
                                    bucket.by_position.push((position, Index::default()));
                                    &mut bucket.by_position.last_mut().expect("just pushed").1
                                }
                            };
                        index.entry(literal).or_default().push(pattern);
                    }
                    None => bucket.other.push(pattern),
                }
            }
        }
        compiled
    }

    /// Whether a pattern matches `permission`, which has `count` segments.
    fn any_match(&self, permission: &str, count: usize) -> bool {
        let Some(bucket) = self.by_count.get(count) else {
            return false;
        };
        bucket.by_position.iter().any(|(position, index)| {
            let segment = permission.split(':').nth(*position).unwrap_or("");
            index
                .get(segment)
                .is_some_and(|ps| ps.iter().any(|p| p.matches(permission)))
        }) || bucket.other.iter().any(|p| p.matches(permission))
    }
}

fn segment_count(permission: &str) -> usize {
    permission.bytes().filter(|&b| b == b':').count() + 1
}

/// An agent's permissions: an allow list and a deny list of patterns, compiled once. A
/// permission is allowed when no deny pattern matches it and an allow pattern does (Authora's
/// `has_permission`, deny first). Checks allocate nothing.
///
/// ```
/// use idpkit::agent::permission::PermissionSet;
/// let set = PermissionSet::new(["files:*"], ["files:secret"]);
/// assert!(set.is_allowed("files:read"));
/// assert!(!set.is_allowed("files:secret"));
/// assert!(!PermissionSet::new([""; 0], [""; 0]).is_allowed("files:read"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct PermissionSet {
    allow: Compiled,
    deny: Compiled,
    len: (usize, usize),
}

impl PermissionSet {
    /// Compiles `allow` and `deny` patterns.
    ///
    /// ```
    /// let set = idpkit::agent::permission::PermissionSet::new(vec!["mcp:server1:*".to_owned()], Vec::<String>::new());
    /// assert!(set.is_allowed("mcp:server1:tool.query"));
    /// ```
    pub fn new<A: AsRef<str>, D: AsRef<str>>(
        allow: impl IntoIterator<Item = A>,
        deny: impl IntoIterator<Item = D>,
    ) -> PermissionSet {
        let allow: Vec<A> = allow.into_iter().collect();
        let deny: Vec<D> = deny.into_iter().collect();
        PermissionSet {
            len: (allow.len(), deny.len()),
            allow: Compiled::new(allow),
            deny: Compiled::new(deny),
        }
    }

    /// Whether `permission` is allowed: denied by none, allowed by one.
    ///
    /// ```
    /// let set = idpkit::agent::permission::PermissionSet::new(["*:*"], ["admin:*"]);
    /// assert!(!set.is_allowed("admin:delete"));
    /// ```
    pub fn is_allowed(&self, permission: &str) -> bool {
        let count = segment_count(permission);
        !self.deny.any_match(permission, count) && self.allow.any_match(permission, count)
    }

    /// Whether a deny pattern matches `permission`.
    ///
    /// ```
    /// let set = idpkit::agent::permission::PermissionSet::new([""; 0], ["admin:*"]);
    /// assert!(set.is_denied("admin:delete"));
    /// ```
    pub fn is_denied(&self, permission: &str) -> bool {
        self.deny.any_match(permission, segment_count(permission))
    }

    /// The number of allow and deny patterns.
    ///
    /// ```
    /// let set = idpkit::agent::permission::PermissionSet::new(["a", "b"], ["c"]);
    /// assert_eq!(set.len(), (2, 1));
    /// ```
    pub fn len(&self) -> (usize, usize) {
        self.len
    }

    /// Whether both lists are empty (everything is denied).
    ///
    /// ```
    /// assert!(idpkit::agent::permission::PermissionSet::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == (0, 0)
    }
}

#[cfg(test)]
mod tests;
