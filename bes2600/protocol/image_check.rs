// SPDX-License-Identifier: GPL-2.0

//! Whether a file is a firmware image this driver can boot, and what it says about itself:
//! the rules behind `bes2600-fw-check` and `firmware/install.sh`.
//!
//! The image format has no magic number and no checksum of its own (see
//! [`FirmwareImage`]): 16 bytes of header (entry, parameter, stack, load address), the code,
//! and a trailing u32 load address. What can be checked is therefore limited, and the checks
//! come in three strengths:
//!
//! - **Refused** ([`Refusal`]): the file is not an image at all (a known container or text
//!   format, one repeated byte), or the driver would refuse it too (shorter than header and
//!   trailer, no load address, larger than [`MAX_IMAGE`]).
//! - **Suspicious** ([`Remark::is_suspicious`]): the driver would boot it, but it looks
//!   damaged. The header's and the trailer's load addresses both set and different is what a
//!   cut or padded file looks like (its trailer is then a random word of code); the vendor's
//!   loader takes the trailer in that case, so such a file is not provably broken, only
//!   unlike every image whose layout is known. A load address that is not word aligned is
//!   suspicious for the same reason.
//! - **Informational** remarks: no version text, an entry point that is not a Thumb address
//!   inside the image, a load address outside the RAM window the boot uses. What the header
//!   words of the shipped images hold is not documented, so these never decide anything.
//!
//! Nothing here panics or allocates, whatever the input.

use core::fmt;

use super::boot_frame::{
    FirmwareImage,
    DPD_ADDR,
    FACTORY_ADDR, //
};

/// The largest image accepted: far more than the chip's RAM, only a bound on what a broken
/// file can make the driver send. The driver applies the same limit when it loads a file.
pub const MAX_IMAGE: usize = 4 << 20;

/// The shortest image: the 16-byte header and the 4-byte trailer.
pub const MIN_IMAGE: usize = 20;

/// The start of the RAM window the boot is known to write to: the synthetic images load
/// here, and the factory blob ([`FACTORY_ADDR`]) and DPD data ([`DPD_ADDR`]) go near its end.
pub const RAM_WINDOW_START: u32 = 0x2000_0000;

/// One past the end of that window (1 MiB; an assumption, not a documented size).
pub const RAM_WINDOW_END: u32 = 0x2010_0000;

const _: () = assert!(FACTORY_ADDR >= RAM_WINDOW_START && FACTORY_ADDR < RAM_WINDOW_END);
const _: () = assert!(DPD_ADDR >= RAM_WINDOW_START && DPD_ADDR < RAM_WINDOW_END);

/// Bytes at the start of a file that are looked at to tell text from an image.
const TEXT_PROBE: usize = 64;

/// Why a file is not a usable image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The file is empty.
    Empty,
    /// The file starts with the signature of another format.
    Container {
        /// What the file is.
        format: &'static str,
        /// What to do about it.
        hint: &'static str,
    },
    /// The file starts with text, not with the binary header of an image.
    Text,
    /// Every byte of the file is the same (an erased or zero-filled file).
    Uniform {
        /// The byte.
        byte: u8,
    },
    /// Shorter than the header and the trailer.
    Truncated {
        /// The file's length.
        len: usize,
    },
    /// Larger than [`MAX_IMAGE`].
    TooLarge {
        /// The file's length.
        len: usize,
    },
    /// Neither the header nor the trailer gives a load address.
    NoLoadAddress,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Refusal::Empty => f.write_str("the file is empty"),
            Refusal::Container { format, hint } => {
                write!(f, "this is {format}, not an image; {hint}")
            }
            Refusal::Text => f.write_str(
                "the file starts with text, not with an image's binary header (a download error \
                 page or a wrongly named file?)",
            ),
            Refusal::Uniform { byte } => {
                write!(
                    f,
                    "every byte of the file is {byte:#04x}: an erased or blank file"
                )
            }
            Refusal::Truncated { len } => write!(
                f,
                "{len} bytes is shorter than an image's header and trailer ({MIN_IMAGE} bytes)"
            ),
            Refusal::TooLarge { len } => write!(
                f,
                "{len} bytes is more than the driver accepts ({MAX_IMAGE} bytes)"
            ),
            Refusal::NoLoadAddress => {
                f.write_str("neither the header nor the trailer gives a load address (both are 0)")
            }
        }
    }
}

/// Something worth saying about an image that was not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remark {
    /// The header's and the trailer's load addresses are both set and differ; the trailer's
    /// is used. Suspicious: a cut or padded file looks like this.
    AddressMismatch {
        /// The header's load address.
        header: u32,
        /// The trailer's load address.
        trailer: u32,
    },
    /// The load address is not a multiple of 4. Suspicious.
    UnalignedLoadAddress {
        /// The load address.
        addr: u32,
    },
    /// Only the trailer gives the load address (the header's is 0). The loader allows it.
    HeaderAddressZero,
    /// The load address is outside the RAM window the boot is known to use.
    OutsideKnownRam {
        /// The load address.
        addr: u32,
    },
    /// The entry point is not an odd (Thumb) address inside the loaded image.
    UnusualEntry {
        /// The entry point.
        entry: u32,
    },
    /// No build date was found, so there is no version text to log.
    NoVersion,
}

impl Remark {
    /// Whether the remark suggests a damaged file (see the module documentation).
    pub const fn is_suspicious(&self) -> bool {
        matches!(
            self,
            Remark::AddressMismatch { .. } | Remark::UnalignedLoadAddress { .. }
        )
    }
}

impl fmt::Display for Remark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Remark::AddressMismatch { header, trailer } => write!(
                f,
                "the header's load address {header:#010x} differs from the trailer's \
                 {trailer:#010x} (the trailer's is used); a cut or padded file looks like this"
            ),
            Remark::UnalignedLoadAddress { addr } => {
                write!(f, "the load address {addr:#010x} is not a multiple of 4")
            }
            Remark::HeaderAddressZero => {
                f.write_str("the header's load address is 0; the trailer's is used")
            }
            Remark::OutsideKnownRam { addr } => write!(
                f,
                "the load address {addr:#010x} is outside the RAM window the boot is known to \
                 use ({RAM_WINDOW_START:#010x}..{RAM_WINDOW_END:#010x})"
            ),
            Remark::UnusualEntry { entry } => write!(
                f,
                "the entry point {entry:#010x} is not an odd (Thumb) address inside the image"
            ),
            Remark::NoVersion => f.write_str("no build date found, so no version text"),
        }
    }
}

/// The most remarks one image can get (one per [`Remark`] kind).
pub const MAX_REMARKS: usize = 6;

/// What an accepted image says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageReport<'a> {
    /// The parsed image.
    pub image: FirmwareImage<'a>,
    /// Where the driver loads and runs it.
    pub load_addr: u32,
    /// CRC-32 of the payload, as the driver sends it in the download's END frame.
    pub crc: u32,
    /// The version text, if the image has one.
    pub version: Option<&'a str>,
    /// The remarks, `remark_count` of them used.
    remarks: [Option<Remark>; MAX_REMARKS],
}

impl<'a> ImageReport<'a> {
    /// The remarks, most serious first.
    pub fn remarks(&self) -> impl Iterator<Item = Remark> + '_ {
        self.remarks.iter().flatten().copied()
    }

    /// Whether any remark suggests a damaged file.
    pub fn is_suspicious(&self) -> bool {
        self.remarks().any(|r| r.is_suspicious())
    }

    /// The payload's length (the file without its trailer): what is downloaded.
    pub fn payload_len(&self) -> usize {
        self.image.payload.len()
    }
}

/// Signatures of formats that users are known to end up with instead of an image: the
/// package or archive the image came in, a compressed copy, a Git LFS pointer of a clone made
/// without LFS, a web page.
const SIGNATURES: [(&[u8], &str, &str); 10] = [
    (
        b"version https://git-lfs",
        "a Git LFS pointer",
        "the repository was cloned without Git LFS; fetch the real files (git lfs pull)",
    ),
    (
        b"!<arch>\n",
        "an ar archive (a .deb package?)",
        "give the package itself to install.sh, which unpacks it",
    ),
    (
        b"\x7fELF",
        "an ELF executable",
        "the chip's images are raw binaries",
    ),
    (b"\x1f\x8b", "gzip-compressed data", "decompress it first"),
    (
        b"\xfd7zXZ\x00",
        "xz-compressed data",
        "decompress it first (install.sh does for .xz files)",
    ),
    (
        b"\x28\xb5\x2f\xfd",
        "zstd-compressed data",
        "decompress it first (install.sh does for .zst files)",
    ),
    (b"BZh", "bzip2-compressed data", "decompress it first"),
    (b"PK\x03\x04", "a zip archive", "unpack it first"),
    (
        b"<!DOCTYPE",
        "an HTML page",
        "the download saved a web page instead of the file",
    ),
    (
        b"<html",
        "an HTML page",
        "the download saved a web page instead of the file",
    ),
];

/// Offset of the `ustar` signature in a tar header.
const TAR_MAGIC_OFFSET: usize = 257;

/// Whether `b` is what text is made of (printable ASCII and the usual whitespace).
const fn is_text_byte(b: u8) -> bool {
    matches!(b, b' '..=b'~' | b'\t' | b'\n' | b'\r')
}

/// What the file is, if it carries a known signature or is text.
fn foreign_format(file: &[u8]) -> Option<Refusal> {
    for (magic, format, hint) in SIGNATURES {
        if file.starts_with(magic) {
            return Some(Refusal::Container { format, hint });
        }
    }
    if file
        .get(TAR_MAGIC_OFFSET..)
        .is_some_and(|rest| rest.starts_with(b"ustar"))
    {
        return Some(Refusal::Container {
            format: "a tar archive",
            hint: "give the archive itself to install.sh, which unpacks it",
        });
    }
    let probe = file.get(..TEXT_PROBE).unwrap_or(file);
    if probe.iter().all(|&b| is_text_byte(b)) {
        return Some(Refusal::Text);
    }
    None
}

/// Checks that `file` is a firmware image the driver can boot and describes it.
pub fn check_image(file: &[u8]) -> Result<ImageReport<'_>, Refusal> {
    let Some(&first) = file.first() else {
        return Err(Refusal::Empty);
    };
    if let Some(refusal) = foreign_format(file) {
        return Err(refusal);
    }
    if file.iter().all(|&b| b == first) {
        return Err(Refusal::Uniform { byte: first });
    }
    let image = FirmwareImage::parse(file).map_err(|_| Refusal::Truncated { len: file.len() })?;
    if image.payload.len() > MAX_IMAGE {
        return Err(Refusal::TooLarge { len: file.len() });
    }
    let load_addr = image.load_addr();
    if load_addr == 0 {
        return Err(Refusal::NoLoadAddress);
    }
    let version = image.version();
    let mut remarks = [None; MAX_REMARKS];
    let candidates = [
        (image.header_addr != 0
            && image.trailer_addr != 0
            && image.header_addr != image.trailer_addr)
            .then_some(Remark::AddressMismatch {
                header: image.header_addr,
                trailer: image.trailer_addr,
            }),
        (load_addr % 4 != 0).then_some(Remark::UnalignedLoadAddress { addr: load_addr }),
        (image.header_addr == 0).then_some(Remark::HeaderAddressZero),
        (!(RAM_WINDOW_START..RAM_WINDOW_END).contains(&load_addr))
            .then_some(Remark::OutsideKnownRam { addr: load_addr }),
        (!entry_is_plausible(image.entry, load_addr, image.payload.len()))
            .then_some(Remark::UnusualEntry { entry: image.entry }),
        version.is_none().then_some(Remark::NoVersion),
    ];
    for (slot, remark) in remarks.iter_mut().zip(candidates.into_iter().flatten()) {
        *slot = Some(remark);
    }
    Ok(ImageReport {
        image,
        load_addr,
        crc: image.crc(),
        version,
        remarks,
    })
}

/// Whether `entry` is an odd (Thumb) address inside the `len` bytes loaded at `load`.
fn entry_is_plausible(entry: u32, load: u32, len: usize) -> bool {
    let end = u32::try_from(len)
        .ok()
        .and_then(|l| load.checked_add(l))
        .unwrap_or(u32::MAX);
    entry & 1 == 1 && entry > load && entry < end
}
