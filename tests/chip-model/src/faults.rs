// SPDX-License-Identifier: GPL-2.0

//! Fault injection, chosen per run with `--fault SPEC` (repeatable) or written at run
//! time to the control FIFO as `fault SPEC`.
//!
//! `SPEC` is `NAME[:KEY=VALUE[,KEY=VALUE]…]`. Common keys: `count=N` (how many events the
//! fault affects; default 1 for event faults), `for=MS` (how long it stays active; default
//! until `clear` for state faults), `at=MS` (arm it MS milliseconds after the model
//! started, instead of at once). Names:
//!
//! | name | effect |
//! |---|---|
//! | `drop-confirm` | the next confirms are not sent (`kind=tx` (default), `cmd`, `any`); the chip still frees their buffers |
//! | `delay-confirm` | confirms are held back `delay=MS` (default 500) before being sent (`kind=` as above) |
//! | `corrupt-rx-len` | RX batches carry a bad length: `mode=msg` (default) makes the first message's WSM length overrun the batch, `mode=reg` announces one 512-byte unit less than the batch in register 0x001 |
//! | `corrupt-rx-id` | the next device→host messages carry id `id=0xNNNN` (default 0x043F, a confirm nobody asked for) |
//! | `wrong-seq` | the next device→host messages carry a wrong sequence number |
//! | `crash` | the firmware stops answering (`mode=silent`, default) or first sends an exception indication (`mode=exception`); only a card reset revives it |
//! | `irq-storm` | asks the host for `count` interrupts with nothing queued (ABI FAULT 3) |
//! | `bus-error` | the next `count` CMD53s fail with -EIO (ABI FAULT 1) |
//! | `cmd52-timeout` | the next `count` CMD52s time out (ABI FAULT 2) |
//! | `ap-vanish` | frames from and to the AP (`bssid=`, default the BSSID the chip is joined to) are no longer forwarded; `ap-return` (or `for=MS`) brings it back |
//! | `ap-return` | ends `ap-vanish` |
//! | `decrypt-fail` | protected frames the chip receives are reported as decryption failures |
//! | `beacon-loss` | the chip hears no beacons |
//! | `no-wake` | the MCU ignores MCU_ACTIVE: it stays asleep and status bit 4 (MCU_WAKEUP_READY) is never set, until the fault is cleared or expires or the card is reset |
//! | `hostile` | a hostile chip: `rate=N` of every 1000 RX batches (default 20) leave with one mutation drawn by a PRNG seeded with `seed=S` (default 1): a message length, id or sequence number, a count or flag (random bytes), a truncated tail, or an oversize length register. Not something the real chip is known to do: it stands for a chip whose firmware or bus went wrong, to prove the driver takes anything |

use crate::ieee80211::{parse_mac, Mac};

/// Which confirms a confirm fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    /// TX confirms (0x0404, 0x041E).
    Tx,
    /// Command confirms (every other confirm).
    Cmd,
    /// All confirms.
    Any,
}

impl ConfirmKind {
    /// Whether a confirm (TX confirm or not) is covered.
    pub fn covers(self, is_tx: bool) -> bool {
        match self {
            ConfirmKind::Tx => is_tx,
            ConfirmKind::Cmd => !is_tx,
            ConfirmKind::Any => true,
        }
    }
}

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Drop confirms.
    DropConfirm(ConfirmKind),
    /// Delay confirms by this many ms.
    DelayConfirm(ConfirmKind, u64),
    /// Corrupt RX lengths; `true`: in register 0x001, `false`: in the first message.
    CorruptRxLen {
        /// Corrupt the length register instead of the message.
        reg: bool,
    },
    /// Replace message ids.
    CorruptRxId(u16),
    /// Wrong sequence numbers.
    WrongSeq,
    /// Firmware crash.
    Crash {
        /// Send an exception indication first.
        exception: bool,
    },
    /// Interrupt storm (ABI FAULT 3).
    IrqStorm,
    /// CMD53 errors (ABI FAULT 1).
    BusError,
    /// CMD52 timeouts (ABI FAULT 2).
    Cmd52Timeout,
    /// The AP vanishes.
    ApVanish(Option<Mac>),
    /// The AP returns.
    ApReturn,
    /// Decryption failures.
    DecryptFail,
    /// Beacons are lost.
    BeaconLoss,
    /// The MCU never wakes (MCU_ACTIVE is ignored).
    NoWake,
    /// A hostile chip: mutates `permille` of the RX batches, PRNG seeded with `seed`.
    Hostile {
        /// Batches mutated per 1000.
        permille: u16,
        /// PRNG seed: the same seed gives the same mutations for the same traffic.
        seed: u64,
    },
}

impl FaultKind {
    /// Whether the fault is an event fault (consumed per event, default count 1) rather
    /// than a state that stays until it expires or is cleared.
    pub fn is_event(&self) -> bool {
        !matches!(
            self,
            FaultKind::ApVanish(_)
                | FaultKind::DecryptFail
                | FaultKind::BeaconLoss
                | FaultKind::NoWake
                | FaultKind::Hostile { .. }
        )
    }

    /// Whether the fault acts on the air medium rather than on the chip.
    pub fn is_medium(&self) -> bool {
        matches!(self, FaultKind::ApVanish(_) | FaultKind::ApReturn)
    }

    /// Short name for logs and counters.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::DropConfirm(_) => "drop-confirm",
            FaultKind::DelayConfirm(..) => "delay-confirm",
            FaultKind::CorruptRxLen { .. } => "corrupt-rx-len",
            FaultKind::CorruptRxId(_) => "corrupt-rx-id",
            FaultKind::WrongSeq => "wrong-seq",
            FaultKind::Crash { .. } => "crash",
            FaultKind::IrqStorm => "irq-storm",
            FaultKind::BusError => "bus-error",
            FaultKind::Cmd52Timeout => "cmd52-timeout",
            FaultKind::ApVanish(_) => "ap-vanish",
            FaultKind::ApReturn => "ap-return",
            FaultKind::DecryptFail => "decrypt-fail",
            FaultKind::BeaconLoss => "beacon-loss",
            FaultKind::NoWake => "no-wake",
            FaultKind::Hostile { .. } => "hostile",
        }
    }
}

/// A parsed fault specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultSpec {
    /// What it does.
    pub kind: FaultKind,
    /// Events affected (`None`: unlimited within `duration_ms`).
    pub count: Option<u32>,
    /// How long it stays active, in ms.
    pub duration_ms: Option<u64>,
    /// When to arm it, in ms after the model started.
    pub at_ms: Option<u64>,
}

/// Parses a fault specification.
pub fn parse(spec: &str) -> Result<FaultSpec, String> {
    let (name, args) = match spec.split_once(':') {
        Some((n, a)) => (n.trim(), a.trim()),
        None => (spec.trim(), ""),
    };
    let mut count = None;
    let mut duration_ms = None;
    let mut at_ms = None;
    let mut ckind = ConfirmKind::Tx;
    let mut delay = 500;
    let mut mode = String::new();
    let mut id = 0x043F;
    let mut bssid = None;
    let mut rate = 20;
    let mut seed = 1;
    for kv in args.split(',').filter(|s| !s.is_empty()) {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("fault argument `{kv}` is not KEY=VALUE"))?;
        let num = |v: &str| -> Result<u64, String> {
            let v = v.trim();
            let r = if let Some(h) = v.strip_prefix("0x") {
                u64::from_str_radix(h, 16)
            } else {
                v.parse()
            };
            r.map_err(|_| format!("bad number `{v}` in fault `{spec}`"))
        };
        match k.trim() {
            "count" => count = Some(num(v)? as u32),
            "for" => duration_ms = Some(num(v)?),
            "at" => at_ms = Some(num(v)?),
            "delay" => delay = num(v)?,
            "kind" => {
                ckind = match v {
                    "tx" => ConfirmKind::Tx,
                    "cmd" => ConfirmKind::Cmd,
                    "any" => ConfirmKind::Any,
                    _ => return Err(format!("bad confirm kind `{v}`")),
                }
            }
            "mode" => mode = v.to_string(),
            "id" => id = num(v)? as u16,
            "rate" => rate = num(v)?.min(1000) as u16,
            "seed" => seed = num(v)?,
            "bssid" => bssid = Some(parse_mac(v).ok_or_else(|| format!("bad MAC `{v}`"))?),
            other => return Err(format!("unknown fault argument `{other}`")),
        }
    }
    let kind = match name {
        "drop-confirm" => FaultKind::DropConfirm(ckind),
        "delay-confirm" => FaultKind::DelayConfirm(ckind, delay),
        "corrupt-rx-len" => FaultKind::CorruptRxLen {
            reg: match mode.as_str() {
                "" | "msg" => false,
                "reg" => true,
                m => return Err(format!("bad corrupt-rx-len mode `{m}`")),
            },
        },
        "corrupt-rx-id" => FaultKind::CorruptRxId(id),
        "wrong-seq" => FaultKind::WrongSeq,
        "crash" => FaultKind::Crash {
            exception: match mode.as_str() {
                "" | "silent" => false,
                "exception" => true,
                m => return Err(format!("bad crash mode `{m}`")),
            },
        },
        "irq-storm" => FaultKind::IrqStorm,
        "bus-error" => FaultKind::BusError,
        "cmd52-timeout" => FaultKind::Cmd52Timeout,
        "ap-vanish" => FaultKind::ApVanish(bssid),
        "ap-return" => FaultKind::ApReturn,
        "decrypt-fail" => FaultKind::DecryptFail,
        "beacon-loss" => FaultKind::BeaconLoss,
        "no-wake" => FaultKind::NoWake,
        "hostile" => FaultKind::Hostile {
            permille: rate,
            seed,
        },
        other => return Err(format!("unknown fault `{other}`")),
    };
    if kind.is_event() && count.is_none() && duration_ms.is_none() {
        count = Some(1);
    }
    Ok(FaultSpec {
        kind,
        count,
        duration_ms,
        at_ms,
    })
}

/// A fault that is armed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Active {
    kind: FaultKind,
    remaining: Option<u32>,
    until_us: Option<u64>,
}

/// The armed faults.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    active: Vec<Active>,
}

impl Faults {
    /// Arms a fault at time `now_us`.
    pub fn arm(&mut self, spec: &FaultSpec, now_us: u64) {
        self.active.push(Active {
            kind: spec.kind,
            remaining: spec.count,
            until_us: spec.duration_ms.map(|d| now_us + d * 1000),
        });
    }

    /// Disarms every fault.
    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// Disarms faults matching `pred`.
    pub fn remove(&mut self, pred: impl Fn(&FaultKind) -> bool) {
        self.active.retain(|a| !pred(&a.kind));
    }

    fn expire(&mut self, now_us: u64) {
        self.active
            .retain(|a| a.until_us.is_none_or(|u| now_us < u) && a.remaining != Some(0));
    }

    /// Whether a fault matching `pred` is active (without consuming it).
    pub fn is_active(&mut self, now_us: u64, pred: impl Fn(&FaultKind) -> bool) -> bool {
        self.expire(now_us);
        self.active.iter().any(|a| pred(&a.kind))
    }

    /// Consumes one event of the first active fault matching `pred` and returns it.
    pub fn hit(&mut self, now_us: u64, pred: impl Fn(&FaultKind) -> bool) -> Option<FaultKind> {
        self.expire(now_us);
        let a = self.active.iter_mut().find(|a| pred(&a.kind))?;
        if let Some(r) = a.remaining.as_mut() {
            *r -= 1;
        }
        let k = a.kind;
        self.expire(now_us);
        Some(k)
    }

    /// The earliest expiry time, for the event loop.
    pub fn next_expiry(&self) -> Option<u64> {
        self.active.iter().filter_map(|a| a.until_us).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let s = parse("drop-confirm:count=3,kind=any").unwrap();
        assert_eq!(s.kind, FaultKind::DropConfirm(ConfirmKind::Any));
        assert_eq!(s.count, Some(3));
        let s = parse("ap-vanish:for=2000,bssid=02:00:00:00:00:00").unwrap();
        assert_eq!(s.kind, FaultKind::ApVanish(Some([2, 0, 0, 0, 0, 0])));
        assert_eq!((s.count, s.duration_ms), (None, Some(2000)));
        assert_eq!(parse("wrong-seq").unwrap().count, Some(1));
        assert_eq!(
            parse("crash:mode=exception,at=100").unwrap(),
            FaultSpec {
                kind: FaultKind::Crash { exception: true },
                count: Some(1),
                duration_ms: None,
                at_ms: Some(100)
            }
        );
        assert!(parse("nonsense").is_err());
        assert!(parse("drop-confirm:count").is_err());
    }

    #[test]
    fn counts_and_expiry() {
        let mut f = Faults::default();
        f.arm(&parse("wrong-seq:count=2").unwrap(), 0);
        assert!(f.hit(0, |k| *k == FaultKind::WrongSeq).is_some());
        assert!(f.hit(0, |k| *k == FaultKind::WrongSeq).is_some());
        assert!(f.hit(0, |k| *k == FaultKind::WrongSeq).is_none());
        f.arm(&parse("beacon-loss:for=10").unwrap(), 0);
        assert!(f.is_active(9_999, |k| *k == FaultKind::BeaconLoss));
        assert!(!f.is_active(10_000, |k| *k == FaultKind::BeaconLoss));
    }
}
