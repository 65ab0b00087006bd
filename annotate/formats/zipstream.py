"""A zip archive written as a stream, in constant memory, for the exports that are zips.

`zip_chunks` writes the same bytes as `zipfile.ZipFile` writing deflated entries to a
file it cannot seek (each entry's CRC and sizes in a data descriptor after its data,
ZIP64 records where the sizes, offsets or the number of entries need them), with a
fixed time stamp, so the same files always give the same bytes. It differs in what it
keeps: `zipfile` holds a `ZipInfo` per entry until it writes the central directory at
the end (over 40 MB for the 60,000 files of a 10,000-article brat export), while here
each entry's central directory record goes to a spooled temporary file as soon as the
entry is written, so memory stays flat however many files an export has.

The format: PKWARE's APPNOTE.TXT (sections 4.3 and 4.4); the field values are the ones
`zipfile` writes on a POSIX system (made by "UNIX", files -rw-r--r--).
"""

import functools
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator

# (year, month, day, hour, minute, second) of every entry.
DATE_TIME = (1980, 1, 1, 0, 0, 0)

_DOS_DATE = (DATE_TIME[0] - 1980) << 9 | DATE_TIME[1] << 5 | DATE_TIME[2]
_DOS_TIME = DATE_TIME[3] << 11 | DATE_TIME[4] << 5 | DATE_TIME[5] // 2
_DEFLATED = 8
_DATA_DESCRIPTOR = 0x08  # general purpose flag: CRC and sizes follow the data
_UTF8_NAME = 0x800  # general purpose flag: the name is UTF-8, not CP437
_VERSION = 20  # needed to extract: deflate
_ZIP64_VERSION = 45
_MADE_BY_UNIX = 3
_PERMISSIONS = 0o644 << 16  # external attributes: a -rw-r--r-- file
_ZIP64_LIMIT = (1 << 31) - 1  # zipfile's threshold, not the format's 4 GiB
_COUNT_LIMIT = (1 << 16) - 1
_SPOOL_BYTES = 1 << 20  # of central directory kept in memory before it goes to disk

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_DESCRIPTOR = struct.Struct("<4L")
_DESCRIPTOR64 = struct.Struct("<2L2Q")
_END = struct.Struct("<4s4H2LH")
_END64 = struct.Struct("<4sQ2H2L4Q")
_END64_LOCATOR = struct.Struct("<4sLQL")


def zip_chunks(files: Iterable[tuple[str, str]]) -> Iterator[bytes]:
    """Yield a zip of the `(path, text)` pairs (text written as UTF-8) as it is written,
    one file at a time; the central directory comes last."""
    offset = count = 0
    # An export repeats each text beside each layer's file: compressed once, not each time.
    deflate = functools.lru_cache(maxsize=4)(_deflate)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as directory:
        for path, content in files:
            entry, record = _entry(path, *deflate(content), offset)
            directory.write(record)
            offset += len(entry)
            count += 1
            yield entry
        size = directory.tell()
        directory.seek(0)
        while chunk := directory.read(_SPOOL_BYTES):
            yield chunk
    yield _end(count, size, offset)


def _deflate(content: str) -> tuple[int, int, bytes]:
    """The size, CRC and deflated bytes of `content` as UTF-8 (zipfile's compression settings)."""
    data = content.encode("utf-8")
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    return len(data), zlib.crc32(data), compressor.compress(data) + compressor.flush()


def _entry(path: str, size: int, crc: int, deflated: bytes, offset: int) -> tuple[bytes, bytes]:
    """The entry (local header, deflated data, data descriptor) of a file of `size` bytes
    written at `offset`, and its record in the central directory."""
    try:
        name, flags = path.encode("ascii"), _DATA_DESCRIPTOR
    except UnicodeEncodeError:
        name, flags = path.encode("utf-8"), _DATA_DESCRIPTOR | _UTF8_NAME
    # zipfile decides on ZIP64 for an entry before compressing, leaving room for growth.
    zip64 = size * 1.05 > _ZIP64_LIMIT
    if zip64:
        version = _ZIP64_VERSION
        local_extra = struct.pack("<2H2Q", 1, 16, 0, 0)
        local_sizes = 0xFFFFFFFF
        descriptor = _DESCRIPTOR64.pack(0x08074B50, crc, len(deflated), size)
    else:
        version, local_extra, local_sizes = _VERSION, b"", 0
        descriptor = _DESCRIPTOR.pack(0x08074B50, crc, len(deflated), size)
    header = _LOCAL_HEADER.pack(
        b"PK\x03\x04", version, 0, flags, _DEFLATED, _DOS_TIME, _DOS_DATE, 0, local_sizes, local_sizes,
        len(name), len(local_extra),
    )  # fmt: skip
    # The central directory gives sizes and offset, or moves them into a ZIP64 field.
    large: list[int] = []
    if size > _ZIP64_LIMIT or len(deflated) > _ZIP64_LIMIT:
        large += [size, len(deflated)]
        file_size = compressed_size = 0xFFFFFFFF
    else:
        file_size, compressed_size = size, len(deflated)
    if offset > _ZIP64_LIMIT:
        large.append(offset)
        header_offset = 0xFFFFFFFF
    else:
        header_offset = offset
    extra = struct.pack(f"<2H{len(large)}Q", 1, 8 * len(large), *large) if large else b""
    central_version = _ZIP64_VERSION if large else version
    record = _CENTRAL_HEADER.pack(
        b"PK\x01\x02", central_version, _MADE_BY_UNIX, central_version, 0, flags, _DEFLATED, _DOS_TIME, _DOS_DATE,
        crc, compressed_size, file_size, len(name), len(extra), 0, 0, 0, _PERMISSIONS, header_offset,
    )  # fmt: skip
    return b"".join((header, name, local_extra, deflated, descriptor)), record + name + extra


def _end(count: int, size: int, offset: int) -> bytes:
    """The end of the archive: `count` entries whose central directory of `size` bytes
    starts at `offset`, with the ZIP64 records when a value does not fit the old ones."""
    records = b""
    if count > _COUNT_LIMIT or offset > _ZIP64_LIMIT or size > _ZIP64_LIMIT:
        records = _END64.pack(b"PK\x06\x06", 44, _ZIP64_VERSION, _ZIP64_VERSION, 0, 0, count, count, size, offset)
        records += _END64_LOCATOR.pack(b"PK\x06\x07", 0, offset + size, 1)
        count, size, offset = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(offset, 0xFFFFFFFF)
    return records + _END.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0)
