// SPDX-License-Identifier: GPL-2.0

//! `bes2600-chip-model`: the emulated BES2600 chip (see the library docs and
//! `tests/chip-model/README.md`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};

use bes2600_chip_model::chip::{Calibration, ChipConfig};
use bes2600_chip_model::faults::{self, FaultSpec};
use bes2600_chip_model::firmware::FwConfig;
use bes2600_chip_model::ieee80211::parse_mac;
use bes2600_chip_model::runtime::{self, HwsimMode, Options};
use bes2600_chip_model::stats::log;
use bes2600_chip_model::transport::DEVICE_PATH;
use bes2600_protocol::boot_frame::FirmwareImage;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HwsimArg {
    Auto,
    On,
    Off,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CalArg {
    Auto,
    Off,
}

/// The emulated BES2600 WiFi chip: boot ROM, WSM firmware and radio, behind the virtual
/// SDIO host and on the mac80211_hwsim medium.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Virtual SDIO host character device.
    #[arg(long, default_value = DEVICE_PATH)]
    device: String,
    /// Run without the SDIO side (only the air medium).
    #[arg(long)]
    no_sdio: bool,
    /// Attach to mac80211_hwsim as its medium: auto (when loaded), on (required), off.
    #[arg(long, value_enum, default_value = "auto")]
    hwsim: HwsimArg,
    /// Write counters (`name value` lines, first `violations N`) to this file.
    #[arg(long)]
    stats: Option<PathBuf>,
    /// The chip's MAC address.
    #[arg(long, default_value = "02:be:57:26:00:01")]
    mac: String,
    /// Input buffers announced in the startup indication.
    #[arg(long, default_value_t = 16)]
    input_buffers: u16,
    /// Largest boot message (registers 0x109-0x10A), a multiple of 4.
    #[arg(long, default_value_t = 2048)]
    boot_max_len: u16,
    /// How RUN frames are recognised: auto (first image without DPD data is the
    /// calibration image) or off (every image is the WiFi firmware).
    #[arg(long, value_enum, default_value = "auto")]
    calibration: CalArg,
    /// The WiFi firmware file (recognised by the CRC of its payload).
    #[arg(long)]
    wifi_fw: Option<PathBuf>,
    /// The calibration firmware file (recognised by the CRC of its payload).
    #[arg(long)]
    cal_fw: Option<PathBuf>,
    /// RX items kept queued at the host at most.
    #[arg(long, default_value_t = 4)]
    rx_queue_depth: usize,
    /// Largest RX batch in bytes.
    #[arg(long, default_value_t = bes2600_protocol::sdio_framing::RX_BUFFER_LEN)]
    rx_batch_max: usize,
    /// Zero register 0x001 once a batch was read, instead of leaving the stale value.
    #[arg(long)]
    clear_length_reg: bool,
    /// Report decrypted frames with IV and MIC stripped (encryption code 7).
    #[arg(long)]
    rx_stripped: bool,
    /// How long a join waits for the BSS, in ms.
    #[arg(long, default_value_t = 1000)]
    join_timeout_ms: u64,
    /// Signal of every delivered frame in dBm.
    #[arg(long, default_value_t = -45, allow_negative_numbers = true)]
    signal: i32,
    /// A fault to inject (repeatable), `NAME[:KEY=VALUE,...]`; see the README.
    #[arg(long = "fault")]
    faults: Vec<String>,
    /// Bus timing model: bytes per second (ABI TIMING; 0 = none).
    #[arg(long)]
    bus_rate: Option<u32>,
    /// Bus timing model: fixed overhead per CMD53 in ns.
    #[arg(long, default_value_t = 0)]
    cmd53_overhead_ns: u32,
    /// Do not send CARD_PRESENT 1 at start.
    #[arg(long)]
    no_insert: bool,
    /// Send CARD_PRESENT 0 at exit.
    #[arg(long)]
    remove_on_exit: bool,
    /// Control FIFO (created if missing): `fault SPEC`, `clear`, `stats`, `card remove|insert`, `quit`.
    #[arg(long)]
    control: Option<PathBuf>,
    /// Exit after this many seconds.
    #[arg(long)]
    exit_after: Option<f64>,
    /// Exit with status 3 when protocol violations were counted.
    #[arg(long)]
    fail_on_violation: bool,
    /// More output (repeatable).
    #[arg(short, long, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings.
    #[arg(short, long)]
    quiet: bool,
}

fn image_crc(path: &PathBuf) -> Result<u32, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let img = FirmwareImage::parse(&data).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(img.crc())
}

fn options(cli: Cli) -> Result<Options, String> {
    let mac = parse_mac(&cli.mac).ok_or_else(|| format!("bad MAC address `{}`", cli.mac))?;
    if cli.input_buffers == 0 {
        return Err("--input-buffers must be at least 1".into());
    }
    if cli.boot_max_len % 4 != 0 || cli.boot_max_len < 16 {
        return Err("--boot-max-len must be a multiple of 4 and at least 16".into());
    }
    let faults: Vec<FaultSpec> = cli
        .faults
        .iter()
        .map(|f| faults::parse(f))
        .collect::<Result<_, _>>()?;
    let chip = ChipConfig {
        fw: FwConfig {
            input_buffers: cli.input_buffers,
            mac,
            rx_stripped: cli.rx_stripped,
            join_timeout_ms: cli.join_timeout_ms,
            ..FwConfig::default()
        },
        boot_max_len: cli.boot_max_len,
        calibration: match cli.calibration {
            CalArg::Auto => Calibration::Auto,
            CalArg::Off => Calibration::Off,
        },
        wifi_crc: cli.wifi_fw.as_ref().map(image_crc).transpose()?,
        cal_crc: cli.cal_fw.as_ref().map(image_crc).transpose()?,
        rx_queue_depth: cli.rx_queue_depth.clamp(1, 64),
        rx_batch_max: cli
            .rx_batch_max
            .clamp(2048, bes2600_protocol::sdio_framing::MAX_RX_BATCH),
        sticky_length_reg: !cli.clear_length_reg,
        ..ChipConfig::default()
    };
    Ok(Options {
        device: if cli.no_sdio { None } else { Some(cli.device) },
        hwsim: match cli.hwsim {
            HwsimArg::Auto => HwsimMode::Auto,
            HwsimArg::On => HwsimMode::On,
            HwsimArg::Off => HwsimMode::Off,
        },
        stats_file: cli.stats,
        chip,
        signal: cli.signal,
        faults,
        timing: cli.bus_rate.map(|r| (r, cli.cmd53_overhead_ns)),
        insert_card: !cli.no_insert,
        remove_on_exit: cli.remove_on_exit,
        control: cli.control,
        exit_after: cli.exit_after.map(Duration::from_secs_f64),
        fail_on_violation: cli.fail_on_violation,
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    log::set_level(if cli.quiet { 0 } else { 1 + cli.verbose });
    match options(cli) {
        Ok(o) => ExitCode::from(runtime::run(o) as u8),
        Err(e) => {
            eprintln!("bes2600-chip-model: {e}");
            ExitCode::from(2)
        }
    }
}
