// SPDX-License-Identifier: GPL-2.0

//! CCMP-128 (IEEE 802.11 §12.5.3): AES-CCM with an 8-byte MIC and a 2-byte length field
//! (RFC 3610, M = 8, L = 2), the 802.11 AAD and nonce construction, and the 8-byte CCMP
//! header. This is the "hardware crypto" of the emulated chip.

use aes::cipher::{BlockEncrypt, KeyInit};
use aes::Aes128;

use crate::ieee80211;

/// Length of the CCMP header (IV space).
pub const HDR_LEN: usize = 8;
/// Length of the MIC.
pub const MIC_LEN: usize = 8;

/// Why decryption failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CcmpError {
    /// The frame is too short or its CCMP header lacks the ExtIV bit.
    Malformed,
    /// The MIC does not match.
    Mic,
}

fn encrypt_block(cipher: &Aes128, block: &mut [u8; 16]) {
    let b = aes::Block::from_mut_slice(block);
    cipher.encrypt_block(b);
}

fn ctr_block(nonce: &[u8; 13], i: u16) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 1; // L − 1
    a[1..14].copy_from_slice(nonce);
    a[14..16].copy_from_slice(&i.to_be_bytes());
    a
}

fn cbc_mac(cipher: &Aes128, nonce: &[u8; 13], aad: &[u8], msg: &[u8]) -> [u8; 16] {
    let mut x = [0u8; 16];
    x[0] = 0x40 | (((MIC_LEN as u8 - 2) / 2) << 3) | 1;
    x[1..14].copy_from_slice(nonce);
    x[14..16].copy_from_slice(&(msg.len() as u16).to_be_bytes());
    encrypt_block(cipher, &mut x);
    // AAD: 2-byte length then the data, zero padded to whole blocks.
    let mut a = Vec::with_capacity(aad.len() + 2);
    a.extend_from_slice(&(aad.len() as u16).to_be_bytes());
    a.extend_from_slice(aad);
    for data in [a.as_slice(), msg] {
        for chunk in data.chunks(16) {
            for (xi, ci) in x.iter_mut().zip(chunk) {
                *xi ^= ci;
            }
            encrypt_block(cipher, &mut x);
        }
    }
    x
}

fn ctr_crypt(cipher: &Aes128, nonce: &[u8; 13], data: &mut [u8]) {
    for (i, chunk) in data.chunks_mut(16).enumerate() {
        let mut s = ctr_block(nonce, i as u16 + 1);
        encrypt_block(cipher, &mut s);
        for (d, k) in chunk.iter_mut().zip(s.iter()) {
            *d ^= k;
        }
    }
}

/// AES-CCM encryption with an 8-byte MIC: returns ciphertext followed by the MIC.
pub fn ccm_encrypt(key: &[u8; 16], nonce: &[u8; 13], aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let cipher = Aes128::new(key.into());
    let t = cbc_mac(&cipher, nonce, aad, msg);
    let mut out = msg.to_vec();
    ctr_crypt(&cipher, nonce, &mut out);
    let mut s0 = ctr_block(nonce, 0);
    encrypt_block(&cipher, &mut s0);
    out.extend(t.iter().zip(s0.iter()).take(MIC_LEN).map(|(a, b)| a ^ b));
    out
}

/// AES-CCM decryption of ciphertext followed by an 8-byte MIC.
pub fn ccm_decrypt(
    key: &[u8; 16],
    nonce: &[u8; 13],
    aad: &[u8],
    data: &[u8],
) -> Result<Vec<u8>, CcmpError> {
    if data.len() < MIC_LEN {
        return Err(CcmpError::Malformed);
    }
    let (ct, mic) = data.split_at(data.len() - MIC_LEN);
    let cipher = Aes128::new(key.into());
    let mut msg = ct.to_vec();
    ctr_crypt(&cipher, nonce, &mut msg);
    let t = cbc_mac(&cipher, nonce, aad, &msg);
    let mut s0 = ctr_block(nonce, 0);
    encrypt_block(&cipher, &mut s0);
    let ok = t
        .iter()
        .zip(s0.iter())
        .zip(mic)
        .fold(0u8, |acc, ((a, b), m)| acc | (a ^ b ^ m));
    if ok == 0 {
        Ok(msg)
    } else {
        Err(CcmpError::Mic)
    }
}

/// The AAD and nonce of an MPDU whose MAC header is `hdr`, with packet number `pn`.
pub fn aad_nonce(hdr: &[u8], pn: u64) -> (Vec<u8>, [u8; 13]) {
    let fc0 = hdr.first().copied().unwrap_or(0);
    let fc1 = hdr.get(1).copied().unwrap_or(0);
    let is_data = (fc0 >> 2) & 3 == ieee80211::TYPE_DATA;
    let is_mgmt = (fc0 >> 2) & 3 == ieee80211::TYPE_MGMT;
    let qos = is_data && fc0 & 0x80 != 0;
    let a4 = fc1 & 3 == 3;
    let mut aad = Vec::with_capacity(32);
    aad.push(if is_data { fc0 & 0x8F } else { fc0 });
    let mut b1 = (fc1 & !(0x08 | 0x10 | 0x20)) | 0x40;
    if qos {
        b1 &= !0x80;
    }
    aad.push(b1);
    aad.extend_from_slice(hdr.get(4..22).unwrap_or(&[0; 18]));
    aad.push(hdr.get(22).copied().unwrap_or(0) & 0x0F);
    aad.push(0);
    let mut off = 24;
    if a4 {
        aad.extend_from_slice(hdr.get(24..30).unwrap_or(&[0; 6]));
        off = 30;
    }
    let mut prio = 0;
    if qos {
        let qc = hdr.get(off).copied().unwrap_or(0);
        prio = qc & 0x0F;
        aad.push(qc & 0x0F);
        aad.push(0);
    }
    let mut nonce = [0u8; 13];
    nonce[0] = prio | if is_mgmt { 0x10 } else { 0 };
    nonce[1..7].copy_from_slice(hdr.get(10..16).unwrap_or(&[0; 6]));
    let pnb = pn.to_be_bytes();
    nonce[7..13].copy_from_slice(&pnb[2..8]);
    (aad, nonce)
}

/// The 8-byte CCMP header for `pn` and `key_id`.
pub fn header(pn: u64, key_id: u8) -> [u8; HDR_LEN] {
    let p = pn.to_le_bytes();
    [p[0], p[1], 0, 0x20 | (key_id << 6), p[2], p[3], p[4], p[5]]
}

/// Parses a CCMP header: packet number and key id.
pub fn parse_header(h: &[u8]) -> Result<(u64, u8), CcmpError> {
    let h: &[u8; HDR_LEN] = h
        .get(..HDR_LEN)
        .and_then(|s| s.try_into().ok())
        .ok_or(CcmpError::Malformed)?;
    if h[3] & 0x20 == 0 {
        return Err(CcmpError::Malformed);
    }
    let pn = u64::from_le_bytes([h[0], h[1], h[4], h[5], h[6], h[7], 0, 0]);
    Ok((pn, h[3] >> 6))
}

/// Encrypts a frame the host prepared with IV space after the MAC header and MIC space
/// at the end (`hdr | 8 bytes | plaintext | 8 bytes`), in place: fills the CCMP header,
/// encrypts the plaintext and writes the MIC. `hdr_len` is the MAC header length.
pub fn encrypt_in_place(
    key: &[u8; 16],
    frame: &mut [u8],
    hdr_len: usize,
    pn: u64,
    key_id: u8,
) -> Result<(), CcmpError> {
    if frame.len() < hdr_len + HDR_LEN + MIC_LEN {
        return Err(CcmpError::Malformed);
    }
    let (hdr, rest) = frame.split_at_mut(hdr_len);
    if let Some(b) = hdr.get_mut(1) {
        *b |= 0x40;
    }
    let (aad, nonce) = aad_nonce(hdr, pn);
    let (iv, body) = rest.split_at_mut(HDR_LEN);
    iv.copy_from_slice(&header(pn, key_id));
    let plain_len = body.len() - MIC_LEN;
    let ct = ccm_encrypt(key, &nonce, &aad, body.get(..plain_len).unwrap_or(&[]));
    body.copy_from_slice(&ct);
    Ok(())
}

/// Decrypts a protected MPDU (`hdr | CCMP header | ciphertext | MIC`). Returns the
/// plaintext body, the packet number and the key id.
pub fn decrypt(
    key: &[u8; 16],
    frame: &[u8],
    hdr_len: usize,
) -> Result<(Vec<u8>, u64, u8), CcmpError> {
    let hdr = frame.get(..hdr_len).ok_or(CcmpError::Malformed)?;
    let rest = frame.get(hdr_len..).ok_or(CcmpError::Malformed)?;
    let (pn, key_id) = parse_header(rest)?;
    let body = rest.get(HDR_LEN..).ok_or(CcmpError::Malformed)?;
    let (aad, nonce) = aad_nonce(hdr, pn);
    let plain = ccm_decrypt(key, &nonce, &aad, body)?;
    Ok((plain, pn, key_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3610 packet vector #1 (M = 8, L = 2).
    #[test]
    fn rfc3610_vector_1() {
        let key: [u8; 16] = core::array::from_fn(|i| 0xC0 + i as u8);
        let nonce: [u8; 13] = hex("00000003020100a0a1a2a3a4a5").try_into().unwrap();
        let input: Vec<u8> = (0u8..0x1F).collect();
        let out = ccm_encrypt(&key, &nonce, &input[..8], &input[8..]);
        assert_eq!(
            out,
            hex("588c979a61c663d2f066d0c2c0f989806d5f6b61dac38417e8d12cfdf926e0")
        );
        assert_eq!(
            ccm_decrypt(&key, &nonce, &input[..8], &out).unwrap(),
            input[8..]
        );
    }

    /// The IEEE 802.11 Annex M CCMP test MPDU (also in hostapd's test vectors).
    #[test]
    fn ieee80211_annex_m_ccmp() {
        let tk: [u8; 16] = hex("c97c1f67ce371185514a8a19f2bdd52f").try_into().unwrap();
        let hdr = hex("08 48 c3 2c 0f d2 e1 28 a5 7c 50 30 f1 84 44 08 ab ae a5 b8 fc ba 80 33");
        let plain = hex("f8 ba 1a 55 d0 2f 85 ae 96 7b b6 2f b6 cd a8 eb 7e 78 a0 50");
        let expect = hex(
            "08 48 c3 2c 0f d2 e1 28 a5 7c 50 30 f1 84 44 08 ab ae a5 b8 fc ba 80 33
             0c e7 00 20 76 97 03 b5 f3 d0 a2 fe 9a 3d bf 23 42 a6 43 e4 32 46 e8 0c
             3c 04 d0 19 78 45 ce 0b 16 f9 76 23",
        );
        let pn = 0xB503_9776_E70C;
        let (aad, nonce) = aad_nonce(&hdr, pn);
        assert_eq!(
            aad,
            hex("08 40 0f d2 e1 28 a5 7c 50 30 f1 84 44 08 ab ae a5 b8 fc ba 00 00")
        );
        assert_eq!(
            nonce.to_vec(),
            hex("00 50 30 f1 84 44 08 b5 03 97 76 e7 0c")
        );
        // The firmware path: the host leaves IV and MIC space.
        let mut frame = hdr.clone();
        frame.extend_from_slice(&[0; HDR_LEN]);
        frame.extend_from_slice(&plain);
        frame.extend_from_slice(&[0; MIC_LEN]);
        encrypt_in_place(&tk, &mut frame, 24, pn, 0).unwrap();
        assert_eq!(frame, expect);
        let (p, got_pn, kid) = decrypt(&tk, &expect, 24).unwrap();
        assert_eq!((p, got_pn, kid), (plain, pn, 0));
        let mut bad = expect.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert_eq!(decrypt(&tk, &bad, 24), Err(CcmpError::Mic));
    }
}
