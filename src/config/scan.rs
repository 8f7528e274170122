//! A cheap pass over a config file's YAML events (yaml-rust2) before serde_yaml builds any
//! value from it. It bounds what a hostile file can cost — nesting deeper than [`MAX_DEPTH`]
//! or more than [`MAX_NODES`] values stops the pass at once, so the file is never handed to
//! serde_yaml — and it finds what serde_yaml would silently resolve by letting the last one
//! win: a key given twice in one mapping (compared after unquoting, so `"name"` and `name`
//! are the same key). Memory is bounded by the keys of the mappings open at one time.
//!
//! A syntax error ends the pass quietly: serde_yaml reports it with its own message.

use std::collections::HashMap;
use yaml_rust2::parser::{Event, Parser};

/// How deeply mappings and lists may nest (real configs use fewer than ten levels).
pub const MAX_DEPTH: usize = 64;
/// How many values (scalars, mappings, lists) one file may hold: three times a 10,000-resource
/// stack (about 17 each), and about 90 MB once parsed.
pub const MAX_NODES: usize = 500_000;

/// The file must not be parsed any further: it is too deep or too large.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub line: usize,
    pub message: String,
}

/// A key given twice in one mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicateKey {
    /// The key path of the second occurrence (the key included).
    pub path: Vec<String>,
    pub first_line: usize,
    pub line: usize,
}

impl DuplicateKey {
    pub fn message(&self) -> String {
        let key = self.path.last().map(String::as_str).unwrap_or_default();
        let lines = if self.first_line == self.line {
            format!("both on line {}", self.line)
        } else {
            format!("lines {} and {}", self.first_line, self.line)
        };
        format!("the key \"{key}\" appears twice in this mapping ({lines})")
    }
}

#[derive(Debug, Default, PartialEq)]
pub struct Scan {
    pub refusal: Option<Refusal>,
    pub duplicates: Vec<DuplicateKey>,
}

/// Where the walk is inside one open mapping.
#[derive(Clone, Copy, PartialEq)]
enum MapAt {
    /// The next node is a key.
    Key,
    /// A mapping or list used as a key is open.
    ComplexKey,
    /// The next node is the value of the key last pushed on the path.
    Value,
}

enum Frame {
    Map {
        keys: HashMap<String, usize>,
        at: MapAt,
    },
    List {
        next: usize,
    },
}

#[derive(Default)]
struct Walker {
    frames: Vec<Frame>,
    path: Vec<String>,
    nodes: usize,
    scan: Scan,
}

impl Walker {
    /// A node starts: a scalar (`key` is its text) or an alias, mapping or list (`None`).
    fn begin(&mut self, key: Option<&str>, line: usize) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        match frame {
            Frame::List { next } => {
                self.path.push(next.to_string());
                *next += 1;
            }
            Frame::Map { at, .. } if *at == MapAt::Value => {}
            Frame::Map { keys, at } => match key {
                Some(k) => {
                    self.path.push(k.to_string());
                    *at = MapAt::Value;
                    if let Some(&first_line) = keys.get(k) {
                        self.scan.duplicates.push(DuplicateKey {
                            path: self.path.clone(),
                            first_line,
                            line,
                        });
                    } else {
                        keys.insert(k.to_string(), line);
                    }
                }
                None => {
                    self.path.push("?".into());
                    *at = MapAt::ComplexKey;
                }
            },
        }
    }

    /// The node begun last is complete (a scalar at once, a container at its end).
    fn end(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::List { .. }) => {
                self.path.pop();
            }
            Some(Frame::Map { at, .. }) => match *at {
                MapAt::Value => {
                    self.path.pop();
                    *at = MapAt::Key;
                }
                MapAt::ComplexKey | MapAt::Key => *at = MapAt::Value,
            },
            None => {}
        }
    }

    fn refuse(&mut self, line: usize, message: String) {
        self.scan.refusal = Some(Refusal { line, message });
    }

    /// Take one event; `false` when the walk must stop.
    fn event(&mut self, ev: Event, line: usize) -> bool {
        let node = matches!(
            ev,
            Event::Scalar(..)
                | Event::Alias(_)
                | Event::MappingStart(..)
                | Event::SequenceStart(..)
        );
        if node {
            self.nodes += 1;
            if self.nodes > MAX_NODES {
                self.refuse(
                    line,
                    format!("the file holds more than {MAX_NODES} values: split the stack into several files or stacks"),
                );
                return false;
            }
        }
        match ev {
            Event::Scalar(text, ..) => {
                let is_key = matches!(self.frames.last(), Some(Frame::Map { at: MapAt::Key, .. }));
                self.begin(Some(&text), line);
                if !is_key {
                    self.end();
                }
            }
            Event::Alias(_) => {
                // never compared: two aliases may name different values
                self.begin(None, line);
                self.end();
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if self.frames.len() >= MAX_DEPTH {
                    self.refuse(line, too_deep());
                    return false;
                }
                self.begin(None, line);
                self.frames.push(match ev {
                    Event::MappingStart(..) => Frame::Map {
                        keys: HashMap::new(),
                        at: MapAt::Key,
                    },
                    _ => Frame::List { next: 0 },
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.end();
            }
            Event::StreamEnd => return false,
            _ => {}
        }
        true
    }
}

/// Walk `text`'s events, stopping at the first refusal or syntax error.
pub fn scan(text: &str) -> Scan {
    let mut w = Walker::default();
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((ev, mark)) => {
                if !w.event(ev, mark.line()) {
                    break;
                }
            }
            Err(e) => {
                // the scanner's own bound on flow nesting, met before ours when `[[[…` or
                // `{{{…` are written without spaces
                if e.info().contains("recursion limit") {
                    w.refuse(e.marker().line(), too_deep());
                }
                break;
            }
        }
    }
    w.scan
}

fn too_deep() -> String {
    format!("the YAML is nested more than {MAX_DEPTH} levels deep")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dups(text: &str) -> Vec<(Vec<String>, usize, usize)> {
        scan(text)
            .duplicates
            .into_iter()
            .map(|d| (d.path, d.first_line, d.line))
            .collect()
    }

    fn p(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn finds_duplicate_keys_after_unquoting() {
        let text = "a:\n  x: 1\n  'x': 2\nb: [ { k: 1, \"k\": 2 } ]\na: 3\n";
        assert_eq!(
            dups(text),
            vec![
                (p(&["a", "x"]), 2, 3),
                (p(&["b", "0", "k"]), 4, 4),
                (p(&["a"]), 1, 5),
            ]
        );
    }

    #[test]
    fn the_same_key_in_different_mappings_is_fine() {
        let text =
            "a: { name: 1 }\nb: { name: 2 }\nc:\n  - name: 1\n  - name: 2\n? [x]\n: { name: 3 }\n";
        assert_eq!(dups(text), vec![]);
        assert_eq!(scan(text).refusal, None);
    }

    #[test]
    fn refuses_deep_nesting_at_the_line_it_goes_too_deep() {
        let deep = format!("a:\n  b: {}1{}\n", "[".repeat(1000), "]".repeat(1000));
        let r = scan(&deep).refusal.expect("refused");
        assert_eq!(r.line, 2);
        assert!(r.message.contains("more than 64 levels"), "{}", r.message);
        let ok = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH - 1),
            "]".repeat(MAX_DEPTH - 1)
        );
        assert_eq!(scan(&ok).refusal, None);
    }

    #[test]
    fn the_scanners_own_nesting_bound_is_a_refusal_too() {
        let text = format!("a:\n  b: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let r = scan(&text).refusal.expect("refused");
        assert_eq!((r.line, r.message), (2, too_deep()));
    }

    #[test]
    fn a_syntax_error_ends_the_walk_quietly() {
        assert_eq!(scan("a: [\n"), Scan::default());
    }
}
