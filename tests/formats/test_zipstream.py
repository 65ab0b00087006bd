"""The streaming zip writer writes what zipfile writes, in constant memory."""

import io
import zipfile

from annotate.formats.zipstream import DATE_TIME, zip_chunks


class Unseekable(io.RawIOBase):
    """A file zipfile can only write forwards, like the stream of a download."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.data += data
        return len(data)


def zipfile_bytes(files: list[tuple[str, str]]) -> bytes:
    target = Unseekable()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files:
            info = zipfile.ZipInfo(path, date_time=DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8"))
    return bytes(target.data)


def test_zip_chunks_writes_the_bytes_zipfile_writes():
    files = [
        ("annotation.conf", "[entities]\nClaim\n"),
        ("gold/op-ed.txt", "Smile 🙂 and 👍🏽 up: n\u0304ew cities should ban cars.\n" * 50),
        ("gold/op-ed.ann", ""),
        ("zoë/café.ann", "T1\tClaim 0 5\tSmile\n"),
    ]

    content = b"".join(zip_chunks(files))

    assert content == zipfile_bytes(files)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert (archive.testzip(), archive.read("zoë/café.ann").decode()) == (None, "T1\tClaim 0 5\tSmile\n")


def test_zip_chunks_writes_zip64_end_records_past_65535_files():
    files = [(f"layer/{number}.ann", "") for number in range(65_536)]

    content = b"".join(zip_chunks(files))

    assert content == zipfile_bytes(files)
    assert len(zipfile.ZipFile(io.BytesIO(content)).namelist()) == 65_536


def test_an_empty_archive_is_the_one_zipfile_writes():
    assert b"".join(zip_chunks([])) == zipfile_bytes([])
