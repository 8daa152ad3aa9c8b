//! Signal extraction from a CAN payload (format doc §3.4): Intel (little-endian, start bit =
//! LSB) and Motorola (big-endian, start bit = MSB in the DBC's sawtooth numbering), sign
//! extension for any width 1–64, IEEE floats.

/// Where a signal's bits are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub start: u16,
    pub len: u16,
    pub little_endian: bool,
}

impl Layout {
    /// The first and last payload byte the signal touches, or `None` if it cannot be placed.
    pub fn bytes(self) -> Option<(usize, usize)> {
        let (start, len) = (usize::from(self.start), usize::from(self.len));
        if len == 0 || len > 64 {
            return None;
        }
        if self.little_endian {
            Some((start / 8, (start + len - 1) / 8))
        } else {
            let msb = 8 * (start / 8) + 7 - start % 8;
            Some((msb / 8, (msb + len - 1) / 8))
        }
    }

    /// The raw unsigned bits of the signal; the payload must hold [`Layout::bytes`].
    pub fn raw(self, payload: &[u8]) -> u64 {
        let (first, last) = self.bytes().expect("layout checked at configuration");
        let window = &payload[first..=last];
        let len = u32::from(self.len);
        let mask = if len == 64 { u128::from(u64::MAX) } else { (1u128 << len) - 1 };
        let value = if self.little_endian {
            let word = window.iter().rev().fold(0u128, |acc, &b| acc << 8 | u128::from(b));
            word >> (usize::from(self.start) - 8 * first)
        } else {
            let word = window.iter().fold(0u128, |acc, &b| acc << 8 | u128::from(b));
            let start = usize::from(self.start);
            let lsb = 8 * (start / 8) + 7 - start % 8 + usize::from(self.len) - 1;
            word >> (8 * (last + 1) - 1 - lsb)
        };
        (value & mask) as u64
    }
}

/// Two's complement of the low `len` bits.
pub fn signed(raw: u64, len: u16) -> i64 {
    let shift = 64 - u32::from(len);
    ((raw << shift) as i64) >> shift
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intel(start: u16, len: u16) -> Layout {
        Layout { start, len, little_endian: true }
    }

    fn motorola(start: u16, len: u16) -> Layout {
        Layout { start, len, little_endian: false }
    }

    #[test]
    fn the_doc_layouts() {
        let speed = [0x52, 0x13, 0xF0, 0x3F, 0x00, 0xFE, 0xAF, 0xC4];
        assert_eq!(intel(0, 12).raw(&speed), 0x352);
        assert_eq!(intel(12, 1).raw(&speed), 1);
        assert_eq!(signed(intel(16, 12).raw(&speed), 12), -16);
        let steer = [0x0F, 0xE2, 0x00, 0x00, 0xDF, 0xF4, 0x00, 0x00];
        assert_eq!(motorola(3, 12).raw(&steer), 0xFE2);
        assert_eq!(signed(0xFE2, 12), -30);
        assert_eq!(signed(motorola(39, 4).raw(&steer), 4), -3);
        assert_eq!(signed(motorola(35, 12).raw(&steer), 12), -12);
        let prius = [0x00, 0x00, 0x00, 0x00, 0x2A, 0x1F, 0x40, 0x86];
        assert_eq!(motorola(47, 16).raw(&prius), 8000);
        assert_eq!(motorola(39, 8).raw(&prius), 42);
        assert_eq!(motorola(63, 8).raw(&prius), 0x86);
        assert_eq!(motorola(7, 24).raw(&[0x00, 0x36, 0xE2, 0, 0, 0, 0, 0]), 14050);
    }

    #[test]
    fn full_width_signals() {
        let all = [0xFF; 8];
        assert_eq!(intel(0, 64).raw(&all), u64::MAX);
        assert_eq!(motorola(7, 64).raw(&all), u64::MAX);
        assert_eq!(signed(u64::MAX, 64), -1);
        assert_eq!(intel(3, 64).bytes(), Some((0, 8)), "an unaligned 64-bit signal spans 9 bytes");
        assert_eq!(intel(0, 0).bytes(), None);
        assert_eq!(intel(0, 65).bytes(), None);
    }
}
