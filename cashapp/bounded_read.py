"""Reading an input file with a ceiling on what it may cost in memory.

Why: a gzip member of 2 MB can expand to 20 GB (deflate reaches ~1000x on repeated
bytes), and ``gzip.decompress`` allocates all of it before anyone can look. Here the
file is decompressed as a stream, a bounded piece at a time, and refused the moment it
passes either ceiling, so a bomb costs at most the ceiling, not the host:

* ``max_bytes``: the most bytes a file may have once expanded (a plain file is compared
  by its size on disk, before it is read);
* ``max_ratio``: the most times a compressed file may grow over its size on disk. Real
  bank files compress 10-30x and a statement of repeated lines ~100x; a bomb is 1000x.
  The ratio is checked only past :data:`RATIO_FLOOR` expanded bytes, where memory starts
  to matter: a tiny file may compress as well as it likes.

Pure apart from reading the one file; raises :class:`FileRefused` with the reason.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import BinaryIO, Final

from cashapp.domain import FileRefused

GZIP_MAGIC: Final = b"\x1f\x8b"
#: Compressed bytes read from the file at a time.
READ_CHUNK: Final = 1 << 20
#: Most bytes one decompression step may produce: the unit the ceilings are checked in.
EXPAND_CHUNK: Final = 4 << 20
#: Below this many expanded bytes the ratio is not checked (nothing to protect yet).
RATIO_FLOOR: Final = 16 << 20


def read_bounded(path: Path, max_bytes: int, max_ratio: int) -> bytes:
    """The file's bytes, gunzipped when it is gzip (every member); refused past a ceiling."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FileRefused(
                f"file too large: {size:,} bytes on disk, more than"
                f" [ingest] max_expanded_bytes = {max_bytes:,}"
            )
        with path.open("rb", buffering=0) as handle:  # unbuffered: read() is one copy
            if handle.read(2) != GZIP_MAGIC:
                handle.seek(0)
                return handle.read()
            handle.seek(0)
            return _gunzip(handle, size, max_bytes, max_ratio)
    except FileNotFoundError as exc:
        raise FileRefused("file not found") from exc
    except IsADirectoryError as exc:
        raise FileRefused("cannot read file: it is a directory") from exc
    except OSError as exc:
        raise FileRefused(f"cannot read file: {exc.strerror or exc}") from exc
    except MemoryError as exc:
        raise FileRefused(f"too large to read: out of memory after {size:,} bytes") from exc


def _gunzip(handle: BinaryIO, size: int, max_bytes: int, max_ratio: int) -> bytes:  # noqa: C901 - gzip.decompress's member loop, with both ceilings checked per chunk
    """Decompress member after member, ``EXPAND_CHUNK`` at most per step.

    Like :func:`gzip.decompress`: members follow one another, zero padding after the last
    is ignored, anything else after a member is refused. zlib (``wbits=31``) checks each
    member's header, CRC and length.
    """
    parts: list[bytes] = []
    expanded = 0
    ratio_limit = max(RATIO_FLOOR, size * max_ratio)
    member = zlib.decompressobj(wbits=31)
    data = b""  # compressed bytes read and not yet consumed
    at_end = False
    while True:
        if not data and not at_end:
            data = handle.read(READ_CHUNK)
            at_end = not data
        if member.eof:  # what follows a member: padding, the next member or garbage
            data = data.lstrip(b"\x00")
            if not data:
                if at_end:
                    break
                continue
            member = zlib.decompressobj(wbits=31)
        try:
            piece = member.decompress(data, EXPAND_CHUNK)
        except zlib.error as exc:
            raise FileRefused(f"not a valid gzip file: {exc}") from exc
        data = member.unused_data if member.eof else member.unconsumed_tail
        expanded += len(piece)
        if expanded > max_bytes:
            raise FileRefused(
                f"expands to more than [ingest] max_expanded_bytes = {max_bytes:,} bytes"
                f" ({size:,} bytes compressed); refused as a possible gzip bomb"
            )
        if expanded > ratio_limit:
            raise FileRefused(
                f"expands more than [ingest] max_expansion_ratio = {max_ratio}x its"
                f" {size:,} bytes on disk; refused as a possible gzip bomb"
            )
        if piece:
            parts.append(piece)
        elif at_end and not data and not member.eof:
            raise FileRefused("not a valid gzip file: it ends inside a compressed member")
    return b"".join(parts)
