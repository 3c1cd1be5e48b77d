"""Make server-sent text safe to put on a terminal.

Anything a server returns (names, error messages, agent replies) may carry escape sequences: a colour code is
harmless, but an OSC 52 sequence writes the user's clipboard and a DCS/APC can reach the terminal emulator
itself. Textual escapes markup, not control bytes, so everything that came over the wire goes through
`sanitize` before it reaches a widget, a notification, a log line or an error message.

Lone surrogates (U+D800–U+DFFF, valid in JSON as ``"\\ud800"`` escapes) are replaced with U+FFFD: they cannot
be encoded as UTF-8, so one of them would break a log file or the terminal driver's write.

A server may also put a secret it was sent into any text (a box name, a repo, an error, an agent's reply), so
text on its way to the screen goes through `shown`: sanitized, then every secret this process knows masked
(`boxdeck.service.text.redact.mask_known`). `sanitize` alone is for checks on what the user typed and for
words
that must stay exact (an SSH destination holds its token).
"""

from __future__ import annotations

import re

from boxdeck.service.text.redact import mask_known

__all__ = ["has_surrogate", "sanitize", "shown", "single_line"]

# String sequences (OSC, DCS, SOS, PM, APC) in 7-bit and 8-bit form. The body runs until BEL, ST (ESC \ or
# 0x9c) or the next ESC (which terminals treat as an abort); an unterminated one runs to the end of the text.
_STRING_SEQ = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
# CSI in 7-bit and 8-bit form: parameters, intermediates, one final byte (possibly missing at the end).
_CSI_SEQ = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
# Every other escape: ESC, intermediates, one final byte.
_OTHER_ESC = r"\x1b[ -/]*[0-~]?"
_SEQUENCES = re.compile(f"{_STRING_SEQ}|{_CSI_SEQ}|{_OTHER_ESC}")

# Invisible characters that move what follows: bidi marks, embeddings, overrides and isolates (they reorder
# a line on terminals that apply bidi) and the zero-width ones (ZWSP/ZWNJ/ZWJ, word joiner, invisible
# operators, BOM), which one terminal draws as nothing and another as a cell, so a name holding one would
# shift every column after it, or look like a name it is not.
_INVISIBLE = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
# C0 (minus tab/newline, handled separately), DEL, C1, and the invisible characters above.
_CONTROLS = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_INVISIBLE}]")
_LINE_BREAKS = re.compile("\r\n|[\r\n\u2028\u2029]")
# Lone surrogates: not characters at all, and not encodable as UTF-8.
_SURROGATES = re.compile("[\ud800-\udfff]")
# Fast path: most text has none of these, so most calls cost one regex scan.
_ANY_SUSPECT = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}\u2028\u2029\ud800-\udfff]")


def has_surrogate(text: str) -> bool:
    """True when `text` holds a lone surrogate, which cannot be encoded as UTF-8 (so cannot be sent)."""
    return _SURROGATES.search(text) is not None


def sanitize(text: str, *, keep_newlines: bool = False) -> str:
    """Return `text` without escape sequences, control characters, bidi controls or zero-width characters,
    and with every lone surrogate replaced by U+FFFD.

    With `keep_newlines` line breaks become `\\n` and tabs stay (for multi-line panes); without it every line
    break and tab becomes a space, so a table cell or a notification title stays on one line.
    """
    if not text or not _ANY_SUSPECT.search(text):
        return text
    text = _SEQUENCES.sub("", text)
    text = _LINE_BREAKS.sub("\n", text) if keep_newlines else _LINE_BREAKS.sub(" ", text).replace("\t", " ")
    return _SURROGATES.sub("\ufffd", _CONTROLS.sub("", text))


def shown(text: str, *, keep_newlines: bool = False) -> str:
    """`text` as it may be displayed: `sanitize`d, then every known secret masked (after sanitizing, so an
    escape sequence inside a token cannot hide it)."""
    return mask_known(sanitize(text, keep_newlines=keep_newlines))


def single_line(text: str, *, limit: int = 300) -> str:
    """Sanitize to one line, mask known secrets and cut to `limit` characters (after masking, so a cut token
    still matches), for error messages, notices and health tooltips."""
    text = " ".join(shown(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text
