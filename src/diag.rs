//! Diagnostics: problems found in user input, each naming where (file, line, address, attribute)
//! and what, collected so that `validate` reports every problem, not only the first.

use serde::Serialize;
use std::fmt;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attribute: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The YAML key path the problem sits at, resolved to `line` before reporting.
    #[serde(skip)]
    pub yaml_path: Vec<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            file: None,
            line: None,
            address: None,
            attribute: None,
            message: message.into(),
            hint: None,
            yaml_path: Vec::new(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn file(mut self, f: impl Into<PathBuf>) -> Self {
        self.file = Some(f.into());
        self
    }

    pub fn line(mut self, l: usize) -> Self {
        self.line = Some(l);
        self
    }

    pub fn address(mut self, a: impl ToString) -> Self {
        self.address = Some(a.to_string());
        self
    }

    pub fn attribute(mut self, a: impl Into<String>) -> Self {
        let a = a.into();
        if !a.is_empty() {
            self.attribute = Some(a);
        }
        self
    }

    pub fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }

    pub fn at(mut self, yaml_path: &[&str]) -> Self {
        self.yaml_path = yaml_path.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn at_owned(mut self, yaml_path: Vec<String>) -> Self {
        self.yaml_path = yaml_path;
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = match self.severity {
            Severity::Error => "Error",
            Severity::Warning => "Warning",
        };
        write!(f, "{label}: ")?;
        let mut place = Vec::new();
        if let Some(file) = &self.file {
            match self.line {
                Some(l) => place.push(format!("{}:{l}", file.display())),
                None => place.push(file.display().to_string()),
            }
        }
        match (&self.address, &self.attribute) {
            (Some(a), Some(attr)) => place.push(format!("{a}.{attr}")),
            (Some(a), None) => place.push(a.clone()),
            (None, Some(attr)) => place.push(attr.clone()),
            (None, None) => {}
        }
        if !place.is_empty() {
            write!(f, "{}: ", place.join(": "))?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// A set of diagnostics; an operation fails when any of them is an error.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Order by file and line (problems without a place first), keeping discovery order
    /// among equals.
    pub fn sort(&mut self) {
        self.0
            .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
