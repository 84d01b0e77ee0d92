"""Reading real exports through the upload source: encodings, gzip, quoting, delimiters."""

import codecs
import gzip
from datetime import UTC, datetime, timedelta

import pytest

from integrations.sources import SourceError, SourceRow, open_source, refresh_report_columns

ROWS = 'email,nps_score,comment\nann@example.com,9,"likes it"\nbob@example.com,3,"two\nlines"\n'


def _rows(report) -> list[SourceRow]:
    return list(open_source(report).iter_rows())


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-8"), id="utf-8"),
        pytest.param(lambda text: codecs.BOM_UTF8 + text.encode("utf-8"), id="utf-8-bom"),
        pytest.param(lambda text: text.encode("utf-16"), id="utf-16-bom"),
        pytest.param(
            lambda text: text.encode("utf-16-be").join([codecs.BOM_UTF16_BE, b""]),
            id="utf-16-be-bom",
        ),
        pytest.param(lambda text: gzip.compress(text.encode("utf-8")), id="gzip"),
        pytest.param(
            lambda text: gzip.compress(text.replace("\n", "\r\n").encode("utf-16")),
            id="gzip-utf-16-crlf",
        ),
    ],
)
def test_it_reads_real_export_encodings(uploaded_report, encode):
    report = uploaded_report(encode(ROWS), name="export.csv.gz")
    rows = _rows(report)
    assert [row.line_number for row in rows] == [2, 3]
    assert rows[0].values == {"email": "ann@example.com", "nps_score": "9", "comment": "likes it"}
    assert rows[1].values["comment"].replace("\r\n", "\n") == "two\nlines"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_it_sniffs_the_delimiter(uploaded_report, delimiter):
    text = f'email{delimiter}nps_score\n"a,b;c@example.com"{delimiter}7\n'
    rows = _rows(uploaded_report(text.encode()))
    assert rows[0].values == {"email": "a,b;c@example.com", "nps_score": "7"}


def test_it_numbers_rows_by_the_line_they_start_on(uploaded_report):
    text = 'email,note\na@example.com,"x\ny\nz"\n\nb@example.com,ok\n'
    rows = _rows(uploaded_report(text.encode()))
    assert [(row.line_number, row.values["email"]) for row in rows] == [
        (2, "a@example.com"),
        (6, "b@example.com"),
    ]


def test_it_reports_a_row_with_the_wrong_number_of_cells_and_keeps_reading(uploaded_report):
    text = (
        "email,nps_score,churn_risk\na@example.com,9,Low\nb@example.com,3\nc@example.com,5,High\n"
    )
    rows = _rows(uploaded_report(text.encode()))
    assert len(rows) == 3
    assert rows[1] == SourceRow(3, None, "expected 3 cells, found 2 (comma-separated)")
    assert rows[2].values["email"] == "c@example.com"


def test_it_previews_columns_and_twenty_rows(uploaded_report):
    lines = ["email,nps_score"] + [f"user{i}@example.com,{i % 11}" for i in range(50)]
    report = uploaded_report(("\n".join(lines) + "\n").encode())
    preview = refresh_report_columns(report)
    report.refresh_from_db()
    assert report.columns == ["email", "nps_score"]
    assert len(report.sample_rows) == 20
    assert report.sample_rows[19] == {"email": "user19@example.com", "nps_score": "8"}
    assert preview.export_time is not None


BAD_FILES = [
    (b"", "the file is empty"),
    (b"\n\n", "the file is empty"),
    (b"email,nps_score\n", "the file has a header row but no data rows"),
    (b"email,,nps_score\na,,1\n", "the header row has no name for column 2"),
    (
        b"email,nps_score,Email,email\na,1,b,c\n",
        "the column name “email” appears twice in the header row (columns 1 and 4)",
    ),
    (b"email,city\na@example.com,Paris\nb@example.com,K\xf6ln\n", "line 3 is not valid UTF-8"),
    (b"\x1f\x8b\x08\x00garbage", "the gzip file is damaged or cut short"),
]


@pytest.mark.parametrize("content,problem", BAD_FILES)
def test_it_explains_bad_files(uploaded_report, content, problem):
    report = uploaded_report(content, name="weekly.csv")
    with pytest.raises(SourceError) as preview_error:
        open_source(report).preview()
    with pytest.raises(SourceError) as rows_error:
        _rows(report)
    for error in (preview_error, rows_error):
        message = str(error.value)
        assert message.startswith("Report “Onboarding status” (uploaded file weekly")
        assert problem in message


def test_it_names_the_fix_for_a_latin1_file(uploaded_report):
    report = uploaded_report("email,city\nb@example.com,Köln\n".encode("cp1252"))
    with pytest.raises(SourceError, match="re-saved as CSV UTF-8"):
        _rows(report)


def test_it_fails_a_stale_export_clearly(uploaded_report):
    report = uploaded_report(ROWS.encode(), expected_every_hours=24)
    upload = report.uploads.get()
    upload.uploaded_at = datetime(2026, 11, 20, 9, 2, 30, tzinfo=UTC)
    upload.save()
    source = open_source(report)
    source.check_freshness(upload.uploaded_at + timedelta(hours=23))
    with pytest.raises(SourceError) as error:
        source.check_freshness(upload.uploaded_at + timedelta(hours=25))
    assert "newest export is from 2026-11-20 09:02 UTC, expected within 24 h" in str(error.value)


def test_it_names_the_line_of_broken_utf16(uploaded_report):
    data = "email,city\na@example.com,Paris\n".encode("utf-16") + b"\x00\xdc\n\x00"
    with pytest.raises(SourceError, match="line 3 is not valid UTF-16"):
        _rows(uploaded_report(data))


def test_it_refuses_an_unknown_source_kind(uploaded_report):
    report = uploaded_report(ROWS.encode())
    report.source_kind = "ftp"
    with pytest.raises(SourceError, match="unknown source “ftp”"):
        open_source(report)
