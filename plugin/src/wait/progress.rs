//! The progress display of long waits, on stderr: each step is printed once when it completes;
//! the step being waited for is shown with what it waits for. On a terminal that line is redrawn
//! in place with the elapsed time; elsewhere (logs, CI) a line is printed only when it changes.

use std::io::Write as _;
use std::time::Instant;

use super::steps::StepState;
use crate::context::Context;
use crate::duration::human_duration;
use crate::style::Paint;

/// A progress display for one wait.
pub struct Progress<'a> {
    ctx: &'a Context,
    printed: usize,
    last_detail: Option<String>,
    live_line: bool,
    started: Instant,
}

impl<'a> Progress<'a> {
    /// Starts displaying.
    pub fn new(ctx: &'a Context) -> Self {
        Self {
            ctx,
            printed: 0,
            last_detail: None,
            live_line: false,
            started: Instant::now(),
        }
    }

    /// Shows `steps`: the newly completed ones, then the one waited for.
    pub fn update(&mut self, steps: &[StepState]) {
        self.clear_and_flush_warnings();
        let lines = self.render(steps);
        self.write(&lines);
    }

    /// Text to write for `steps`, advancing what was shown.
    fn render(&mut self, steps: &[StepState]) -> String {
        let style = self.ctx.stderr;
        let mut out = String::new();
        for state in steps.iter().skip(self.printed).take_while(|s| s.done) {
            let detail = state
                .detail
                .as_deref()
                .map(|d| style.paint(Paint::Dim, &format!(" ({d})")))
                .unwrap_or_default();
            out.push_str(&format!(
                "{} {}{detail}\n",
                style.paint(Paint::Good, "✓"),
                state.step.title()
            ));
            self.printed += 1;
            self.last_detail = None;
        }
        if let Some(current) = steps.get(self.printed) {
            let detail = current.detail.clone().unwrap_or_default();
            let waiting = format!("{}: {detail}", current.step.title());
            if self.ctx.interactive {
                let elapsed = human_duration(self.started.elapsed());
                out.push_str(&format!(
                    "{} {waiting} {}",
                    style.paint(Paint::Warn, "…"),
                    style.paint(Paint::Dim, &format!("[{elapsed}]"))
                ));
                self.live_line = true;
            } else if self.last_detail.as_deref() != Some(waiting.as_str()) {
                out.push_str(&format!("… {waiting}\n"));
                self.last_detail = Some(waiting);
            }
        }
        out
    }

    /// Ends the display, leaving no half-drawn line behind.
    pub fn finish(&mut self) {
        self.clear_and_flush_warnings();
    }

    /// A line for a step that failed, under the completed ones.
    pub fn fail(&mut self, steps: &[StepState], reason: &str) {
        self.clear_and_flush_warnings();
        let mut out = self.render(steps);
        let mut clear = String::new();
        self.clear_live(&mut clear);
        out.push_str(&clear);
        if let Some(current) = steps.get(self.printed) {
            out.push_str(&format!(
                "{} {}: {reason}\n",
                self.ctx.stderr.paint(Paint::Bad, "✗"),
                current.step.title()
            ));
        }
        self.write(&out);
    }

    fn clear_live(&mut self, out: &mut String) {
        if self.live_line {
            out.push_str("\r\x1b[2K");
            self.live_line = false;
        }
    }

    /// Removes the live line, then prints the API servers' warnings (e.g. "not highly
    /// available"), which belong before the steps they explain.
    fn clear_and_flush_warnings(&mut self) {
        let mut clear = String::new();
        self.clear_live(&mut clear);
        self.write(&clear);
        self.ctx.flush_warnings();
    }

    fn write(&self, text: &str) {
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
    }
}
