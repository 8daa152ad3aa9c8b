//! A line splitter for text formats: numbers physical lines from 1, carries a line that
//! straddles chunks, strips the line end (`\n`, and a `\r` before it) and bounds line length.

/// One physical line of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// One-based line number, counting every physical line.
    pub number: u64,
    /// The line without its line end; at most the splitter's `max_len` bytes.
    pub text: &'a [u8],
    /// True when the line was longer than `max_len` and `text` holds only its start.
    pub overlong: bool,
}

/// Splits a byte stream into lines.
#[derive(Debug)]
pub struct Lines {
    pending: Vec<u8>,
    overlong: bool,
    next: u64,
    max_len: usize,
}

impl Default for Lines {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_LEN)
    }
}

impl Lines {
    /// Default longest line kept whole: 64 KiB.
    pub const DEFAULT_MAX_LEN: usize = 64 << 10;

    /// A splitter that keeps at most `max_len` bytes of a line.
    pub fn new(max_len: usize) -> Self {
        Self { pending: Vec::new(), overlong: false, next: 1, max_len }
    }

    /// Split the next chunk, calling `on_line` for every complete line.
    pub fn push(&mut self, chunk: &[u8], mut on_line: impl FnMut(Line<'_>)) {
        let mut rest = chunk;
        while let Some(end) = memchr::memchr(b'\n', rest) {
            let piece = &rest[..end];
            rest = &rest[end + 1..];
            if self.pending.is_empty() && !self.overlong {
                let (text, overlong) = self.bounded(piece);
                on_line(Line { number: self.next, text: strip_cr(text, overlong), overlong });
            } else {
                self.keep(piece);
                let text = std::mem::take(&mut self.pending);
                on_line(Line { number: self.next, text: strip_cr(&text, self.overlong), overlong: self.overlong });
                self.pending = text;
                self.pending.clear();
                self.overlong = false;
            }
            self.next += 1;
        }
        self.keep(rest);
    }

    /// End of the object: a last line without a line end is delivered too.
    pub fn finish(&mut self, mut on_line: impl FnMut(Line<'_>)) {
        if !self.pending.is_empty() || self.overlong {
            let text = std::mem::take(&mut self.pending);
            on_line(Line { number: self.next, text: strip_cr(&text, self.overlong), overlong: self.overlong });
            self.overlong = false;
            self.next += 1;
        }
    }

    fn bounded<'a>(&self, piece: &'a [u8]) -> (&'a [u8], bool) {
        if piece.len() > self.max_len { (&piece[..self.max_len], true) } else { (piece, false) }
    }

    fn keep(&mut self, piece: &[u8]) {
        let room = self.max_len - self.pending.len();
        if piece.len() > room {
            self.pending.extend_from_slice(&piece[..room]);
            self.overlong = true;
        } else {
            self.pending.extend_from_slice(piece);
        }
    }
}

fn strip_cr(text: &[u8], overlong: bool) -> &[u8] {
    match text.split_last() {
        Some((b'\r', start)) if !overlong => start,
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &[u8], chunk: usize, max: usize) -> Vec<(u64, String, bool)> {
        let mut lines = Lines::new(max);
        let mut got = Vec::new();
        let mut take = |l: Line<'_>| got.push((l.number, String::from_utf8_lossy(l.text).into_owned(), l.overlong));
        for c in input.chunks(chunk) {
            lines.push(c, &mut take);
        }
        lines.finish(&mut take);
        got
    }

    #[test]
    fn lines_are_numbered_and_survive_every_chunk_size() {
        let input = b"a b\r\n\n# c\nlast";
        for chunk in 1..=input.len() {
            assert_eq!(
                split(input, chunk, 100),
                vec![(1, "a b".into(), false), (2, "".into(), false), (3, "# c".into(), false), (4, "last".into(), false)],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn a_final_newline_starts_no_extra_line() {
        assert_eq!(split(b"x\n", 1, 100), vec![(1, "x".into(), false)]);
        assert_eq!(split(b"", 1, 100), vec![]);
    }

    #[test]
    fn overlong_lines_are_cut_and_flagged() {
        for chunk in 1..=12 {
            assert_eq!(
                split(b"0123456789\nok\n", chunk, 4),
                vec![(1, "0123".into(), true), (2, "ok".into(), false)],
                "chunk size {chunk}"
            );
        }
    }
}
