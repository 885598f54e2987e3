//! Condition operators over JSON values (spec A5.2–A5.3): dotted-key lookup, the equality `≡`
//! (numbers by mathematical value, booleans never numbers) and the ordering of the
//! comparison operators. Pure, allocation-free.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::error::PolicyError;
use super::model::Operator;

/// Reads a dotted path inside `root`: only JSON objects are walked; anything else (or null) on
/// the way gives `None` (missing). `parts` are the key's `.`-separated parts.
pub(crate) fn lookup<'v>(root: Option<&'v Value>, parts: &[Box<str>]) -> Option<&'v Value> {
    let mut current = root?;
    for part in parts {
        current = match current {
            Value::Object(map) => map.get(&**part)?,
            _ => return None,
        };
    }
    (!current.is_null()).then_some(current)
}

/// `a ≡ b`: JSON deep equality, numbers by exact mathematical value, a bool never equal to a
/// number, object key order irrelevant.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => num_cmp(x, y) == Ordering::Equal,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => false,
    }
}

/// A JSON number as an exact integer when it is one.
fn as_int(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// Exact comparison of two JSON numbers (integers beyond 2^53 are not rounded through f64).
pub(crate) fn num_cmp(a: &Number, b: &Number) -> Ordering {
    match (as_int(a), as_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(x), None) => int_float_cmp(x, b.as_f64().unwrap_or(0.0)),
        (None, Some(y)) => int_float_cmp(y, a.as_f64().unwrap_or(0.0)).reverse(),
        (None, None) => {
            let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
    }
}

/// Compares an integer with a finite float exactly.
fn int_float_cmp(i: i128, f: f64) -> Ordering {
    // Every i128 we hold fits in ±2^64; floats beyond ±2^100 are out of its reach.
    const LIMIT: f64 = 1.2676506002282294e30; // 2^100
    if f >= LIMIT {
        return Ordering::Less;
    }
    if f <= -LIMIT {
        return Ordering::Greater;
    }
    let floor = f.floor();
    // Exact: |floor| < 2^100 is an integer-valued float, representable in i128.
    let fl = floor as i128;
    match i.cmp(&fl) {
        Ordering::Equal if f > floor => Ordering::Less,
        other => other,
    }
}

/// The ordering of `gt`/`gte`/`lt`/`lte`: numbers with numbers, strings with strings
/// (code-point order); anything else is a type error.
fn order(c: &Value, v: &Value, op: Operator) -> Result<Ordering, PolicyError> {
    match (c, v) {
        (Value::Number(x), Value::Number(y)) => Ok(num_cmp(x, y)),
        (Value::String(x), Value::String(y)) => Ok(x.as_str().cmp(y.as_str())),
        _ => Err(type_error(op, c, v)),
    }
}

fn type_error(operator: Operator, c: &Value, v: &Value) -> PolicyError {
    PolicyError::TypeMismatch {
        rule: 0,
        condition: 0,
        operator,
        found: kind(c),
        value: kind(v),
    }
}

/// A JSON value's kind, for error messages.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

static NULL: Value = Value::Null;

/// Applies `op` to the value read (`c`, `None` = missing or null) and the condition's value
/// `v`. `list` is `v` as the list of `in`/`not_in` (itself when an array, else `[v]`).
/// A type error comes back with `rule` and `condition` 0: the caller fills them in.
pub(crate) fn apply(
    op: Operator,
    c: Option<&Value>,
    v: &Value,
    list: &[Value],
) -> Result<bool, PolicyError> {
    Ok(match op {
        Operator::Exists => c.is_some(),
        Operator::Equals => json_eq(c.unwrap_or(&NULL), v),
        Operator::NotEquals => !json_eq(c.unwrap_or(&NULL), v),
        Operator::In => {
            let c = c.unwrap_or(&NULL);
            list.iter().any(|item| json_eq(item, c))
        }
        Operator::NotIn => {
            let c = c.unwrap_or(&NULL);
            !list.iter().any(|item| json_eq(item, c))
        }
        Operator::Contains => match c {
            None => false,
            Some(cv @ Value::String(s)) => match v {
                Value::String(needle) => s.contains(needle.as_str()),
                _ => return Err(type_error(op, cv, v)),
            },
            Some(Value::Array(items)) => items.iter().any(|item| json_eq(item, v)),
            Some(cv @ Value::Object(map)) => match v {
                Value::String(key) => map.contains_key(key.as_str()),
                Value::Array(_) | Value::Object(_) => return Err(type_error(op, cv, v)),
                _ => false,
            },
            Some(other) => return Err(type_error(op, other, v)),
        },
        Operator::Gt => ordered(op, c, v, Ordering::is_gt)?,
        Operator::Gte => ordered(op, c, v, Ordering::is_ge)?,
        Operator::Lt => ordered(op, c, v, Ordering::is_lt)?,
        Operator::Lte => ordered(op, c, v, Ordering::is_le)?,
    })
}

/// A comparison operator: false when `c` is missing, else `holds` of the ordering.
fn ordered(
    op: Operator,
    c: Option<&Value>,
    v: &Value,
    holds: fn(Ordering) -> bool,
) -> Result<bool, PolicyError> {
    c.map_or(Ok(false), |c| Ok(holds(order(c, v, op)?)))
}
