// SPDX-License-Identifier: GPL-2.0

//! A non-blocking generic-netlink socket (the only `unsafe` of the model: libc calls).

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::hwsim::{self, NlMsg};

/// A `NETLINK_GENERIC` socket.
#[derive(Debug)]
pub struct GenlSocket {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl GenlSocket {
    /// Opens and binds the socket.
    pub fn open() -> io::Result<Self> {
        // SAFETY: plain socket(2) call; the result is checked before use.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                libc::NETLINK_GENERIC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a freshly created descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: an all-zero sockaddr_nl is valid; the fields are set below.
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: `sa` is a valid sockaddr_nl and the length matches it.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&sa as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        let size: libc::c_int = 8 << 20;
        for opt in [libc::SO_RCVBUFFORCE, libc::SO_SNDBUFFORCE] {
            // SAFETY: `size` outlives the call and the length matches its type. Failure
            // (no CAP_NET_ADMIN) is harmless: the default buffers are used.
            unsafe {
                libc::setsockopt(
                    fd.as_raw_fd(),
                    libc::SOL_SOCKET,
                    opt,
                    (&size as *const libc::c_int).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                );
            }
        }
        Ok(Self {
            fd,
            seq: 1,
            buf: vec![0; 1 << 17],
        })
    }

    /// The next sequence number.
    pub fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends one message to the kernel.
    pub fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: an all-zero sockaddr_nl addresses the kernel (pid 0).
        let mut sa: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        sa.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        loop {
            // SAFETY: `msg` and `sa` are valid for the given lengths during the call.
            let r = unsafe {
                libc::sendto(
                    self.fd.as_raw_fd(),
                    msg.as_ptr().cast(),
                    msg.len(),
                    0,
                    (&sa as *const libc::sockaddr_nl).cast(),
                    std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if r >= 0 {
                return Ok(());
            }
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
    }

    /// Receives what is queued (one datagram, possibly several messages); empty when
    /// nothing is.
    pub fn recv(&mut self) -> io::Result<Vec<NlMsg>> {
        loop {
            // SAFETY: `buf` is valid for writes of its length during the call.
            let r = unsafe {
                libc::recv(
                    self.fd.as_raw_fd(),
                    self.buf.as_mut_ptr().cast(),
                    self.buf.len(),
                    0,
                )
            };
            if r >= 0 {
                let n = r as usize;
                return Ok(hwsim::parse_messages(self.buf.get(..n).unwrap_or(&[])));
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(Vec::new()),
                _ => return Err(e),
            }
        }
    }

    /// Sends `msg` and waits up to `timeout` for the replies to its sequence number
    /// (until an error/ack or the end of a dump, or the first reply of a plain request).
    pub fn request(
        &mut self,
        msg: &[u8],
        seq: u32,
        dump: bool,
        timeout: Duration,
    ) -> io::Result<Vec<NlMsg>> {
        self.send(msg)?;
        let end = Instant::now() + timeout;
        let mut out = Vec::new();
        loop {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "netlink request timed out",
                ));
            }
            let mut pfd = libc::pollfd {
                fd: self.fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            unsafe { libc::poll(&mut pfd, 1, left.as_millis().min(1000) as libc::c_int) };
            for m in self.recv()? {
                if m.seq != seq {
                    continue;
                }
                if m.ty == hwsim::NLMSG_ERROR {
                    let code = hwsim::error_code(&m.payload).unwrap_or(0);
                    if code != 0 {
                        return Err(io::Error::from_raw_os_error(-code));
                    }
                    return Ok(out);
                }
                if m.ty == hwsim::NLMSG_DONE {
                    return Ok(out);
                }
                out.push(m);
                if !dump {
                    return Ok(out);
                }
            }
        }
    }

    /// The id of generic-netlink family `name`.
    pub fn resolve(&mut self, name: &str) -> io::Result<u16> {
        let seq = self.next_seq();
        let replies = self.request(
            &hwsim::get_family(seq, name),
            seq,
            false,
            Duration::from_secs(2),
        )?;
        replies
            .iter()
            .find_map(hwsim::family_id)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no family {name}")))
    }
}

impl AsRawFd for GenlSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
