from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from boxdeck.service.text.sanitize import sanitize, single_line

FORBIDDEN = set(chr(c) for c in range(0x00, 0x20)) | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)}
BIDI = {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}


def test_plain_text_is_returned_unchanged():
    text = "web-1 ✓ ünïcode [bold]not markup[/]"
    assert sanitize(text) is text


def test_csi_colour_codes_are_removed():
    assert sanitize("\x1b[31mred\x1b[0m text") == "red text"
    assert sanitize("\x9b1;32mgreen") == "green"


def test_osc52_clipboard_write_is_removed_with_bel_and_st_terminators():
    payload = "\x1b]52;c;cm0gLXJmIH4=\x07"
    assert sanitize(f"before{payload}after") == "beforeafter"
    assert sanitize("a\x1b]52;c;Zm9v\x1b\\b") == "ab"
    assert sanitize("a\x9d52;c;Zm9v\x9cb") == "ab"


def test_unterminated_osc_swallows_the_rest():
    assert sanitize("ok\x1b]52;c;Zm9vYmFy") == "ok"


def test_dcs_apc_pm_sos_are_removed():
    for intro in ("\x1bP", "\x1b_", "\x1b^", "\x1bX", "\x90", "\x9f", "\x9e", "\x98"):
        assert sanitize(f"x{intro}payload\x1b\\y") == "xy", repr(intro)


def test_other_escapes_and_controls_are_removed():
    assert sanitize("a\x1bcb\x1b(Bc\x00d\x08e\x7ff\x85g") == "abcdefg"


def test_newlines_become_spaces_unless_kept():
    assert sanitize("line1\nline2\r\nline3\ttab") == "line1 line2 line3 tab"
    assert sanitize("line1\r\nline2\n\ttab\x1b[2K", keep_newlines=True) == "line1\nline2\n\ttab"


def test_bidi_overrides_are_removed():
    assert sanitize("file\u202etxt.exe\u2066x\u2069") == "filetxt.exex"


#: Every character that draws nothing yet may move what follows: bidi marks, embeddings, overrides and
#: isolates, zero-width spaces and joiners, the word joiner and invisible operators, the BOM.
INVISIBLE = (
    [chr(c) for c in range(0x200B, 0x2010)] + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2060, 0x2065)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\ufeff", "\u061c"]
)
visible_text = st.text(
    alphabet=st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\xa0"),
    min_size=1, max_size=30,
)


@given(visible_text, st.lists(st.tuples(st.integers(0, 30), st.sampled_from(INVISIBLE)), max_size=6))
def test_a_sanitized_name_is_its_visible_form(visible, inserts):
    """Nothing invisible survives, so a name takes the cells its visible characters take on any terminal
    (whether it draws a zero-width character as nothing or as a cell) and cannot pose as another name."""
    name = visible
    for at, char in inserts:
        name = name[:at] + char + name[at:]
    out = sanitize(name)
    assert out == visible
    assert cell_len(out) == cell_len(visible)
    assert len(out) == len(visible)


def test_single_line_caps_length():
    assert single_line("a\nb") == "a b"
    assert single_line("x" * 500, limit=10) == "x" * 9 + "…"


hostile = st.text(
    alphabet=st.sampled_from(
        ["\x1b", "[", "]", "\\", "P", "_", "^", "X", "5", "2", ";", "c", "\x07", "\x9b", "\x9c", "\x9d",
         "\x90", "\x00", "\n", "\r", "\t", "\x7f", "\u202e", "\u2066", "\u2028", "a", "é", "m", "0", " "]
    ),
    max_size=60,
)


@given(st.one_of(hostile, st.text(max_size=60)))
def test_output_never_contains_controls_escapes_or_bidi(text):
    out = sanitize(text)
    assert not (set(out) & (FORBIDDEN | BIDI)), repr(out)
    kept = sanitize(text, keep_newlines=True)
    assert not (set(kept) & ((FORBIDDEN - {"\n", "\t"}) | BIDI)), repr(kept)


@given(st.text(max_size=60))
def test_sanitize_is_idempotent(text):
    once = sanitize(text)
    assert sanitize(once) == once


def test_lone_surrogates_become_replacement_characters():
    assert sanitize("ok\ud800") == "ok\ufffd"
    assert sanitize("\udcff\udcfe name") == "\ufffd\ufffd name"
    assert sanitize("a\ud83d\n\udca5b", keep_newlines=True) == "a\ufffd\n\ufffdb"
    assert single_line("x\udfff\ny") == "x\ufffd y"
    assert sanitize("emoji 💥 stays") == "emoji 💥 stays"


def test_has_surrogate():
    from boxdeck.service.text.sanitize import has_surrogate

    assert has_surrogate("a\ud800") and has_surrogate("\udfff")
    assert not has_surrogate("") and not has_surrogate("💥 é \ufffd")


_surrogate = st.integers(min_value=0xD800, max_value=0xDFFF).map(chr)
with_surrogates = st.one_of(
    st.lists(st.one_of(st.characters(), _surrogate), max_size=60).map("".join),
    st.lists(st.one_of(_surrogate, st.sampled_from(["\x1b", "]", "\x07", "a", "\n", "\ud83d"])), max_size=40)
    .map("".join),
)


@given(with_surrogates)
def test_output_is_always_encodable_as_utf8(text):
    for out in (sanitize(text), sanitize(text, keep_newlines=True), single_line(text)):
        out.encode("utf-8")
        assert not (set(out) & (FORBIDDEN - {"\n", "\t"} | BIDI)), repr(out)


@given(with_surrogates)
def test_sanitize_is_idempotent_with_surrogates(text):
    once = sanitize(text)
    assert sanitize(once) == once
