//! Reporting apply progress: one line per event (start, still waiting, complete, failed,
//! skipped), in the style Terraform users know. Secrets are redacted from every line.

use crate::address::Address;
use crate::plan::render::style::Painter;
use crate::util::Redactor;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// The verb forms of an operation: ("Creating", "Creation complete").
pub fn verbs(op: &str) -> (&'static str, &'static str) {
    match op {
        "create" => ("Creating...", "Creation complete"),
        "clone" => ("Cloning...", "Clone complete"),
        "bind" => ("Binding...", "Binding complete"),
        "update" => ("Modifying...", "Modifications complete"),
        "delete" => ("Destroying...", "Destruction complete"),
        "read" => ("Reading...", "Read complete"),
        _ => ("Working...", "Complete"),
    }
}

pub trait Reporter: Send + Sync {
    fn start(&self, addr: &Address, op: &str);
    fn status(&self, addr: &Address, op: &str, status: &str, elapsed: Duration);
    fn done(&self, addr: &Address, op: &str, id: &str, elapsed: Duration);
    fn failed(&self, addr: &Address, op: &str, error: &str);
    fn note(&self, line: &str);
}

/// Plain lines on a writer (stdout or stderr).
pub struct Lines {
    pub painter: Painter,
    pub redactor: Redactor,
    pub out: Mutex<Box<dyn Write + Send>>,
}

impl Lines {
    fn line(&self, s: &str) {
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "{}", self.redactor.redact(s));
            let _ = o.flush();
        }
    }
}

impl Reporter for Lines {
    fn start(&self, addr: &Address, op: &str) {
        self.line(&format!(
            "{}: {}",
            self.painter.bold(&addr.to_string()),
            verbs(op).0
        ));
    }

    fn status(&self, addr: &Address, op: &str, status: &str, elapsed: Duration) {
        let still = match op {
            "delete" => "destroying",
            "update" => "modifying",
            "clone" => "cloning",
            "bind" => "binding",
            "read" => "reading",
            _ => "creating",
        };
        self.line(&format!(
            "{}: Still {still}... [{}s elapsed, status {status}]",
            self.painter.bold(&addr.to_string()),
            elapsed.as_secs()
        ));
    }

    fn done(&self, addr: &Address, op: &str, id: &str, elapsed: Duration) {
        let id = if id.is_empty() {
            String::new()
        } else {
            format!(" [id={id}]")
        };
        self.line(&format!(
            "{}: {} after {}s{id}",
            self.painter.bold(&addr.to_string()),
            verbs(op).1,
            elapsed.as_secs()
        ));
    }

    fn failed(&self, addr: &Address, op: &str, error: &str) {
        self.line(&format!(
            "{}: {} {}",
            self.painter.bold(&addr.to_string()),
            self.painter.red(&format!("{op} failed:")),
            error
        ));
    }

    fn note(&self, line: &str) {
        self.line(line);
    }
}
