//! A cursor over lib0-encoded bytes that names the field it was reading when it fails.
//!
//! Stricter than lib0 and yrs on purpose: a varint must be minimal (no trailing `0x80 … 0x00`
//! padding, which no encoder writes) and every count is checked against the bytes left before
//! it can size an allocation. Where lib0 and yrs read the same bytes differently (overlong or
//! out-of-range numbers), ycord refuses them, so what it accepts means the same to both.

use yrs::ClientID;

use crate::error::DecodeError;
use crate::MAX_CLIENT_ID;

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == self.buf.len()
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub(crate) fn expect_end(&self, field: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::malformed(
                field,
                format!("{} unexpected trailing bytes", self.remaining()),
            ))
        }
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let byte = *self
            .buf
            .get(self.pos)
            .ok_or(DecodeError::Truncated { field })?;
        self.pos += 1;
        Ok(byte)
    }

    /// `len` bytes as they are (fixed-width numbers).
    pub(crate) fn fixed(
        &mut self,
        field: &'static str,
        len: usize,
    ) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.buf.len())
            .ok_or(DecodeError::Truncated { field })?;
        let bytes = &self.buf[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    /// lib0 `varUint`: 7 bits per byte, least significant first, high bit = continue.
    pub(crate) fn var_uint(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let mut value: u64 = 0;
        let mut shift = 0u32;
        loop {
            let byte = self.u8(field)?;
            let bits = u64::from(byte & 0x7f);
            if shift >= 64 || (shift > 0 && bits >> (64 - shift) != 0) {
                return Err(DecodeError::malformed(field, "varint overflows 64 bits"));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                if byte == 0 && shift > 0 {
                    return Err(DecodeError::malformed(field, "overlong varint"));
                }
                return Ok(value);
            }
            shift += 7;
        }
    }

    /// lib0 `varInt`: the first byte holds 6 bits, the sign (0x40) and continue (0x80); the
    /// magnitude must be a safe JavaScript integer, as lib0 requires.
    pub(crate) fn var_int(&mut self, field: &'static str) -> Result<i64, DecodeError> {
        let first = self.u8(field)?;
        let is_negative = first & 0x40 != 0;
        let mut magnitude = u64::from(first & 0x3f);
        if first & 0x80 != 0 {
            let rest = self.var_uint(field)?;
            magnitude = rest
                .checked_mul(64)
                .and_then(|high| high.checked_add(magnitude))
                .filter(|&m| m <= MAX_SAFE_INTEGER)
                .ok_or_else(|| DecodeError::malformed(field, "integer above 2^53 - 1"))?;
            if rest == 0 {
                return Err(DecodeError::malformed(field, "overlong varint"));
            }
        }
        let magnitude = magnitude as i64;
        Ok(if is_negative { -magnitude } else { magnitude })
    }

    pub(crate) fn var_u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let value = self.var_uint(field)?;
        u32::try_from(value)
            .map_err(|_| DecodeError::malformed(field, format!("{value} exceeds 32 bits")))
    }

    /// A count of items that each need at least `min_item_len` bytes; checked against what is
    /// left so that the count can size an allocation safely.
    pub(crate) fn var_len(
        &mut self,
        field: &'static str,
        min_item_len: usize,
    ) -> Result<usize, DecodeError> {
        let len = self.var_uint(field)?;
        let fits = usize::try_from(len)
            .ok()
            .filter(|len| len.saturating_mul(min_item_len) <= self.remaining());
        fits.ok_or(DecodeError::Truncated { field })
    }

    pub(crate) fn client_id(&mut self, field: &'static str) -> Result<ClientID, DecodeError> {
        self.raw_client_id(field).map(ClientID::new)
    }

    /// A client id as the number on the wire, at most 2^53 − 1.
    pub(crate) fn raw_client_id(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        let id = self.var_uint(field)?;
        if id > MAX_CLIENT_ID {
            return Err(DecodeError::malformed(
                field,
                format!("{id} is above 2^53 - 1"),
            ));
        }
        Ok(id)
    }

    pub(crate) fn var_bytes(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.var_uint(field)?;
        let len = usize::try_from(len).map_err(|_| DecodeError::Truncated { field })?;
        self.fixed(field, len)
    }

    pub(crate) fn var_string(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        let bytes = self.var_bytes(field)?;
        std::str::from_utf8(bytes).map_err(|err| DecodeError::malformed(field, err.to_string()))
    }
}

/// `Number.MAX_SAFE_INTEGER`: lib0 refuses integers above it.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlong_varints_are_refused_and_minimal_ones_read() {
        assert_eq!(Reader::new(&[0x80, 0x01]).var_uint("n").unwrap(), 128);
        assert_eq!(Reader::new(&[0]).var_uint("n").unwrap(), 0);
        assert!(Reader::new(&[0x80, 0x00]).var_uint("n").is_err());
        assert!(Reader::new(&[0x81, 0x80, 0x00]).var_uint("n").is_err());
    }

    #[test]
    fn signed_varints_read_as_lib0_writes_them() {
        assert_eq!(Reader::new(&[0x05]).var_int("n").unwrap(), 5);
        assert_eq!(Reader::new(&[0x45]).var_int("n").unwrap(), -5);
        // 64 + 1 * 64 = 128: six bits in the first byte, then seven per byte.
        assert_eq!(Reader::new(&[0x80, 0x02]).var_int("n").unwrap(), 128);
        assert!(Reader::new(&[0x80, 0x00]).var_int("n").is_err());
        // 2^53 does not fit a safe JavaScript integer.
        let too_big = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20];
        assert!(Reader::new(&too_big).var_int("n").is_err());
    }
}
