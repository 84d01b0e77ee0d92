"""Streaming CSV parsing of real report exports, independent of where the bytes come from.

Handles what WalkMe (and spreadsheet tools in between) actually produce: UTF-8 with or
without BOM, UTF-16 with BOM, gzip, quoted fields with embedded newlines, and comma,
semicolon or tab delimiters. Bytes are read in chunks and rows are yielded one by one, so
a file of any size is read in constant memory.

Problems are raised as ParseProblem (what is wrong + how to fix it); the source turns them
into a SourceError that also names the report and the source.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import BinaryIO

CHUNK = 1 << 16
DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
# Large free-text cells (survey answers) must not stop a run; 10 MB per cell is plenty.
FIELD_SIZE_LIMIT = 10 * 1024 * 1024


class ParseProblem(Exception):
    """A whole-file problem: `problem` says what is wrong, `fix` what the user should do."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}. {fix}")
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True)
class ParsedRow:
    line_number: int
    values: dict[str, str] | None
    error: str | None = None


class _RawReader(io.RawIOBase):
    """Adapts anything with read(n) (an HTTP body, an S3 StreamingBody) to a raw stream."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        if not data:
            return 0
        buffer[: len(data)] = data
        return len(data)


def _peekable(stream: BinaryIO) -> io.BufferedReader:
    return io.BufferedReader(_RawReader(stream), CHUNK)


def _decompressed(stream: io.BufferedReader) -> BinaryIO:
    if stream.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=stream, mode="rb"), CHUNK)
    return stream


def _utf8_lines(stream: BinaryIO) -> Iterator[str]:
    """Decode line by line so an undecodable byte is reported with its line number."""
    if stream.peek(3)[:3] == codecs.BOM_UTF8:
        stream.read(3)
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ParseProblem(
                f"line {number} is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at "
                f"character {exc.start + 1})",
                "Export the report as UTF-8 (or UTF-16 with a byte-order mark); a file saved "
                "by a spreadsheet as Latin-1/Windows-1252 must be re-saved as CSV UTF-8",
            ) from None


def _utf16_lines(stream: BinaryIO) -> Iterator[str]:
    # The BOM tells the codec the byte order; "replace" lets us name the line that fails.
    text = io.TextIOWrapper(stream, encoding="utf-16", errors="replace", newline="")
    for number, line in enumerate(text, start=1):
        if "\ufffd" in line:
            raise ParseProblem(
                f"line {number} is not valid UTF-16",
                "Re-export the report; the file looks damaged or mixes encodings",
            )
        yield line


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    head = stream.peek(2)[:2]
    if head in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return _utf16_lines(stream)
    return _utf8_lines(stream)


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header best; quoted parts are ignored."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_header(cells: list[str]) -> list[str]:
    columns = [cell.strip() for cell in cells]
    blanks = [str(i) for i, name in enumerate(columns, start=1) if not name]
    if blanks:
        which = "column " if len(blanks) == 1 else "columns "
        raise ParseProblem(
            f"the header row has no name for {which}{', '.join(blanks)}",
            "Give every column a name in the report (a header row is required), "
            "or remove the empty column",
        )
    seen: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if name in seen:
            raise ParseProblem(
                f"the column name “{name}” appears twice in the header row "
                f"(columns {seen[name]} and {position})",
                "Rename one of the columns in the report so every name is unique",
            )
        seen[name] = position
    return columns


def _lines(stream: BinaryIO) -> Iterator[str]:
    """Decoded physical lines, ending characters kept (the csv module needs them)."""
    try:
        yield from _text_lines(_decompressed(_peekable(stream)))
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ParseProblem(
            f"the gzip file is damaged or cut short ({exc})",
            "Re-export the report, or upload the plain .csv file",
        ) from None


def iter_parsed(stream: BinaryIO) -> Iterator[list[str] | ParsedRow]:
    """Yields the column list first, then one ParsedRow per data row.

    Raises ParseProblem for whole-file problems: empty file, header only, bad header,
    undecodable bytes, damaged gzip, broken quoting.
    """
    csv.field_size_limit(FIELD_SIZE_LIMIT)
    lines = _lines(stream)
    first = next(lines, None)
    while first is not None and not first.strip():
        first = next(lines, None)
    if first is None:
        raise ParseProblem(
            "the file is empty",
            "Check that the export ran and produced a CSV file with a header row and rows",
        )
    delimiter = sniff_delimiter(first)
    reader = csv.reader(chain([first], lines), delimiter=delimiter)
    try:
        columns = _check_header(next(reader))
        yield columns
        width = len(columns)
        rows = 0
        start = reader.line_num + 1
        for cells in reader:
            if not cells:  # a blank line between rows
                start = reader.line_num + 1
                continue
            rows += 1
            if len(cells) == width:
                yield ParsedRow(start, dict(zip(columns, cells, strict=True)))
            else:
                yield ParsedRow(
                    start,
                    None,
                    f"expected {width} cells, found {len(cells)} "
                    f"({DELIMITER_NAMES[delimiter]}-separated)",
                )
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ParseProblem(
            f"the file cannot be read as CSV near line {reader.line_num} ({exc})",
            "Check the quoting around that line: a quote that is opened must be closed",
        ) from None
    if rows == 0:
        raise ParseProblem(
            "the file has a header row but no data rows",
            "Check the report's filters in WalkMe Insights, or wait for the next export",
        )


def read_preview(stream: BinaryIO, limit: int) -> tuple[list[str], list[dict[str, str]]]:
    """The columns and up to `limit` well-formed rows, reading no further than needed."""
    parsed = iter_parsed(stream)
    columns = next(parsed)
    samples: list[dict[str, str]] = []
    if limit <= 0:
        return columns, samples
    for row in parsed:
        if row.values is not None:
            samples.append(row.values)
        if len(samples) >= limit:
            break
    return columns, samples
