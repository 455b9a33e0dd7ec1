"""The incremental SSE reader: WHATWG framing, bounds, decoding and split-anywhere reads."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gatecheck import SseDecodeError, SseDecoder, SseEvent, SseLimitError, StreamError


def decode(*chunks: bytes, **limits: int) -> list[SseEvent]:
    decoder = SseDecoder(clock=lambda: 7, **limits)
    events: list[SseEvent] = []
    for chunk in chunks:
        events += decoder.feed(chunk)
    events += decoder.close()
    return events


def fields(events: list[SseEvent]) -> list[tuple[str | None, str, str | None, int | None]]:
    return [(e.event, e.data, e.id, e.retry) for e in events]


@pytest.mark.parametrize("eol", [b"\n", b"\r\n", b"\r"])
def test_every_line_end_style(eol):
    stream = b"data: a" + eol + b"data: b" + eol + eol + b"event: x" + eol + b"data: c" + eol + eol
    assert fields(decode(stream)) == [(None, "a\nb", None, None), ("x", "c", None, None)]


def test_mixed_line_ends_in_one_stream():
    assert [e.data for e in decode(b"data: 1\r\n\ndata: 2\r\rdata: 3\n\r\n")] == ["1", "2", "3"]


def test_cr_then_lf_in_the_next_chunk_is_one_line_end():
    # If the LF were a second line end, the blank line would dispatch "a" early.
    assert fields(decode(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n")) == [
        (None, "a\nb", None, None)
    ]


def test_lone_cr_chunk_then_lf():
    assert [e.data for e in decode(b"data: a", b"\r", b"\n", b"\r", b"\n")] == ["a"]


def test_comments_are_counted_and_ignored():
    decoder = SseDecoder()
    events = decoder.feed(b": ping\n\n:keepalive\ndata: x\n: inside\n\n")
    assert [e.data for e in events] == ["x"]
    assert decoder.comments_seen == 3
    assert decoder.events_seen == 1


def test_leading_bom_is_ignored_even_when_split():
    assert [e.data for e in decode(b"\xef", b"\xbb", b"\xbfdata: x\n\n")] == ["x"]
    assert [e.data for e in decode(b"\xef\xbb\xbfdata: y\n\n")] == ["y"]


def test_only_one_bom_is_ignored():
    # A second BOM is part of the first field name, which is then unknown: no event.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []


def test_one_optional_space_after_colon():
    assert [e.data for e in decode(b"data:x\n\ndata: x\n\ndata:  x\n\n")] == ["x", "x", " x"]


def test_field_without_colon_and_empty_data():
    assert [e.data for e in decode(b"data\n\ndata:\ndata\n\n")] == ["", "\n"]


def test_block_without_data_is_not_an_event():
    assert decode(b"event: ping\n\nid: 3\n\nretry: 10\n\n") == []


def test_unknown_fields_are_ignored():
    assert fields(decode(b"foo: bar\ndata: x\nDATA: y\n\n")) == [(None, "x", None, None)]


def test_event_type_defaults_to_message():
    first, second = decode(b"data: a\n\nevent:\ndata: b\n\n")
    assert (first.event, first.type) == (None, "message")
    assert (second.event, second.type) == ("", "message")


def test_id_persists_until_changed_and_ignores_nul():
    events = decode(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0\ndata: c\n\nid\ndata: d\n\n")
    assert [e.id for e in events] == ["1", "1", "1", ""]


def test_retry_only_when_all_digits():
    decoder = SseDecoder()
    events = decoder.feed(b"retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\nretry: \ndata: c\n\n")
    assert [e.retry for e in events] == [1500, None, None]
    assert decoder.retry_ms == 1500
    assert decode(b"retry: \xc2\xb2\ndata: a\n\n")[0].retry is None  # superscript two


def test_multi_byte_utf8_split_at_every_byte():
    text = "héllo 世界 🎉"
    stream = f"data: {text}\n\n".encode()
    assert [e.data for e in decode(*[bytes([b]) for b in stream])] == [text]


def test_unterminated_last_event_is_dropped_at_close():
    decoder = SseDecoder()
    assert [e.data for e in decoder.feed(b"data: a\n\ndata: b\n")] == ["a"]
    assert decoder.close() == []
    assert decoder.truncated
    clean = SseDecoder()
    clean.feed(b"data: a\n\n")
    clean.close()
    assert not clean.truncated


def test_feed_after_close_is_an_error():
    decoder = SseDecoder()
    decoder.close()
    with pytest.raises(StreamError, match="after close"):
        decoder.feed(b"data: x\n\n")


def test_events_are_stamped_with_the_reads_time():
    decoder = SseDecoder(clock=lambda: 42)
    assert [e.t_ns for e in decoder.feed(b"data: a\n\ndata: b\n\n")] == [42, 42]
    assert [e.t_ns for e in decoder.feed(b"data: c\n\n", t_ns=99)] == [99]


def test_json_helper():
    event = decode(b'data: {"a": [1, 2]}\n\ndata: [DONE]\n\n')
    assert event[0].json() == {"a": [1, 2]}
    with pytest.raises(ValueError):
        event[1].json()


def test_invalid_utf8_raises_decode_error():
    with pytest.raises(SseDecodeError, match="invalid UTF-8"):
        decode(b"data: \xff\xfe\n\n")
    with pytest.raises(SseDecodeError):
        decode(b": comment \xc3\n")


def test_event_size_limit_counts_the_pending_line():
    with pytest.raises(SseLimitError, match="max_event_bytes"):
        decode(b"data: " + b"x" * 200, max_event_bytes=100)
    with pytest.raises(SseLimitError, match="max_event_bytes"):
        decode(*([b"x"] * 200), max_event_bytes=100)


def test_event_size_limit_counts_accumulated_data_lines():
    with pytest.raises(SseLimitError):
        decode(b"data: 0123456789\n" * 20, max_event_bytes=100)
    # The same lines split into events stay under the bound: the count restarts per event.
    assert len(decode(b"data: 0123456789\n\n" * 20, max_event_bytes=100)) == 20


def test_comments_between_events_do_not_count_towards_an_event():
    assert len(decode(b": keepalive\n" * 50 + b"data: x\n\n", max_event_bytes=64)) == 1


def test_stream_size_limit():
    with pytest.raises(SseLimitError, match="max_stream_bytes"):
        decode(*([b"data: x\n\n"] * 20), max_stream_bytes=100)


# -- property: any split of a valid stream decodes like the whole ----------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
    max_size=20,
)
_event = st.tuples(
    st.none() | _text,  # event
    st.lists(_text, min_size=1, max_size=3),  # data lines (NUL is fine in data)
    st.none() | _text.filter(lambda s: "\0" not in s),  # id (one with NUL would be ignored)
    st.none() | st.integers(0, 10**6),  # retry
    st.booleans(),  # preceded by a comment
)


@st.composite
def _stream(draw: st.DrawFn) -> tuple[bytes, list[tuple[str | None, str, str | None, int | None]]]:
    eol = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    events = draw(st.lists(_event, max_size=6))
    parts: list[str] = ["\ufeff"] if draw(st.booleans()) else []
    expected = []
    last_id = None
    for name, data, id_, retry, comment in events:
        if comment:
            parts.append(": c" + eol)
        if name is not None:
            parts.append("event: " + name + eol)
        if id_ is not None:
            parts.append("id: " + id_ + eol)
            last_id = id_
        if retry is not None:
            parts.append(f"retry: {retry}" + eol)
        parts.extend("data: " + line + eol for line in data)
        parts.append(eol)
        expected.append((name, "\n".join(data), last_id, retry))
    return "".join(parts).encode(), expected


@settings(max_examples=150, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(stream=_stream(), data=st.data())
def test_any_split_of_a_stream_gives_the_same_events(stream, data):
    raw, expected = stream
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=12)))
    chunks = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert fields(decode(raw)) == expected
    assert fields(decode(*chunks)) == expected
