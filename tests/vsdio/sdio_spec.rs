// SPDX-License-Identifier: GPL-2.0

//! What the SDIO Simplified Specification (version 3.00) fixes: command numbers, the argument
//! layout of CMD52/CMD53, response bits, the CCCR/FBR register map and the CIS the card
//! presents. Pure data and decoding, no state.

/// Command indices the card answers.
pub(crate) mod opcode {
    /// CMD0 `GO_IDLE_STATE`: software reset.
    pub(crate) const GO_IDLE_STATE: u32 = 0;
    /// CMD3 `SEND_RELATIVE_ADDR`: the card publishes its RCA.
    pub(crate) const SEND_RELATIVE_ADDR: u32 = 3;
    /// CMD5 `IO_SEND_OP_COND`: voltage window and function count (R4).
    pub(crate) const IO_SEND_OP_COND: u32 = 5;
    /// CMD7 `SELECT/DESELECT_CARD`.
    pub(crate) const SELECT_CARD: u32 = 7;
    /// CMD52 `IO_RW_DIRECT`: one register byte (R5).
    pub(crate) const IO_RW_DIRECT: u32 = 52;
    /// CMD53 `IO_RW_EXTENDED`: a data transfer (R5).
    pub(crate) const IO_RW_EXTENDED: u32 = 53;
}

/// R4 (CMD5 response) fields.
pub(crate) mod r4 {
    /// C: the card is ready (initialisation complete).
    pub(crate) const READY: u32 = 1 << 31;
    /// Shift of the 3-bit number of I/O functions.
    pub(crate) const NUM_FUNCS_SHIFT: u32 = 28;
    /// The I/O OCR: the voltage window, bits 23..0.
    pub(crate) const OCR_MASK: u32 = 0x00ff_ffff;
}

/// R5 (CMD52/CMD53 response) flag bits, above the data byte.
pub(crate) mod r5 {
    /// `IO_CURRENT_STATE` = CMD: the card is selected and idle.
    pub(crate) const STATE_CMD: u32 = 1 << 12;
    /// General error (the MMC core returns `-EIO`).
    pub(crate) const ERROR: u32 = 1 << 11;
    /// Invalid function number (`-EINVAL`).
    pub(crate) const FUNCTION_NUMBER: u32 = 1 << 9;
    /// Argument out of the function's range (`-ERANGE`).
    pub(crate) const OUT_OF_RANGE: u32 = 1 << 8;
}

/// R1 card status after CMD7 selects the card: `CURRENT_STATE` = tran, `READY_FOR_DATA`.
pub(crate) const R1_SELECTED: u32 = (4 << 9) | (1 << 8);

/// The voltage window the card accepts: 2.7 V to 3.6 V (OCR bits 15..23).
pub(crate) const CARD_OCR: u32 = 0x00ff_8000;

/// The relative card address the card publishes with CMD3.
pub(crate) const RCA: u16 = 0x0001;

/// Number of I/O functions besides function 0.
pub(crate) const NUM_FUNCTIONS: u32 = 1;

/// The 17-bit register address space of a function.
pub(crate) const ADDR_MASK: u32 = 0x1_ffff;

/// A decoded CMD52 argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cmd52 {
    /// R/W flag.
    pub(crate) write: bool,
    /// Function number 0..7.
    pub(crate) func: u8,
    /// Read-after-write: a write's response returns the register's new value.
    pub(crate) raw: bool,
    /// Register address (17 bits).
    pub(crate) addr: u32,
    /// Data byte to write.
    pub(crate) data: u8,
}

impl Cmd52 {
    /// Decodes a CMD52 argument.
    pub(crate) const fn decode(arg: u32) -> Self {
        Self {
            write: arg & (1 << 31) != 0,
            func: ((arg >> 28) & 7) as u8,
            raw: arg & (1 << 27) != 0,
            addr: (arg >> 9) & ADDR_MASK,
            data: (arg & 0xff) as u8,
        }
    }

    /// Encodes the argument (the inverse of [`decode`](Self::decode)).
    pub(crate) const fn encode(&self) -> u32 {
        ((self.write as u32) << 31)
            | (((self.func & 7) as u32) << 28)
            | ((self.raw as u32) << 27)
            | ((self.addr & ADDR_MASK) << 9)
            | self.data as u32
    }
}

/// A decoded CMD53 argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cmd53 {
    /// R/W flag.
    pub(crate) write: bool,
    /// Function number 0..7.
    pub(crate) func: u8,
    /// Block mode (otherwise byte mode).
    pub(crate) block_mode: bool,
    /// Incrementing address (otherwise fixed).
    pub(crate) incr_addr: bool,
    /// The 17-bit register address field, exactly as sent.
    pub(crate) addr: u32,
    /// The 9-bit count field: blocks in block mode (0: infinite), bytes in byte mode (0: 512).
    pub(crate) count: u16,
}

impl Cmd53 {
    /// Decodes a CMD53 argument.
    pub(crate) const fn decode(arg: u32) -> Self {
        Self {
            write: arg & (1 << 31) != 0,
            func: ((arg >> 28) & 7) as u8,
            block_mode: arg & (1 << 27) != 0,
            incr_addr: arg & (1 << 26) != 0,
            addr: (arg >> 9) & ADDR_MASK,
            count: (arg & 0x1ff) as u16,
        }
    }

    /// Encodes the argument (the inverse of [`decode`](Self::decode)).
    pub(crate) const fn encode(&self) -> u32 {
        ((self.write as u32) << 31)
            | (((self.func & 7) as u32) << 28)
            | ((self.block_mode as u32) << 27)
            | ((self.incr_addr as u32) << 26)
            | ((self.addr & ADDR_MASK) << 9)
            | (self.count & 0x1ff) as u32
    }

    /// Bytes of a byte-mode transfer (a count of 0 means 512).
    pub(crate) const fn byte_count(&self) -> u32 {
        if self.count == 0 {
            512
        } else {
            self.count as u32
        }
    }
}

/// CCCR (function 0, addresses 0x00..0xff) registers and bits.
pub(crate) mod cccr {
    /// CCCR format version (low nibble) and SDIO specification version (high nibble).
    pub(crate) const REVISION: u32 = 0x00;
    /// SD physical layer specification version.
    pub(crate) const SD_REVISION: u32 = 0x01;
    /// I/O enable, one bit per function.
    pub(crate) const IO_ENABLE: u32 = 0x02;
    /// I/O ready, one bit per function.
    pub(crate) const IO_READY: u32 = 0x03;
    /// Interrupt enable: bit 0 master, one bit per function.
    pub(crate) const INT_ENABLE: u32 = 0x04;
    /// Interrupt pending, one bit per function.
    pub(crate) const INT_PENDING: u32 = 0x05;
    /// I/O abort: bits 2..0 abort a function's transfer, bit 3 resets the card.
    pub(crate) const IO_ABORT: u32 = 0x06;
    /// Bus interface control: bits 1..0 bus width, bit 7 card-detect pull-up disable.
    pub(crate) const BUS_IF: u32 = 0x07;
    /// Card capability.
    pub(crate) const CAPS: u32 = 0x08;
    /// Common CIS pointer, 3 bytes little endian.
    pub(crate) const CIS_PTR: u32 = 0x09;
    /// Function 0 block size, 2 bytes little endian.
    pub(crate) const FN0_BLKSIZE: u32 = 0x10;
    /// Power control.
    pub(crate) const POWER: u32 = 0x12;
    /// Bus speed select: bit 0 SHS (high speed supported), bits 3..1 BSS.
    pub(crate) const SPEED: u32 = 0x13;

    /// [`REVISION`]: SDIO 2.00 (3, high nibble), CCCR 3.00 (3, low nibble), as ABI.md fixes.
    pub(crate) const REVISION_VALUE: u8 = 0x33;
    /// [`CAPS`]: multi-block (SMB, bit 1) and interrupt between blocks in 4-bit mode (S4MI,
    /// bit 4); not a low-speed card, so 4-bit is implied.
    pub(crate) const CAPS_VALUE: u8 = 0x12;
    /// [`IO_ABORT`]: card reset.
    pub(crate) const ABORT_RESET: u8 = 1 << 3;
    /// [`BUS_IF`] bits the host may write: width (1..0), ECSI (5), CD disable (7).
    pub(crate) const BUS_IF_WRITABLE: u8 = 0xa3;
    /// [`SPEED`]: SHS, high speed supported (read-only).
    pub(crate) const SPEED_SHS: u8 = 1 << 0;
    /// [`SPEED`]: the BSS field the host writes (EHS is bit 1).
    pub(crate) const SPEED_BSS_MASK: u8 = 0x0e;
    /// [`INT_ENABLE`]: master enable.
    pub(crate) const INT_MASTER: u8 = 1 << 0;
}

/// FBR (function basic registers) of function 1: addresses 0x100..0x1ff of function 0.
pub(crate) mod fbr1 {
    /// Standard interface code (0: none).
    pub(crate) const STD_IF: u32 = 0x100;
    /// The function's CIS pointer, 3 bytes little endian.
    pub(crate) const CIS_PTR: u32 = 0x109;
    /// The function's I/O block size, 2 bytes little endian.
    pub(crate) const BLKSIZE: u32 = 0x110;
}

/// Bit of function 1 in the CCCR per-function registers.
pub(crate) const F1_BIT: u8 = 1 << 1;

/// Where the common CIS starts in function 0's address space.
pub(crate) const COMMON_CIS_ADDR: u32 = 0x1000;
/// Where function 1's CIS starts.
pub(crate) const F1_CIS_ADDR: u32 = 0x2000;

/// CIS tuple codes.
mod tpl {
    /// `CISTPL_MANFID`: manufacturer and card id.
    pub(super) const MANFID: u8 = 0x20;
    /// `CISTPL_FUNCID`: function class.
    pub(super) const FUNCID: u8 = 0x21;
    /// `CISTPL_FUNCE`: function extension.
    pub(super) const FUNCE: u8 = 0x22;
    /// `CISTPL_END`.
    pub(super) const END: u8 = 0xff;
}

/// `TPLFID_FUNCTION` of an SDIO card.
const FUNCID_SDIO: u8 = 0x0c;

/// `TPLFE_MAX_TRAN_SPEED` of the common FUNCE: 25 Mbit/s per line (value 2.5 x 10 Mbit/s);
/// high speed is announced through the CCCR instead.
const MAX_TRAN_SPEED_25MHZ: u8 = 0x32;

/// Function 1's enable timeout, in units of 10 ms (1 s).
const F1_ENABLE_TIMEOUT_10MS: u16 = 100;

/// Length of the function FUNCE body for SDIO 1.1 and later.
const F1_FUNCE_LEN: usize = 42;

/// Length of the common CIS.
pub(crate) const COMMON_CIS_LEN: usize = 4 + 6 + 6 + 1;
/// Length of function 1's CIS.
pub(crate) const F1_CIS_LEN: usize = 4 + 2 + F1_FUNCE_LEN + 6 + 1;

/// Writes a `CISTPL_MANFID` tuple at `at`; returns the offset after it.
const fn manfid(cis: &mut [u8], at: usize, vendor: u16, device: u16) -> usize {
    let v = vendor.to_le_bytes();
    let d = device.to_le_bytes();
    cis[at] = tpl::MANFID;
    cis[at + 1] = 4;
    cis[at + 2] = v[0];
    cis[at + 3] = v[1];
    cis[at + 4] = d[0];
    cis[at + 5] = d[1];
    at + 6
}

/// Writes a `CISTPL_FUNCID` tuple for an SDIO card at `at`; returns the offset after it.
const fn funcid(cis: &mut [u8], at: usize) -> usize {
    cis[at] = tpl::FUNCID;
    cis[at + 1] = 2;
    cis[at + 2] = FUNCID_SDIO;
    cis[at + 3] = 0;
    at + 4
}

/// The common CIS: FUNCID, FUNCE (function 0 block size `max_blksize`, 25 MHz), MANFID, END.
pub(crate) const fn common_cis(vendor: u16, device: u16, max_blksize: u16) -> [u8; COMMON_CIS_LEN] {
    let mut cis = [0u8; COMMON_CIS_LEN];
    let mut at = funcid(&mut cis, 0);
    let b = max_blksize.to_le_bytes();
    cis[at] = tpl::FUNCE;
    cis[at + 1] = 4;
    cis[at + 2] = 0x00; // TPLFE_TYPE: function 0
    cis[at + 3] = b[0];
    cis[at + 4] = b[1];
    cis[at + 5] = MAX_TRAN_SPEED_25MHZ;
    at += 6;
    at = manfid(&mut cis, at, vendor, device);
    cis[at] = tpl::END;
    cis
}

/// Function 1's CIS: FUNCID, FUNCE (SDIO 1.1+ layout, max block size `max_blksize`, enable
/// timeout 1 s), MANFID, END.
pub(crate) const fn f1_cis(vendor: u16, device: u16, max_blksize: u16) -> [u8; F1_CIS_LEN] {
    let mut cis = [0u8; F1_CIS_LEN];
    let mut at = funcid(&mut cis, 0);
    cis[at] = tpl::FUNCE;
    cis[at + 1] = F1_FUNCE_LEN as u8;
    let body = at + 2;
    cis[body] = 0x01; // TPLFE_TYPE: function 1..7
    let b = max_blksize.to_le_bytes();
    cis[body + 12] = b[0]; // TPLFE_MAX_BLK_SIZE
    cis[body + 13] = b[1];
    let t = F1_ENABLE_TIMEOUT_10MS.to_le_bytes();
    cis[body + 28] = t[0]; // TPLFE_ENABLE_TIMEOUT_VAL
    cis[body + 29] = t[1];
    at = body + F1_FUNCE_LEN;
    at = manfid(&mut cis, at, vendor, device);
    cis[at] = tpl::END;
    cis
}
