//! Writing a comment's sections within the size a pull-request comment may have.
//!
//! Invariants: what is written is never longer than [`LIMIT`] bytes (so never more characters);
//! a section is cut at a line boundary and still closed by its tail (every fence and
//! `<details>` that opens also closes); once one is cut, the sections after it are left out
//! and one line says how many; the comment always ends with its footer.

pub const LIMIT: usize = 65_000;

/// Room kept for the note that says what was left out.
const NOTES: usize = 300;

/// The most the note inside a cut section takes.
const CUT_NOTE: usize = 250;

/// A section that may be cut: fixed head and tail, lines in between.
pub struct Section {
    pub head: String,
    pub lines: Vec<String>,
    pub tail: String,
}

/// Append `sections` to `out`, each as far as the room left allows, then `footer`.
pub fn write(out: &mut String, sections: Vec<Section>, footer: &str) {
    let mut left = LIMIT.saturating_sub(out.len() + footer.len() + NOTES);
    let total = sections.len();
    for (written, s) in sections.into_iter().enumerate() {
        let fixed = s.head.len() + s.tail.len();
        if fixed >= left {
            out.push_str(&left_out(total - written));
            break;
        }
        let (body, cut) = lines_within(&s.lines, left - fixed);
        out.push_str(&s.head);
        out.push_str(&body);
        out.push_str(&s.tail);
        left = left.saturating_sub(fixed + body.len());
        if cut {
            if total > written + 1 {
                out.push_str(&left_out(total - written - 1));
            }
            break;
        }
    }
    out.push_str(footer);
}

/// As many of `lines` as fit in `room` bytes, and whether some were cut (then a line says
/// so, inside the section).
fn lines_within(lines: &[String], room: usize) -> (String, bool) {
    let total: usize = lines.iter().map(|l| l.len() + 1).sum();
    if total <= room {
        return (lines.iter().map(|l| format!("{l}\n")).collect(), false);
    }
    let mut body = String::new();
    let room = room.saturating_sub(CUT_NOTE);
    for l in lines {
        if body.len() + l.len() + 1 > room {
            break;
        }
        body.push_str(l);
        body.push('\n');
    }
    body.push_str(&format!(
        "… cut here to stay within {LIMIT} characters ({} of {total} shown): run `strata plan` \
         or `strata show` on the saved plan for all of it\n",
        body.len()
    ));
    (body, true)
}

fn left_out(n: usize) -> String {
    let what = if n == 1 { "section" } else { "sections" };
    format!(
        "\n_{n} more {what} left out to stay within {LIMIT} characters: run `strata plan` or \
         `strata show` on the saved plan for all of it._\n\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(n: usize, width: usize) -> Section {
        Section {
            head: "<details>\n\n```\n".into(),
            lines: (0..n).map(|i| format!("{i:0width$}")).collect(),
            tail: "```\n\n</details>\n".into(),
        }
    }

    #[test]
    fn many_sections_stay_within_the_limit_and_closed() {
        let sections: Vec<Section> = (0..5_000).map(|_| section(3, 40)).collect();
        let mut out = String::from("head\n");
        write(&mut out, sections, "footer\n");
        assert!(out.len() <= LIMIT, "{}", out.len());
        assert!(out.len() > LIMIT - 2 * NOTES, "{}", out.len());
        assert_eq!(
            out.matches("<details>").count(),
            out.matches("</details>").count()
        );
        assert!(out.contains("more sections left out"), "{out}");
        assert!(out.ends_with("footer\n"));
    }

    #[test]
    fn a_long_section_is_cut_inside_and_the_rest_left_out() {
        let sections = vec![section(10_000, 20), section(2, 2)];
        let mut out = String::new();
        write(&mut out, sections, "");
        assert!(out.len() <= LIMIT);
        assert!(out.contains("… cut here to stay within 65000 characters"));
        assert!(out.contains("1 more section left out"));
        assert_eq!(out.matches("```").count(), 2);
    }

    #[test]
    fn what_fits_is_written_whole() {
        let mut out = String::new();
        write(&mut out, vec![section(2, 2), section(2, 2)], "end\n");
        assert_eq!(out.matches("<details>").count(), 2);
        assert!(!out.contains("cut") && !out.contains("left out"));
    }
}
