//! CloudWatch Logs filter patterns (the `filterPattern` of FilterLogEvents), parsed once
//! per request and matched against each event's message.
//!
//! Supported, with CloudWatch's semantics (patterns are case sensitive):
//! - empty pattern: every event;
//! - terms: `ERROR` (the message contains it), `"connection refused"` (a quoted phrase),
//!   several terms = all of them, `-term` = none of them, `?a ?b` = at least one of them;
//! - JSON: `{ $.level = "ERROR" }`, `{ $.status >= 500 }`, `{ $.path = "/api*" }` (`*` is
//!   a wildcard in string values), `!=`, `<`, `<=`, `>`, `>=`, `IS TRUE`, `IS FALSE`,
//!   `IS NULL`, `EXISTS`, `NOT EXISTS`, combined with `&&`, `||` and parentheses;
//!   selectors `$.a.b` and `$.a[0]`; a message that is not JSON never matches;
//! - regular expressions: `%ERROR|WARN%`.
//!
//! Not supported locally (InvalidParameterException says so): space-delimited patterns
//! (`[ip, user, ...]`).

use regex::Regex;
use serde_json::Value;

/// A parsed filter pattern.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    All,
    Terms(Terms),
    Json(Expr),
    Regex(Regex),
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Terms {
    all: Vec<String>,
    none: Vec<String>,
    any: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Test(Selector, Test),
}

#[derive(Debug, Clone)]
pub(crate) struct Selector(Vec<Step>);

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone)]
pub(crate) enum Test {
    StrEq { pattern: String, negate: bool },
    Num { op: NumOp, value: f64 },
    IsTrue,
    IsFalse,
    IsNull,
    Exists,
    NotExists,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Why a pattern was refused; the API answers InvalidParameterException with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid filter pattern {pattern:?}: {reason}")]
pub(crate) struct PatternError {
    pub(crate) pattern: String,
    pub(crate) reason: String,
}

impl Pattern {
    pub(crate) fn parse(text: &str) -> Result<Pattern, PatternError> {
        let err = |reason: &str| PatternError {
            pattern: text.to_string(),
            reason: reason.to_string(),
        };
        let t = text.trim();
        if t.is_empty() || t == "\"\"" {
            return Ok(Pattern::All);
        }
        if t.starts_with('[') {
            return Err(err(
                "space-delimited patterns ([...]) are not supported by the local stack; \
                 use terms, \"quoted terms\", { $.field = value } or %regex%",
            ));
        }
        if let Some(inner) = t.strip_prefix('{') {
            let inner = inner
                .strip_suffix('}')
                .ok_or_else(|| err("a JSON pattern must end with }"))?;
            let tokens = lex(inner).map_err(|r| err(&r))?;
            let mut p = Parser { tokens, pos: 0 };
            let expr = p.or().map_err(|r| err(&r))?;
            if p.pos != p.tokens.len() {
                return Err(err(&format!("unexpected {:?}", p.tokens[p.pos])));
            }
            return Ok(Pattern::Json(expr));
        }
        if t.len() >= 2 && t.starts_with('%') && t.ends_with('%') {
            let re = Regex::new(&t[1..t.len() - 1]).map_err(|e| err(&e.to_string()))?;
            return Ok(Pattern::Regex(re));
        }
        let mut terms = Terms::default();
        for word in split_terms(t).map_err(|r| err(&r))? {
            match word {
                (Some('-'), w) => terms.none.push(w),
                (Some('?'), w) => terms.any.push(w),
                (_, w) => terms.all.push(w),
            }
        }
        Ok(Pattern::Terms(terms))
    }

    pub(crate) fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Regex(re) => re.is_match(message),
            Pattern::Terms(t) => {
                t.all.iter().all(|w| message.contains(w.as_str()))
                    && !t.none.iter().any(|w| message.contains(w.as_str()))
                    && (t.any.is_empty() || t.any.iter().any(|w| message.contains(w.as_str())))
            }
            Pattern::Json(expr) => match serde_json::from_str::<Value>(message.trim()) {
                Ok(v) => expr.eval(&v),
                Err(_) => false,
            },
        }
    }
}

/// Words of a term pattern with their `-`/`?` prefix; quotes group words.
fn split_terms(t: &str) -> Result<Vec<(Option<char>, String)>, String> {
    let mut out = Vec::new();
    let mut chars = t.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&c) = chars.peek() else { break };
        let prefix = if c == '-' || c == '?' {
            chars.next();
            Some(c)
        } else {
            None
        };
        let mut word = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            word.push(n);
                        }
                    }
                    '"' => {
                        closed = true;
                        break;
                    }
                    c => word.push(c),
                }
            }
            if !closed {
                return Err("unterminated quoted term".into());
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        if word.is_empty() {
            return Err("empty term".into());
        }
        out.push((prefix, word));
    }
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Sel(String),
    Str(String),
    Word(String),
    Num(f64),
    Op(&'static str),
    LParen,
    RParen,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = b[i..(i + 2).min(b.len())].iter().collect();
        if let Some(op) = ["&&", "||", "!=", "<=", ">="]
            .into_iter()
            .find(|o| *o == two)
        {
            out.push(Tok::Op(op));
            i += 2;
            continue;
        }
        match c {
            '(' => out.push(Tok::LParen),
            ')' => out.push(Tok::RParen),
            '=' => out.push(Tok::Op("=")),
            '<' => out.push(Tok::Op("<")),
            '>' => out.push(Tok::Op(">")),
            '"' => {
                let mut v = String::new();
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('\\') => {
                            if let Some(&n) = b.get(i + 1) {
                                v.push(n);
                            }
                            i += 2;
                        }
                        Some('"') => break,
                        Some(&c) => {
                            v.push(c);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            '$' => {
                let start = i;
                while i < b.len() && !b[i].is_whitespace() && !"=!<>()&|".contains(b[i]) {
                    i += 1;
                }
                out.push(Tok::Sel(b[start..i].iter().collect()));
                continue;
            }
            _ => {
                let start = i;
                while i < b.len() && !b[i].is_whitespace() && !"=!<>()&|\"".contains(b[i]) {
                    i += 1;
                }
                if start == i {
                    return Err(format!("unexpected {c:?}"));
                }
                let w: String = b[start..i].iter().collect();
                match w.parse::<f64>() {
                    Ok(n) if !w.eq_ignore_ascii_case("nan") && !w.contains("inf") => {
                        out.push(Tok::Num(n))
                    }
                    _ => out.push(Tok::Word(w)),
                }
                continue;
            }
        }
        i += 1;
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Op("||")) {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.atom()?;
        while self.peek() == Some(&Tok::Op("&&")) {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.atom()?));
        }
        Ok(left)
    }
    fn atom(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err("missing )".into()),
                }
            }
            Some(Tok::Sel(s)) => {
                let sel = Selector::parse(&s)?;
                let test = self.test()?;
                Ok(Expr::Test(sel, test))
            }
            Some(t) => Err(format!("expected a selector like $.level, got {t:?}")),
            None => Err("expected a selector like $.level".into()),
        }
    }
    fn test(&mut self) -> Result<Test, String> {
        let word = |t: &Option<Tok>, w: &str| matches!(t, Some(Tok::Word(x)) if x == w);
        let t = self.next();
        if word(&t, "IS") {
            let v = self.next();
            return if word(&v, "TRUE") {
                Ok(Test::IsTrue)
            } else if word(&v, "FALSE") {
                Ok(Test::IsFalse)
            } else if word(&v, "NULL") {
                Ok(Test::IsNull)
            } else {
                Err("IS must be followed by TRUE, FALSE or NULL".into())
            };
        }
        if word(&t, "EXISTS") {
            return Ok(Test::Exists);
        }
        if word(&t, "NOT") {
            return if word(&self.next(), "EXISTS") {
                Ok(Test::NotExists)
            } else {
                Err("NOT must be followed by EXISTS".into())
            };
        }
        let op = match t {
            Some(Tok::Op(op)) if !matches!(op, "&&" | "||") => op,
            other => {
                return Err(format!(
                    "expected a comparison after the selector, got {other:?}"
                ))
            }
        };
        let value = self.next();
        let num_op = match op {
            "=" => NumOp::Eq,
            "!=" => NumOp::Ne,
            "<" => NumOp::Lt,
            "<=" => NumOp::Le,
            ">" => NumOp::Gt,
            _ => NumOp::Ge,
        };
        match value {
            Some(Tok::Num(n)) => Ok(Test::Num {
                op: num_op,
                value: n,
            }),
            Some(Tok::Str(s)) | Some(Tok::Word(s)) if matches!(num_op, NumOp::Eq | NumOp::Ne) => {
                Ok(Test::StrEq {
                    pattern: s,
                    negate: num_op == NumOp::Ne,
                })
            }
            Some(Tok::Str(_)) | Some(Tok::Word(_)) => {
                Err(format!("{op} compares numbers; strings take = or !="))
            }
            other => Err(format!("expected a value after {op}, got {other:?}")),
        }
    }
}

/// A metric filter's `metricValue`: a number, or a `$.selector` into a JSON event (only
/// with a JSON pattern, as AWS has it); an event whose field is not a number publishes
/// nothing.
#[derive(Debug, Clone)]
pub(crate) enum MetricValue {
    Number(f64),
    Field(Selector),
}

impl MetricValue {
    pub(crate) fn parse(text: &str, pattern: &Pattern) -> Result<MetricValue, String> {
        let t = text.trim();
        if t.starts_with('$') {
            if !matches!(pattern, Pattern::Json(_)) {
                return Err("a $.field value needs a JSON filter pattern ({ ... })".into());
            }
            return Selector::parse(t).map(MetricValue::Field);
        }
        match t.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(MetricValue::Number(n)),
            _ => Err("not a number nor a $.field of the event".into()),
        }
    }

    /// The value `message` publishes.
    pub(crate) fn of(&self, message: &str) -> Option<f64> {
        match self {
            MetricValue::Number(n) => Some(*n),
            MetricValue::Field(sel) => {
                let v: Value = serde_json::from_str(message.trim()).ok()?;
                match sel.select(&v)? {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.parse().ok().filter(|n: &f64| n.is_finite()),
                    _ => None,
                }
            }
        }
    }
}

impl Selector {
    fn parse(s: &str) -> Result<Selector, String> {
        let rest = s
            .strip_prefix('$')
            .ok_or_else(|| format!("selector {s:?} must start with $"))?;
        let mut steps = Vec::new();
        let mut chars = rest.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '.' => {
                    let mut key = String::new();
                    while let Some(&c) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        key.push(c);
                        chars.next();
                    }
                    if key.is_empty() {
                        return Err(format!("selector {s:?} has an empty key"));
                    }
                    steps.push(Step::Key(key));
                }
                '[' => {
                    let mut idx = String::new();
                    for c in chars.by_ref() {
                        if c == ']' {
                            break;
                        }
                        idx.push(c);
                    }
                    let n = idx
                        .parse()
                        .map_err(|_| format!("selector {s:?}: [{idx}] is not an index"))?;
                    steps.push(Step::Index(n));
                }
                _ => return Err(format!("selector {s:?}: unexpected {c:?}")),
            }
        }
        if steps.is_empty() {
            return Err(format!("selector {s:?} selects nothing"));
        }
        Ok(Selector(steps))
    }

    fn select<'a>(&self, v: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(v, |v, step| match step {
            Step::Key(k) => v.get(k.as_str()),
            Step::Index(i) => v.get(*i),
        })
    }
}

impl Expr {
    fn eval(&self, v: &Value) -> bool {
        match self {
            Expr::And(a, b) => a.eval(v) && b.eval(v),
            Expr::Or(a, b) => a.eval(v) || b.eval(v),
            Expr::Test(sel, test) => {
                let found = sel.select(v);
                match test {
                    Test::Exists => found.is_some(),
                    Test::NotExists => found.is_none(),
                    Test::IsNull => matches!(found, Some(Value::Null)),
                    Test::IsTrue => matches!(found, Some(Value::Bool(true))),
                    Test::IsFalse => matches!(found, Some(Value::Bool(false))),
                    Test::StrEq { pattern, negate } => match found {
                        Some(Value::String(s)) => wildcard(pattern, s) != *negate,
                        // A bare word compared with a boolean or number field.
                        Some(Value::Bool(b)) => (b.to_string() == *pattern) != *negate,
                        _ => false,
                    },
                    Test::Num { op, value } => {
                        let Some(x) = found.and_then(Value::as_f64) else {
                            return false;
                        };
                        match op {
                            NumOp::Eq => x == *value,
                            NumOp::Ne => x != *value,
                            NumOp::Lt => x < *value,
                            NumOp::Le => x <= *value,
                            NumOp::Gt => x > *value,
                            NumOp::Ge => x >= *value,
                        }
                    }
                }
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn wildcard(pattern: &str, s: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == s;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCESS: &str = r#"{"timestamp":"2026-11-29T20:00:00.000001Z","level":"INFO","message":"request","method":"GET","path":"/health","status":200,"latency_ms":1.5,"request_id":"req-1","target":"demo::access","tags":["a","b"],"ok":true,"none":null}"#;
    const ERROR: &str = r#"{"timestamp":"2026-11-29T20:00:00.000001Z","level":"ERROR","message":"connection refused by upstream","status":503}"#;

    fn m(p: &str, msg: &str) -> bool {
        Pattern::parse(p).unwrap().matches(msg)
    }

    #[test]
    fn empty_pattern_matches_everything() {
        assert!(m("", "anything"));
        assert!(m("  ", "anything"));
    }

    #[test]
    fn terms_are_case_sensitive_and_all_must_match() {
        assert!(m("ERROR", ERROR));
        assert!(!m("error", ERROR));
        assert!(m("ERROR refused", ERROR));
        assert!(!m("ERROR accepted", ERROR));
    }

    #[test]
    fn quoted_terms_are_phrases() {
        assert!(m("\"connection refused\"", ERROR));
        assert!(!m("\"refused connection\"", ERROR));
        // Unquoted, both words anywhere.
        assert!(m("refused connection", ERROR));
    }

    #[test]
    fn exclusion_and_alternatives() {
        assert!(!m("ERROR -refused", ERROR));
        assert!(m("ERROR -accepted", ERROR));
        assert!(m("?WARN ?ERROR", ERROR));
        assert!(!m("?WARN ?DEBUG", ERROR));
    }

    #[test]
    fn json_string_equality_with_wildcards() {
        assert!(m(r#"{ $.level = "ERROR" }"#, ERROR));
        assert!(!m(r#"{ $.level = "ERROR" }"#, ACCESS));
        assert!(m(r#"{ $.level != "ERROR" }"#, ACCESS));
        assert!(m(r#"{ $.path = "/hea*" }"#, ACCESS));
        assert!(m(r#"{ $.path = "*lth" }"#, ACCESS));
        assert!(m(r#"{ $.path = "/*a*h" }"#, ACCESS));
        assert!(!m(r#"{ $.path = "/api*" }"#, ACCESS));
        assert!(m("{ $.method = GET }", ACCESS));
    }

    #[test]
    fn json_numbers_booleans_null_and_existence() {
        assert!(m("{ $.status >= 500 }", ERROR));
        assert!(!m("{ $.status >= 500 }", ACCESS));
        assert!(m("{ $.status = 200 }", ACCESS));
        assert!(m("{ $.latency_ms < 2 }", ACCESS));
        assert!(!m("{ $.latency_ms > 2 }", ACCESS));
        assert!(m("{ $.ok IS TRUE }", ACCESS));
        assert!(!m("{ $.ok IS FALSE }", ACCESS));
        assert!(m("{ $.none IS NULL }", ACCESS));
        assert!(m("{ $.request_id EXISTS }", ACCESS));
        assert!(m("{ $.request_id NOT EXISTS }", ERROR));
        assert!(m(r#"{ $.tags[1] = "b" }"#, ACCESS));
        // A string field never equals a number.
        assert!(!m("{ $.level = 1 }", ERROR));
    }

    #[test]
    fn json_and_or_parentheses() {
        assert!(m(r#"{ $.level = "INFO" && $.status = 200 }"#, ACCESS));
        assert!(!m(r#"{ $.level = "INFO" && $.status = 500 }"#, ACCESS));
        assert!(m(
            r#"{ ($.level = "ERROR" || $.status >= 500) && $.message = "connection*" }"#,
            ERROR
        ));
        assert!(!m(
            r#"{ ($.level = "ERROR" || $.status >= 500) && $.message = "x*" }"#,
            ERROR
        ));
    }

    #[test]
    fn json_pattern_never_matches_plain_text() {
        assert!(!m(r#"{ $.level = "ERROR" }"#, "ERROR plain text"));
    }

    #[test]
    fn regex_patterns() {
        assert!(m("%refused|timeout%", ERROR));
        assert!(!m("%^INFO%", ERROR));
    }

    #[test]
    fn bad_patterns_say_why() {
        for p in [
            "[ip, user]",
            "{ $.level = }",
            "{ level = \"x\" }",
            "{ $.level = \"x\"",
            "{ $.status > \"x\" }",
            "\"open",
            "%(%",
            "{ $.a IS MAYBE }",
        ] {
            let e = Pattern::parse(p).unwrap_err();
            assert_eq!(e.pattern, p);
            assert!(!e.reason.is_empty(), "{p}");
        }
    }
}
