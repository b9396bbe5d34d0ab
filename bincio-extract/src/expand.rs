//! Reading a decompressing stream (a gzip file, a ZIP member) whose expanded
//! size is not trusted, without holding more memory than its real content.
//!
//! Why: a few hundred KiB of gzip can inflate to gigabytes (a "bomb"). The
//! old path read into a `Vec` until the limit and then refused, so one
//! 600 KiB upload held 512 MiB before the error. Here:
//!
//! 1. **Measure** ([`measure`]): the stream is inflated chunk by chunk
//!    through one [`SCRATCH_BYTES`] buffer. Unless its container announces
//!    more than [`EAGER_BYTES`] (gzip's size trailer, a ZIP header: an
//!    untrusted hint), the output is kept as it arrives, up to `EAGER_BYTES`
//!    (most activity files are smaller: they finish in this one pass, in a
//!    buffer sized by the hint); past that the kept bytes are dropped and
//!    only the running count goes on. It is refused as soon as the count
//!    passes the byte limit, or — past [`RATIO_FLOOR`] — exceeds
//!    `max_ratio` times the compressed bytes consumed so far.
//! 2. **Read** ([`read_exact_size`]): a stream larger than [`EAGER_BYTES`]
//!    that stayed within its limits is opened again and read into a buffer
//!    allocated once at exactly its measured size.
//!
//! Invariants: before a stream's size is known at most `EAGER_BYTES +
//! SCRATCH_BYTES` of its output is held (only `SCRATCH_BYTES` when the hint
//! is large), so a bomb of any size costs at most that (plus the inflater's
//! ~40 KiB state) and the inflation work up to the refusal; a wrong hint
//! changes what is held, never what is accepted; an accepted stream costs its exact size once; nothing panics
//! (every failure is an [`Expansion`] error). The price: a stream larger
//! than `EAGER_BYTES` is inflated twice (inflate runs at several hundred
//! MB/s, a fraction of the parse that follows).
//!
//! The ratio check is a shortcut, not the bound (the byte limit is): real
//! GPX / TCX / FIT gzip 2–15×, and the most repetitive real file we could
//! build (a 24 h indoor TCX with constant fields) 76×; deflate cannot
//! exceed ~1032×. [`MAX_RATIO`] = 500 refuses the classic bombs (runs of one
//! byte, ~1000×) after one MiB of output instead of after the whole limit,
//! and no plausible activity file comes near it.

use std::io::{self, Read};

/// Output kept while measuring: a stream that ends within it is read once.
pub const EAGER_BYTES: usize = 8 << 20;
/// The one read buffer of the measuring pass.
pub const SCRATCH_BYTES: usize = 64 << 10;
/// Output after which the expansion ratio is checked.
pub const RATIO_FLOOR: u64 = 1 << 20;
/// Default highest accepted expansion ratio (output bytes per compressed byte).
pub const MAX_RATIO: u64 = 500;

/// How far one stream may expand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// Most output bytes.
    pub max_bytes: u64,
    /// Most output bytes per compressed byte, checked past [`RATIO_FLOOR`].
    pub max_ratio: u64,
}

/// Why a stream was refused. `reason()` is safe to show to the uploader.
#[derive(Debug)]
pub enum Expansion {
    /// The output passed [`Bound::max_bytes`].
    TooLarge {
        /// The limit.
        max_bytes: u64,
    },
    /// The output passed [`Bound::max_ratio`] times the compressed input.
    Ratio {
        /// The limit.
        max_ratio: u64,
    },
    /// The stream itself is broken (bad gzip / deflate data, CRC, I/O).
    Broken(io::Error),
}

impl Expansion {
    /// The reason, e.g. "decompresses to more than 128 MiB".
    pub fn reason(&self) -> String {
        match self {
            Expansion::TooLarge { max_bytes } => {
                format!("decompresses to more than {}", size_text(*max_bytes))
            }
            Expansion::Ratio { max_ratio } => format!(
                "decompresses to more than {max_ratio} times its compressed size \
                 (a decompression bomb)"
            ),
            Expansion::Broken(e) => e.to_string(),
        }
    }
}

impl From<io::Error> for Expansion {
    fn from(e: io::Error) -> Self {
        Expansion::Broken(e)
    }
}

/// `n` as "128 MiB" when it is a whole number of MiB, else "N bytes".
pub fn size_text(n: u64) -> String {
    if n >= 1 << 20 && n & ((1 << 20) - 1) == 0 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

/// What [`measure`] found.
#[derive(Debug)]
pub enum Measured {
    /// The whole output (it fit in [`EAGER_BYTES`]).
    Whole(Vec<u8>),
    /// Only the size: read the stream again with [`read_exact_size`].
    Size(u64),
}

/// Inflate `r` to its end within `bound` (see the module doc).
/// `consumed(&r)` is how many compressed bytes `r` has taken so far (an
/// upper bound is fine: it can only make the ratio look smaller). `hint`:
/// the size the container announces, if any (untrusted).
pub fn measure<R: Read>(
    r: &mut R,
    consumed: impl Fn(&R) -> u64,
    bound: Bound,
    hint: Option<u64>,
) -> Result<Measured, Expansion> {
    let mut scratch = vec![0u8; SCRATCH_BYTES];
    let mut kept = match hint {
        Some(n) if n > EAGER_BYTES as u64 => None,
        Some(n) => Some(Vec::with_capacity(n as usize)),
        None => Some(Vec::new()),
    };
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut scratch) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        total += n as u64;
        if total > bound.max_bytes {
            return Err(Expansion::TooLarge {
                max_bytes: bound.max_bytes,
            });
        }
        if total > RATIO_FLOOR && total / consumed(r).max(1) > bound.max_ratio {
            return Err(Expansion::Ratio {
                max_ratio: bound.max_ratio,
            });
        }
        if let Some(v) = &mut kept {
            if v.len() + n <= EAGER_BYTES {
                v.extend_from_slice(&scratch[..n]);
            } else {
                // Too big to keep: free it now, count the rest.
                kept = None;
            }
        }
    }
    Ok(match kept {
        Some(v) => Measured::Whole(v),
        None => Measured::Size(total),
    })
}

/// Read a stream already measured at `size` bytes into one buffer of
/// exactly that capacity; a stream that now differs is refused, never
/// read past `size + 1`.
pub fn read_exact_size(r: impl Read, size: u64) -> Result<Vec<u8>, Expansion> {
    let cap = usize::try_from(size)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "stream too large"))?;
    let mut out = Vec::with_capacity(cap);
    r.take(size.saturating_add(1)).read_to_end(&mut out)?;
    if out.len() as u64 != size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the stream changed between two reads",
        )
        .into());
    }
    Ok(out)
}

/// A gzip bomb, for tests and benchmarks: `mib` MiB of zeros as `mib`
/// concatenated gzip members of one MiB each (gzip allows that; decoders
/// read them all, and each member's size trailer says "1 MiB", a hint that
/// lies low). Plain zeros expand ~1000× (the ratio check refuses them after
/// one MiB); with `noisy`, every 1024th byte is pseudo-random and the
/// expansion falls to ~250×, under [`MAX_RATIO`], so only a size limit can
/// stop it. Cheap to build: one MiB is compressed, then repeated.
pub fn gzip_bomb(mib: usize, noisy: bool) -> Vec<u8> {
    use std::io::Write;
    let mut block = vec![0u8; 1 << 20];
    if noisy {
        for (i, b) in block.iter_mut().enumerate().step_by(1024) {
            *b = (i.wrapping_mul(2_654_435_761) >> 13) as u8;
        }
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing into a Vec cannot fail.
    let member = enc
        .write_all(&block)
        .and_then(|()| enc.finish())
        .unwrap_or_default();
    member.repeat(mib)
}

/// [`measure`] then, if needed, [`read_exact_size`] on a second `open()`:
/// for streams that can be opened again from a shared source (a byte slice).
pub fn read_bounded<R: Read>(
    mut open: impl FnMut() -> R,
    consumed: impl Fn(&R) -> u64,
    bound: Bound,
    hint: Option<u64>,
) -> Result<Vec<u8>, Expansion> {
    match measure(&mut open(), consumed, bound, hint)? {
        Measured::Whole(v) => Ok(v),
        Measured::Size(n) => read_exact_size(open(), n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `len` bytes of a repeating pattern, produced lazily, reporting
    /// `len / ratio` bytes consumed (a stand-in for a decoder).
    struct Fake {
        left: u64,
        produced: u64,
        ratio: u64,
        reads: usize,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.reads += 1;
            let n = (buf.len() as u64).min(self.left) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = ((self.produced as usize + i) % 251) as u8;
            }
            self.left -= n as u64;
            self.produced += n as u64;
            Ok(n)
        }
    }

    fn fake(len: u64, ratio: u64) -> Fake {
        Fake {
            left: len,
            produced: 0,
            ratio,
            reads: 0,
        }
    }

    const LOOSE: Bound = Bound {
        max_bytes: 64 << 20,
        max_ratio: MAX_RATIO,
    };

    fn consumed(f: &Fake) -> u64 {
        f.produced / f.ratio
    }

    #[test]
    fn small_streams_are_read_once() {
        let mut f = fake(1000, 10);
        match measure(&mut f, consumed, LOOSE, None).unwrap() {
            Measured::Whole(v) => assert_eq!(v.len(), 1000),
            m => panic!("{m:?}"),
        }
    }

    #[test]
    fn large_streams_are_measured_then_read_at_exact_size() {
        let len = EAGER_BYTES as u64 + 12345;
        let mut opened = 0;
        let v = read_bounded(
            || {
                opened += 1;
                fake(len, 10)
            },
            consumed,
            LOOSE,
            None,
        )
        .unwrap();
        assert_eq!(opened, 2);
        assert_eq!(v.len() as u64, len);
        assert_eq!(v.capacity() as u64, len, "allocated once, exactly");
        assert!(v.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    }

    #[test]
    fn hints_size_the_buffer_but_decide_nothing() {
        // Honest small hint: one buffer of exactly that size.
        match measure(&mut fake(1000, 10), consumed, LOOSE, Some(1000)).unwrap() {
            Measured::Whole(v) => assert_eq!((v.len(), v.capacity()), (1000, 1000)),
            m => panic!("{m:?}"),
        }
        // A hint that lies low or high: same outcome as no hint.
        for hint in [Some(10), Some(1 << 30), None] {
            let v = read_bounded(|| fake(3000, 10), consumed, LOOSE, hint).unwrap();
            assert_eq!(v.len(), 3000, "{hint:?}");
            let e = measure(&mut fake(1 << 40, 10), consumed, LOOSE, hint).unwrap_err();
            assert!(matches!(e, Expansion::TooLarge { .. }), "{hint:?}");
        }
        // A large hint keeps nothing while measuring.
        assert!(matches!(
            measure(&mut fake(3000, 10), consumed, LOOSE, Some(1 << 30)).unwrap(),
            Measured::Size(3000)
        ));
    }

    #[test]
    fn refused_as_soon_as_the_limit_is_passed() {
        let bound = Bound {
            max_bytes: 2 << 20,
            max_ratio: MAX_RATIO,
        };
        let mut f = fake(1 << 40, 10);
        let e = measure(&mut f, consumed, bound, None).unwrap_err();
        assert!(matches!(e, Expansion::TooLarge { max_bytes } if max_bytes == 2 << 20));
        assert_eq!(e.reason(), "decompresses to more than 2 MiB");
        assert!(f.produced <= (2 << 20) + SCRATCH_BYTES as u64);
    }

    #[test]
    fn extreme_ratios_are_refused_past_the_floor() {
        let mut f = fake(1 << 40, 1000);
        let e = measure(&mut f, consumed, LOOSE, None).unwrap_err();
        assert!(matches!(e, Expansion::Ratio { max_ratio: 500 }), "{e:?}");
        assert!(f.produced <= RATIO_FLOOR + SCRATCH_BYTES as u64);
        // Under the floor the ratio does not matter.
        let mut f = fake(RATIO_FLOOR, 1000);
        assert!(measure(&mut f, consumed, LOOSE, None).is_ok());
    }

    #[test]
    fn a_stream_that_changes_is_refused() {
        let e = read_exact_size(fake(100, 1), 99).unwrap_err();
        assert!(e.reason().contains("changed"), "{}", e.reason());
        assert!(read_exact_size(fake(98, 1), 99).is_err());
    }

    #[test]
    fn sample_bombs_expand_as_documented() {
        for (noisy, ratios) in [(false, 800..1100), (true, 100..MAX_RATIO)] {
            let b = gzip_bomb(2, noisy);
            assert!(ratios.contains(&((2 << 20) / b.len() as u64)), "{noisy}");
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&b[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out.len(), 2 << 20);
        }
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(128 << 20), "128 MiB");
        assert_eq!(size_text(5), "5 bytes");
        assert_eq!(size_text((1 << 20) + 1), "1048577 bytes");
    }
}
