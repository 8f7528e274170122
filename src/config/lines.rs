//! Maps YAML key paths to line numbers, built only when a diagnostic needs a line (so the
//! happy path parses each file once); and finds where a scalar value stands in the text.

use super::SourceFile;
use crate::diag::Diagnostics;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

#[derive(Default)]
struct Indexer {
    /// (container is a mapping, next scalar is a key, current sequence index)
    stack: Vec<(bool, bool, usize)>,
    path: Vec<String>,
    lines: HashMap<Vec<String>, usize>,
    /// Scalar values of mappings: key path → (char index of the value, char index of the next
    /// event), so the value's text lies between them.
    spans: HashMap<Vec<String>, (usize, usize)>,
    open_span: Option<(Vec<String>, usize)>,
}

impl Indexer {
    /// Called when a value (scalar or container start) is seen in the current container.
    fn enter_value(&mut self) {
        if let Some((is_map, expect_key, idx)) = self.stack.last_mut() {
            if *is_map {
                *expect_key = true;
            } else {
                self.path.push(idx.to_string());
                *idx += 1;
            }
        }
    }

    fn leave_value(&mut self) {
        if self.stack.last().is_some() {
            self.path.pop();
        }
    }
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let line = mark.line();
        if let Some((path, start)) = self.open_span.take() {
            self.spans.entry(path).or_insert((start, mark.index()));
        }
        match ev {
            Event::Scalar(text, ..) => {
                if let Some((true, true, _)) = self.stack.last() {
                    // a key of a mapping
                    self.path.push(text);
                    self.lines.entry(self.path.clone()).or_insert(line);
                    if let Some(top) = self.stack.last_mut() {
                        top.1 = false;
                    }
                } else {
                    self.enter_value();
                    match self.stack.last() {
                        Some((false, _, _)) => {
                            self.lines.entry(self.path.clone()).or_insert(line);
                        }
                        Some((true, _, _)) => {
                            self.open_span = Some((self.path.clone(), mark.index()))
                        }
                        None => {}
                    }
                    self.leave_value();
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                if let Some((true, true, _)) = self.stack.last() {
                    // a complex key: index it under a placeholder
                    self.path.push("?".into());
                    if let Some(top) = self.stack.last_mut() {
                        top.1 = false;
                    }
                } else if let Some((false, _, idx)) = self.stack.last_mut() {
                    self.path.push(idx.to_string());
                    *idx += 1;
                }
                self.lines.entry(self.path.clone()).or_insert(line);
                self.stack.push((is_map, true, 0));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
                if let Some(top) = self.stack.last_mut() {
                    if top.0 {
                        top.1 = true;
                    }
                    self.path.pop();
                }
            }
            Event::Alias(_) => {
                self.enter_value();
                self.leave_value();
            }
            _ => {}
        }
    }
}

/// Index one file: key path → line (1-based).
fn index(text: &str) -> HashMap<Vec<String>, usize> {
    let mut ix = Indexer::default();
    let mut parser = Parser::new_from_str(text);
    // A syntax error stops the walk; what was indexed before it is still useful.
    let _ = parser.load(&mut ix, false);
    ix.lines
}

/// Where the scalar value at `path` stands in `text`: the byte range from its first character
/// to the next thing the parser sees (so it may hold trailing blanks, a comment or a comma).
pub fn scalar_region(text: &str, path: &[String]) -> Option<std::ops::Range<usize>> {
    let mut ix = Indexer::default();
    let mut parser = Parser::new_from_str(text);
    let _ = parser.load(&mut ix, false);
    let (start, end) = *ix.spans.get(path)?;
    let byte = |chars: usize| {
        text.char_indices()
            .nth(chars)
            .map_or(text.len(), |(b, _)| b)
    };
    Some(byte(start)..byte(end))
}

/// Every key path of a YAML text with the line its key is on.
pub fn key_lines(text: &str) -> HashMap<Vec<String>, usize> {
    index(text)
}

/// Fill `line` on every diagnostic that has a file and a YAML path but no line yet, using the
/// longest prefix of the path that the file holds.
pub fn resolve(files: &[SourceFile], diags: &mut Diagnostics) {
    let mut cache: HashMap<usize, HashMap<Vec<String>, usize>> = HashMap::new();
    for d in diags.0.iter_mut() {
        if d.line.is_some() || d.yaml_path.is_empty() {
            continue;
        }
        let Some(file) = &d.file else { continue };
        let Some(fi) = files.iter().position(|f| &f.path == file) else {
            continue;
        };
        let ix = cache.entry(fi).or_insert_with(|| index(&files[fi].text));
        let mut p = d.yaml_path.clone();
        while !p.is_empty() {
            if let Some(l) = ix.get(&p) {
                d.line = Some(*l);
                break;
            }
            p.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_nested_keys_and_sequences() {
        let text = "resources:\n  a.b:\n    name: x\n    depends_on:\n      - c.d\n      - e.f\n    values: { k: v }\noutputs:\n  o: 1\n";
        let ix = index(text);
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(ix.get(&p(&["resources"])), Some(&1));
        assert_eq!(ix.get(&p(&["resources", "a.b"])), Some(&2));
        assert_eq!(ix.get(&p(&["resources", "a.b", "name"])), Some(&3));
        assert_eq!(
            ix.get(&p(&["resources", "a.b", "depends_on", "1"])),
            Some(&6)
        );
        assert_eq!(ix.get(&p(&["resources", "a.b", "values", "k"])), Some(&7));
        assert_eq!(ix.get(&p(&["outputs", "o"])), Some(&9));
    }
}
