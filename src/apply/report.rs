//! Reporting apply progress: one line per event (start, still waiting, complete, failed,
//! skipped), in the style Terraform users know. Secrets are redacted from every line.

use super::failure::Error;
use crate::address::Address;
use crate::plan::render::style::Painter;
use crate::util::Redactor;
use crate::verb::Verb;
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

/// The verb forms of an operation: ("Creating...", "Creation complete", "creating").
pub fn verbs(op: Verb) -> (&'static str, &'static str, &'static str) {
    match op {
        Verb::Create => ("Creating...", "Creation complete", "creating"),
        Verb::Clone => ("Cloning...", "Clone complete", "cloning"),
        Verb::Bind => ("Binding...", "Binding complete", "binding"),
        Verb::Update => ("Modifying...", "Modifications complete", "modifying"),
        Verb::Delete => ("Destroying...", "Destruction complete", "destroying"),
        Verb::Read => ("Reading...", "Read complete", "reading"),
        Verb::Import => ("Importing...", "Import complete", "importing"),
    }
}

pub trait Reporter: Send + Sync {
    fn start(&self, addr: &Address, op: Verb);
    fn status(&self, addr: &Address, op: Verb, status: &str, elapsed: Duration);
    fn done(&self, addr: &Address, op: Verb, id: &str, elapsed: Duration);
    fn failed(&self, addr: &Address, op: Verb, error: &Error);
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
    fn start(&self, addr: &Address, op: Verb) {
        self.line(&format!(
            "{}: {}",
            self.painter.bold(&addr.to_string()),
            verbs(op).0
        ));
    }

    fn status(&self, addr: &Address, op: Verb, status: &str, elapsed: Duration) {
        let still = verbs(op).2;
        self.line(&format!(
            "{}: Still {still}... [{}s elapsed, status {status}]",
            self.painter.bold(&addr.to_string()),
            elapsed.as_secs()
        ));
    }

    fn done(&self, addr: &Address, op: Verb, id: &str, elapsed: Duration) {
        self.line(&done_line(&self.painter, addr, op, id, elapsed));
    }

    fn failed(&self, addr: &Address, op: Verb, error: &Error) {
        self.line(&failed_line(&self.painter, addr, op, error));
    }

    fn note(&self, line: &str) {
        self.line(line);
    }
}

/// "addr: Creation complete after 3s [id=…]", shared by the line and bar reporters.
fn done_line(p: &Painter, addr: &Address, op: Verb, id: &str, elapsed: Duration) -> String {
    let id = if id.is_empty() {
        String::new()
    } else {
        format!(" [id={id}]")
    };
    format!(
        "{}: {} after {}s{id}",
        p.bold(&addr.to_string()),
        verbs(op).1,
        elapsed.as_secs()
    )
}

/// "addr: create failed: CODE: message (HTTP 500, request id …)".
fn failed_line(p: &Painter, addr: &Address, op: Verb, error: &Error) -> String {
    format!(
        "{}: {} {error}",
        p.bold(&addr.to_string()),
        p.red(&format!("{op} failed:"))
    )
}

/// Progress on a terminal (indicatif): a line per resource in flight with its action, the
/// time it has taken and the asynchronous status it waits on, above a bar for the whole run;
/// finished operations scroll up as plain lines.
pub struct Bars {
    multi: indicatif::MultiProgress,
    total: indicatif::ProgressBar,
    active: Mutex<std::collections::HashMap<Address, indicatif::ProgressBar>>,
    painter: Painter,
    redactor: Redactor,
}

impl Bars {
    pub fn new(operations: u64, painter: Painter, redactor: Redactor) -> Bars {
        let multi = indicatif::MultiProgress::new();
        let total = multi.add(indicatif::ProgressBar::new(operations));
        total.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:30.cyan/blue} {pos}/{len} done [{elapsed}]",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Bars {
            multi,
            total,
            active: Mutex::new(Default::default()),
            painter,
            redactor,
        }
    }

    fn println(&self, s: &str) {
        let _ = self.multi.println(self.redactor.redact(s));
    }

    fn finish_one(&self, addr: &Address) {
        if let Ok(mut a) = self.active.lock() {
            if let Some(b) = a.remove(addr) {
                b.finish_and_clear();
                self.multi.remove(&b);
            }
        }
        self.total.inc(1);
    }

    /// Clear the bars before the summary is printed.
    pub fn finish(&self) {
        self.total.finish_and_clear();
    }
}

impl Reporter for Bars {
    fn start(&self, addr: &Address, op: Verb) {
        let b = self
            .multi
            .insert_before(&self.total, indicatif::ProgressBar::new_spinner());
        b.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {prefix} {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b.set_prefix(self.painter.bold(&addr.to_string()));
        b.set_message(verbs(op).0);
        b.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut a) = self.active.lock() {
            a.insert(addr.clone(), b);
        }
    }

    fn status(&self, addr: &Address, op: Verb, status: &str, _elapsed: Duration) {
        if let Ok(a) = self.active.lock() {
            if let Some(b) = a.get(addr) {
                b.set_message(format!("{} (status {status})", verbs(op).0));
            }
        }
    }

    fn done(&self, addr: &Address, op: Verb, id: &str, elapsed: Duration) {
        self.finish_one(addr);
        self.println(&done_line(&self.painter, addr, op, id, elapsed));
    }

    fn failed(&self, addr: &Address, op: Verb, error: &Error) {
        self.finish_one(addr);
        self.println(&failed_line(&self.painter, addr, op, error));
    }

    fn note(&self, line: &str) {
        self.println(line);
    }
}

/// One JSON object per line for tools (`--json`): `start`, `progress`, `complete`, `error`
/// and `note` events, each with the address, the action, the time and what is known.
pub struct JsonEvents {
    pub redactor: Redactor,
    pub out: Mutex<Box<dyn Write + Send>>,
}

impl JsonEvents {
    pub fn emit(&self, mut event: serde_json::Value) {
        event["time"] = serde_json::json!(crate::util::now_rfc3339());
        let text = self
            .redactor
            .redact(&serde_json::to_string(&event).unwrap_or_default());
        if let Ok(mut o) = self.out.lock() {
            let _ = writeln!(o, "{text}");
            let _ = o.flush();
        }
    }
}

impl Reporter for JsonEvents {
    fn start(&self, addr: &Address, op: Verb) {
        self.emit(
            serde_json::json!({ "type": "start", "address": addr.to_string(), "action": op.as_str() }),
        );
    }
    fn status(&self, addr: &Address, op: Verb, status: &str, elapsed: Duration) {
        self.emit(
            serde_json::json!({ "type": "progress", "address": addr.to_string(), "action": op.as_str(),
            "status": status, "elapsed_ms": elapsed.as_millis() as u64 }),
        );
    }
    fn done(&self, addr: &Address, op: Verb, id: &str, elapsed: Duration) {
        self.emit(
            serde_json::json!({ "type": "complete", "address": addr.to_string(), "action": op.as_str(),
            "id": id, "elapsed_ms": elapsed.as_millis() as u64 }),
        );
    }
    fn failed(&self, addr: &Address, op: Verb, error: &Error) {
        let mut event = error.to_json();
        event["type"] = "error".into();
        event["address"] = addr.to_string().into();
        event["action"] = op.as_str().into();
        self.emit(event);
    }
    fn note(&self, line: &str) {
        self.emit(serde_json::json!({ "type": "note", "message": line }));
    }
}
