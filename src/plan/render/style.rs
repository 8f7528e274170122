//! Colour for renderings: ANSI styles when asked for, nothing otherwise. Whether to ask is
//! decided once by the command line (terminal, `NO_COLOR`, `--no-color`).

use anstyle::{AnsiColor, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    pub fn paint(&self, s: &str, style: Style) -> String {
        if self.color && !s.is_empty() {
            format!("{}{s}{}", style.render(), style.render_reset())
        } else {
            s.to_string()
        }
    }

    pub fn green(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Green.on_default())
    }
    pub fn red(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Red.on_default())
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Yellow.on_default())
    }
    pub fn cyan(&self, s: &str) -> String {
        self.paint(s, AnsiColor::Cyan.on_default())
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint(s, Style::new().bold())
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint(s, Style::new().dimmed())
    }
}
