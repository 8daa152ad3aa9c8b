//! A splitter for binary formats whose records announce their own length (length-prefixed
//! frames, packets with a length field): it carries a frame that straddles chunks, hands whole
//! frames to the format's code without copying them when they lie inside one chunk, and bounds
//! what it buffers.

use crate::Batch;

/// What a format's code says about the bytes at the start of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// The frame's length is not known yet: at least this many bytes (from the frame's first
    /// byte) are needed to tell. Must be more than the bytes shown.
    Need(usize),
    /// The frame is this many bytes long, from its first byte (at least 1).
    Frame(usize),
    /// Framing is lost here (the format's code has rejected what it found): the rest of the
    /// object is ignored.
    Stop,
}

/// Whether splitting goes on after a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Framing is lost: ignore the rest of the object.
    Stop,
}

/// A length-delimited format, driven by [`Frames`].
pub trait Framing {
    /// Look at the first bytes of the next frame, which starts at input byte `offset`.
    fn measure(&mut self, head: &[u8], offset: u64, out: &mut Batch) -> Measure;

    /// Convert one whole frame starting at input byte `offset`.
    fn frame(&mut self, frame: &[u8], offset: u64, out: &mut Batch) -> Flow;

    /// The object ended inside a frame: `tail` holds its bytes so far.
    fn truncated(&mut self, tail: &[u8], offset: u64, out: &mut Batch);

    /// A frame announced `len` bytes, more than the splitter's limit; splitting stops after this.
    /// By default this is one reject with code `oversized`.
    fn oversized(&mut self, head: &[u8], offset: u64, len: usize, out: &mut Batch) {
        out.reject(
            crate::Position::Byte(offset),
            "oversized",
            format!("frame announces {len} bytes, more than this plugin accepts"),
            head,
        );
    }
}

/// Splits a byte stream into frames for a [`Framing`]. Buffers at most one frame (bounded by
/// [`Frames::max_frame`]); everything else is handed over straight from the chunk.
#[derive(Debug)]
pub struct Frames {
    pending: Vec<u8>,
    offset: u64,
    max_frame: usize,
    stopped: bool,
    ignored: u64,
}

impl Default for Frames {
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_FRAME)
    }
}

impl Frames {
    /// Default largest frame: 16 MiB, far above any telematics packet, far below the sandbox's
    /// memory limit.
    pub const DEFAULT_MAX_FRAME: usize = 16 << 20;

    /// A splitter that refuses frames longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Self { pending: Vec::new(), offset: 0, max_frame, stopped: false, ignored: 0 }
    }

    /// Largest frame this splitter buffers.
    pub fn max_frame(&self) -> usize {
        self.max_frame
    }

    /// Input offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Split the next chunk, calling `framing` for every complete frame.
    pub fn push<F: Framing>(&mut self, chunk: &[u8], framing: &mut F, out: &mut Batch) {
        let mut rest = chunk;
        if self.stopped {
            self.ignored += rest.len() as u64;
            return;
        }
        // First complete the frame that straddles the previous chunk boundary.
        while !self.pending.is_empty() {
            let measure = framing.measure(&self.pending, self.offset, out);
            let want = match measure {
                Measure::Need(n) => {
                    assert!(n > self.pending.len(), "Measure::Need({n}) with {} bytes shown", self.pending.len());
                    n
                }
                Measure::Frame(n) => n,
                Measure::Stop => return self.stop(self.pending.len() + rest.len()),
            };
            if want > self.max_frame {
                let head = std::mem::take(&mut self.pending);
                framing.oversized(&head, self.offset, want, out);
                return self.stop(head.len() + rest.len());
            }
            let take = (want - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() < want {
                return;
            }
            if let Measure::Frame(n) = measure {
                let frame = std::mem::take(&mut self.pending);
                let flow = framing.frame(&frame, self.offset, out);
                self.offset += n as u64;
                self.pending = frame;
                self.pending.clear();
                if flow == Flow::Stop {
                    return self.stop(rest.len());
                }
            }
        }
        // Then whole frames straight from the chunk.
        while !rest.is_empty() {
            match framing.measure(rest, self.offset, out) {
                Measure::Frame(n) if n > self.max_frame => {
                    framing.oversized(rest, self.offset, n, out);
                    return self.stop(rest.len());
                }
                Measure::Frame(n) if n <= rest.len() => {
                    assert!(n > 0, "Measure::Frame(0)");
                    let flow = framing.frame(&rest[..n], self.offset, out);
                    self.offset += n as u64;
                    rest = &rest[n..];
                    if flow == Flow::Stop {
                        return self.stop(rest.len());
                    }
                }
                Measure::Frame(_) | Measure::Need(_) => {
                    self.pending.extend_from_slice(rest);
                    return;
                }
                Measure::Stop => return self.stop(rest.len()),
            }
        }
    }

    /// End of the object: an incomplete frame goes to [`Framing::truncated`]; bytes ignored
    /// after framing was lost are counted in the note `bytes ignored after framing was lost`.
    pub fn finish<F: Framing>(&mut self, framing: &mut F, out: &mut Batch) {
        if self.stopped {
            if self.ignored > 0 {
                out.note("bytes ignored after framing was lost", self.ignored);
            }
        } else if !self.pending.is_empty() {
            let tail = std::mem::take(&mut self.pending);
            framing.truncated(&tail, self.offset, out);
        }
    }

    fn stop(&mut self, ignored: usize) {
        self.stopped = true;
        self.ignored += ignored as u64;
        self.pending = Vec::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Position;

    /// Frames are `len:u8, payload[len]`; a length byte of 0xFF loses framing.
    #[derive(Default)]
    struct Tiny {
        frames: Vec<(u64, Vec<u8>)>,
    }

    impl Framing for Tiny {
        fn measure(&mut self, head: &[u8], offset: u64, out: &mut Batch) -> Measure {
            match head[0] {
                0xFF => {
                    out.reject(Position::Byte(offset), "bad-length", "0xFF", head);
                    Measure::Stop
                }
                n => Measure::Frame(1 + n as usize),
            }
        }
        fn frame(&mut self, frame: &[u8], offset: u64, out: &mut Batch) -> Flow {
            self.frames.push((offset, frame[1..].to_vec()));
            out.decoded();
            Flow::Continue
        }
        fn truncated(&mut self, tail: &[u8], offset: u64, out: &mut Batch) {
            out.reject(Position::Byte(offset), "truncated", format!("{} bytes", tail.len()), tail);
        }
    }

    fn split(input: &[u8], chunk: usize, max: usize) -> (Tiny, Batch) {
        let (mut f, mut t, mut out) = (Frames::new(max), Tiny::default(), Batch::default());
        for c in input.chunks(chunk) {
            f.push(c, &mut t, &mut out);
        }
        f.finish(&mut t, &mut out);
        (t, out)
    }

    #[test]
    fn frames_survive_every_chunk_size() {
        let input = [2, 10, 11, 0, 3, 20, 21, 22, 1, 30];
        for chunk in 1..=input.len() {
            let (t, out) = split(&input, chunk, 100);
            assert_eq!(
                t.frames,
                vec![(0, vec![10, 11]), (3, vec![]), (4, vec![20, 21, 22]), (8, vec![30])],
                "chunk size {chunk}"
            );
            assert_eq!((out.decoded, out.rejects.len()), (4, 0));
        }
    }

    #[test]
    fn an_incomplete_tail_is_truncated_at_its_offset() {
        for chunk in 1..=5 {
            let (t, out) = split(&[1, 5, 4, 1, 2], chunk, 100);
            assert_eq!(t.frames, vec![(0, vec![5])]);
            assert_eq!(out.rejects[0].position, Position::Byte(2));
            assert_eq!(out.rejects[0].message, "3 bytes");
        }
    }

    #[test]
    fn lost_framing_ignores_the_rest_and_counts_it() {
        for chunk in 1..=6 {
            let (t, out) = split(&[1, 5, 0xFF, 1, 2, 3], chunk, 100);
            assert_eq!(t.frames, vec![(0, vec![5])]);
            assert_eq!(out.rejects.len(), 1);
            assert_eq!(out.rejects[0].code, "bad-length");
            assert_eq!(out.notes["bytes ignored after framing was lost"], 4);
        }
    }

    #[test]
    fn oversized_frames_are_refused_without_buffering() {
        for chunk in 1..=4 {
            let (t, out) = split(&[1, 5, 200, 1, 2, 3], chunk, 16);
            assert_eq!(t.frames, vec![(0, vec![5])]);
            assert_eq!(out.rejects[0].code, "oversized");
            assert_eq!(out.rejects[0].position, Position::Byte(2));
        }
    }
}
