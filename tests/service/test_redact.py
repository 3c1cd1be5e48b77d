from hypothesis import given
from hypothesis import strategies as st

from boxdeck.service.text.redact import Redactor, mask, redact


def test_mask_keeps_a_short_prefix():
    assert mask("amk_sim_abcdef123456") == "amk_s…"
    assert mask("x" * 100) == "xxxxxx…"
    assert mask("abcdefgh") == "ab…"


def test_short_secrets_are_fully_masked():
    assert mask("abc") == "***"
    assert mask("abcdefg") == "***"


def test_redact_replaces_every_occurrence():
    text = "token=amk_sim_abcdef123456 again amk_sim_abcdef123456"
    assert redact(text, ["amk_sim_abcdef123456"]) == "token=amk_s… again amk_s…"


def test_redact_ignores_empty_and_tiny_secrets():
    assert redact("a b c", ["", None, "a"]) == "a b c"


def test_longer_secret_is_masked_whole_when_it_contains_a_shorter_one():
    out = redact("xx-abcdefghij-123456-yy", ["abcdefghij", "abcdefghij-123456"])
    assert "123456" not in out and "abcdefghij" not in out


def test_redactor_collects_secrets_and_never_prints_them():
    r = Redactor(["spr_live_01234567890", None, ""])
    r.add("usr_live_98765432100")
    assert r.redact("a spr_live_01234567890 b usr_live_98765432100") == "a spr_l… b usr_l…"
    assert r("usr_live_98765432100") == "usr_l…"
    assert "spr_live" not in repr(r)
    assert len(r.secrets) == 2


@given(st.text(min_size=8, max_size=40), st.text(max_size=30), st.text(max_size=30))
def test_a_redacted_text_never_contains_the_secret(secret, before, after):
    out = redact(before + secret + after + secret, [secret])
    assert secret not in out


@given(st.text(min_size=1, max_size=60))
def test_mask_never_shows_the_whole_secret(secret):
    shown = mask(secret)
    assert shown != secret and len(shown.rstrip("…")) <= 6


def test_what_any_redactor_learns_is_masked_in_every_text_shown():
    from boxdeck.service.text.sanitize import shown, single_line

    token = "tok_learned_by_one_service_5e1f9a"
    assert token in shown(f"box {token}")  # not yet known
    Redactor().add(token)
    assert shown(f"box-{token}") == "box-tok_le…"
    assert single_line(f"HTTP 409: {token}\n exists") == "HTTP 409: tok_le… exists"
    assert Redactor().redact(f"[{token}]") == "[tok_le…]"  # another service's redactor masks it too


def test_a_typed_value_is_masked_without_being_kept():
    from boxdeck.service.text.sanitize import shown

    value = "typed-" + "b7" * 12
    short = "pw-1234"
    redactor = Redactor()
    redactor.add_typed(value, short, None, "ab")
    text = shown(f"name {value}, again {value}{value}; and {short}! ab")
    assert value not in text and short not in text
    assert text == "name typed-…, again typed-…typed-…; and ***! ab"
    assert value not in repr(vars(redactor)) and value not in repr(redactor)
    assert shown(value[:-1]) == value[:-1]  # only the whole value is masked
