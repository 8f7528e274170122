//! String functions: `join split format lower upper replace trimspace substr startswith
//! endswith`. Offsets and lengths count characters (Unicode scalar values); `replace` takes a
//! `/regex/` as Terraform does (the `regex` crate: linear time, `$1` in the replacement).
//!
//! Invariants: no result grows past `MAX_TEXT` bytes (a hostile `join` or `replace` is an
//! error, not an allocation of gigabytes), and no `format` field is wider than `MAX_WIDTH`;
//! huge or negative offsets are clamped, never panic.

use super::args::A;
use crate::value::Value;

/// The longest string a function makes: 64 MiB.
pub const MAX_TEXT: usize = 64 << 20;

fn bounded(a: &A<'_>, len: usize) -> Result<(), String> {
    if len > MAX_TEXT {
        return Err(format!(
            "{}: the result would be longer than {MAX_TEXT} bytes",
            a.f
        ));
    }
    Ok(())
}

/// `join(separator, lists…)`.
pub fn join(a: &A<'_>) -> Result<Value, String> {
    let sep = a.str(0)?;
    let mut parts = Vec::new();
    for i in 1..a.args.len() {
        parts.extend(a.strings(i)?);
    }
    let len = parts.iter().map(String::len).sum::<usize>()
        + sep.len().saturating_mul(parts.len().saturating_sub(1));
    bounded(a, len)?;
    Ok(Value::String(parts.join(&sep)))
}

/// `split(separator, string)`; an empty separator splits into characters.
pub fn split(a: &A<'_>) -> Result<Value, String> {
    let (sep, s) = (a.str(0)?, a.str(1)?);
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::String(c.to_string())).collect()
    } else {
        s.split(sep.as_str()).map(Value::str).collect()
    };
    Ok(Value::List(parts))
}

/// The widest field and the longest precision `format` accepts.
const MAX_WIDTH: usize = 4096;

/// `format(spec, values…)` with the verbs `%s %d %v %q %t %f %%`, each optionally with flags
/// (`-` left-justify, `+` sign, `0` zero-pad), a width and a precision: `%05.1f`, `%-8s`.
pub fn format(a: &A<'_>) -> Result<Value, String> {
    let spec = a.str(0)?;
    let mut out = String::new();
    let mut next = 1;
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let field = Field::parse(a, &mut chars)?;
        let Some(verb) = chars.next() else {
            return Err(format!("{}: argument 1 ends with a lone \"%\"", a.f));
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if next >= a.args.len() {
            return Err(format!(
                "{}: the verb %{verb} has no value (argument {} is missing)",
                a.f,
                next + 1
            ));
        }
        let text = verb_text(a, verb, next, &field)?;
        out.push_str(&field.pad(text, matches!(verb, 'd' | 'f')));
        bounded(a, out.len())?;
        next += 1;
    }
    if next < a.args.len() {
        let used = next - 1;
        return Err(format!(
            "{}: too many arguments; the format string uses {used} value(s), {} given",
            a.f,
            a.args.len() - 1
        ));
    }
    Ok(Value::String(out))
}

/// The flags, width and precision between `%` and the verb.
#[derive(Default)]
struct Field {
    left: bool,
    plus: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
}

impl Field {
    fn parse(
        a: &A<'_>,
        chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    ) -> Result<Field, String> {
        let mut f = Field::default();
        while let Some(&c) = chars.peek() {
            match c {
                '-' => f.left = true,
                '+' => f.plus = true,
                '0' => f.zero = true,
                _ => break,
            }
            chars.next();
        }
        f.width = Self::digits(a, chars)?.unwrap_or(0);
        if chars.peek() == Some(&'.') {
            chars.next();
            f.precision = Some(Self::digits(a, chars)?.unwrap_or(0));
        }
        Ok(f)
    }

    fn digits(
        a: &A<'_>,
        chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    ) -> Result<Option<usize>, String> {
        let mut n: Option<usize> = None;
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            let v = n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize);
            if v > MAX_WIDTH {
                return Err(format!(
                    "{}: a width or precision in argument 1 is larger than {MAX_WIDTH}",
                    a.f
                ));
            }
            n = Some(v);
        }
        Ok(n)
    }

    /// `text` padded to the width: spaces on the left (or right with `-`), or zeros after
    /// the sign for a number with `0`.
    fn pad(&self, text: String, number: bool) -> String {
        let len = text.chars().count();
        if len >= self.width {
            return text;
        }
        let fill = self.width - len;
        if self.left {
            return format!("{text}{}", " ".repeat(fill));
        }
        if self.zero && number {
            let sign = text.starts_with(['-', '+']) as usize;
            let (s, digits) = text.split_at(sign);
            return format!("{s}{}{digits}", "0".repeat(fill));
        }
        format!("{}{text}", " ".repeat(fill))
    }
}

fn verb_text(a: &A<'_>, verb: char, i: usize, field: &Field) -> Result<String, String> {
    let v = a.get(i)?;
    let signed = |t: String| {
        if field.plus && !t.starts_with('-') {
            format!("+{t}")
        } else {
            t
        }
    };
    let cut = |t: String| match field.precision {
        Some(p) => t.chars().take(p).collect(),
        None => t,
    };
    match verb {
        's' => a.str(i).map(cut),
        'd' => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(signed(n.to_string())),
            _ => match a.num(i)? {
                x if x.fract() == 0.0 => Ok(signed(format!("{x:.0}"))),
                _ => Err(a.wrong(i, "a whole number")),
            },
        },
        'f' => {
            let p = field.precision.unwrap_or(6);
            Ok(signed(format!("{:.p$}", a.num(i)?)))
        }
        't' => v
            .as_bool()
            .map(|b| b.to_string())
            .ok_or_else(|| a.wrong(i, "a bool")),
        'q' => serde_json::to_string(&a.str(i)?).map_err(|e| format!("{}: {e}", a.f)),
        'v' => match v {
            Value::String(s) => Ok(cut(s.clone())),
            other => serde_json::to_string(&other.to_json()).map_err(|e| format!("{}: {e}", a.f)),
        },
        other => Err(format!(
            "{}: unsupported verb %{other} in argument 1 (supported: %s %d %v %q %t %f %%)",
            a.f
        )),
    }
}

pub fn lower(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.to_lowercase()))
}

pub fn upper(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.to_uppercase()))
}

/// `replace(string, search, replacement)`; a search written `/…/` is a regular expression.
pub fn replace(a: &A<'_>) -> Result<Value, String> {
    let (s, search, rep) = (a.str(0)?, a.str(1)?, a.str(2)?);
    if let Some(pattern) = search
        .strip_prefix('/')
        .and_then(|p| p.strip_suffix('/'))
        .filter(|_| search.len() >= 2)
    {
        let re = regex::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| format!("{}: argument 2 is not a valid regular expression: {e}", a.f))?;
        let matches = re.find_iter(&s).count();
        bounded(
            a,
            s.len()
                .saturating_add(matches.saturating_mul(rep.len().saturating_mul(2))),
        )?;
        return Ok(Value::String(re.replace_all(&s, rep.as_str()).into_owned()));
    }
    let matches = if search.is_empty() {
        s.chars().count() + 1
    } else {
        s.matches(search.as_str()).count()
    };
    bounded(a, s.len().saturating_add(matches.saturating_mul(rep.len())))?;
    Ok(Value::String(s.replace(search.as_str(), &rep)))
}

pub fn trimspace(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::String(a.str(0)?.trim().to_string()))
}

/// `substr(string, offset, length)`: a negative offset counts from the end, a length of -1
/// takes the rest; offsets and lengths past the end are clamped.
pub fn substr(a: &A<'_>) -> Result<Value, String> {
    let s = a.str(0)?;
    let (offset, length) = (a.int(1)?, a.int(2)?);
    if length < -1 {
        return Err(format!(
            "{}: argument 3 must be -1 or more, got {length}",
            a.f
        ));
    }
    let chars: Vec<char> = s.chars().collect();
    let total = i64::try_from(chars.len()).unwrap_or(i64::MAX);
    let start = if offset < 0 {
        total.saturating_add(offset).max(0)
    } else {
        offset.min(total)
    };
    let end = if length == -1 {
        total
    } else {
        start.saturating_add(length).min(total)
    };
    let (start, end) = (
        usize::try_from(start).unwrap_or(0),
        usize::try_from(end).unwrap_or(0),
    );
    Ok(Value::String(
        chars.get(start..end).unwrap_or_default().iter().collect(),
    ))
}

pub fn startswith(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::Bool(a.str(0)?.starts_with(a.str(1)?.as_str())))
}

pub fn endswith(a: &A<'_>) -> Result<Value, String> {
    Ok(Value::Bool(a.str(0)?.ends_with(a.str(1)?.as_str())))
}
