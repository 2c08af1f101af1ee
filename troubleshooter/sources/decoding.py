"""An answer's `Content-Encoding`, undone within a bound.

A decompression bomb is small on the wire and huge once decoded: 2 KB of `gzip, gzip` hold a
gigabyte. A decoder that inflates whatever a chunk holds before anyone can count it has spent
the memory already, so the clients read the raw bytes and decode them here, never producing
more than the room left under the body cap:

- at most one coding, from a fixed list: `gzip` (and `x-gzip`), `deflate`, or none
  (`identity`); a stacked coding (`gzip, gzip`) or one the client did not offer (`br`,
  `compress`, anything else) is refused as a misbehaving server;
- `zlib`'s `max_length` caps what each call may produce; the input it did not get to waits in
  `unconsumed_tail` and costs nothing until there is room for its output.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import httpx

ACCEPT_ENCODING = "gzip"  # what the clients ask for; deflate and identity are taken too
_GZIP = ("gzip", "x-gzip")
_KNOWN = (*_GZIP, "deflate")


class CodingRefused(ValueError):
    """An encoding this client does not undo; `str()` says which, in a person's words."""


class BodyTooBig(ValueError):
    """A body longer than the cap, decoded; `str()` says how it showed."""


class BodyNotItsCoding(ValueError):
    """A body that is not what its `Content-Encoding` says; `str()` names the coding."""


async def read_body(response: httpx.Response, cap: int) -> bytes:
    """A streamed response's body, decoded, at most `cap` bytes: BodyTooBig beyond (announced
    or found), CodingRefused for a coding not undone here, BodyNotItsCoding for a body that
    does not decode. Memory never holds more than `cap` and one raw chunk."""
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > cap:
        raise BodyTooBig(f"it announces {int(length):,} bytes")
    if response.is_stream_consumed:  # a transport that hands back answers read already
        if len(response.content) > cap:
            raise BodyTooBig("the read stopped there")
        return response.content
    decoder = BoundedDecoder(coding_of(response.headers.get_list("Content-Encoding")))
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            body += decoder.decode(chunk, cap - len(body))
            if len(body) > cap:
                raise BodyTooBig("the read stopped there")
        body += decoder.finish(cap - len(body))
    except zlib.error:
        raise BodyNotItsCoding(str(decoder.coding)) from None
    if len(body) > cap:
        raise BodyTooBig("the read stopped there")
    return bytes(body)


def coding_of(values: Iterable[str]) -> str | None:
    """The one coding the `Content-Encoding` header values name (None: none), or
    CodingRefused for stacked or unknown ones."""
    codings = [
        part.strip().lower() for value in values for part in value.split(",") if part.strip()
    ]
    codings = [c for c in codings if c != "identity"]
    if len(codings) > 1:
        raise CodingRefused(
            f"it is encoded {len(codings)} times over ({', '.join(codings)[:60]}); a "
            "server sends at most one encoding"
        )
    if not codings:
        return None
    if codings[0] not in _KNOWN:
        raise CodingRefused(
            f"it is encoded as {codings[0][:40]!r}, which this tool did not ask for "
            f"(it asks for {ACCEPT_ENCODING})"
        )
    return codings[0]


class BoundedDecoder:
    """Undoes one coding (or none), chunk by chunk; each call produces at most `limit + 1`
    bytes: one more than the room left tells the caller the body is too big, without the rest
    ever being inflated."""

    def __init__(self, coding: str | None) -> None:
        self.coding = coding
        self._inflater: zlib._Decompress | None = None
        if coding in _GZIP:
            self._inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        self._pending = b""  # input not decoded yet, for want of room (or, deflate: of bytes)

    def decode(self, data: bytes, limit: int) -> bytes:
        """What `data` decodes to, at most `limit + 1` bytes (the rest of the input waits).
        Raises zlib.error for a body that is not what its coding says."""
        if self.coding is None:
            return data[: limit + 1]
        self._pending += data
        if self._inflater is None:  # deflate: which kind shows in its first two bytes
            if len(self._pending) < 2:
                return b""
            self._inflater = zlib.decompressobj(
                zlib.MAX_WBITS if _zlib_wrapped(self._pending) else -zlib.MAX_WBITS
            )
        if self._inflater.eof:
            self._pending = b""  # after the end: ignored, as httpx ignores it
            return b""
        out = self._inflater.decompress(self._pending, limit + 1)
        self._pending = self._inflater.unconsumed_tail
        return out

    @property
    def waiting(self) -> bool:
        """Input is left that had no room to be decoded."""
        return bool(self._pending)

    def finish(self, limit: int) -> bytes:
        """What is left once the body has all come in (at most `limit + 1` bytes)."""
        if self._inflater is None or self._inflater.eof:
            return b""
        rest = self.decode(b"", limit)
        return rest if len(rest) > limit else rest + self._inflater.flush()


def _zlib_wrapped(data: bytes) -> bool:
    """RFC 1950's two-byte header (method 8, the pair a multiple of 31): "deflate" as the
    standard has it; without one it is raw deflate, as some servers send it."""
    return data[0] & 0x0F == zlib.DEFLATED and (data[0] << 8 | data[1]) % 31 == 0
