"""A list polled again: the same bytes give back the same models without parsing them again; a changed body
is parsed, with the rows that did not change handed back as the objects from before. Always a real request,
always the caller's own list, and bad bodies still fail as before."""

from __future__ import annotations

import pytest

from boxdeck.api import AmikaClient, AmikaError, DevboxClient, RequestRecord
from boxdeck.api.errors import DevboxDecodeError
from support.api_wire import Wire


def sandbox(name: str, state: str = "active") -> dict[str, object]:
    return {"id": f"sb_{name}", "name": name, "state": state, "provider": "daytona"}


def devbox_row(ident: str, state: str = "ready") -> dict[str, object]:
    return {"id": ident, "name": f"box-{ident}", "state": state}


async def test_same_sandbox_list_bytes_give_the_same_models_and_each_poll_is_a_request(
    wire: Wire, amika: AmikaClient, records: list[RequestRecord]
) -> None:
    body = [sandbox("a"), sandbox("b")]
    wire.reply(200, body).reply(200, body)
    first = await amika.list_sandboxes()
    second = await amika.list_sandboxes()
    assert [s.name for s in second] == ["a", "b"]
    assert all(x is y for x, y in zip(first, second, strict=True))  # not parsed again
    assert second is not first  # the caller's own list
    second.clear()
    wire.reply(200, body)
    assert [s.name for s in await amika.list_sandboxes()] == ["a", "b"]  # clearing it touched nothing kept
    assert len(wire.requests) == 3 and [r.status for r in records] == [200, 200, 200]  # never skips the wire


async def test_a_changed_sandbox_list_keeps_the_unchanged_rows_as_the_same_objects(
    wire: Wire, amika: AmikaClient
) -> None:
    wire.reply(200, [sandbox("a"), sandbox("b")])
    wire.reply(200, [sandbox("a"), sandbox("b", "stopped"), sandbox("c")])
    a, b = await amika.list_sandboxes()
    a2, b2, c2 = await amika.list_sandboxes()
    assert a2 is a  # unchanged: the object from before
    assert b2 is not b and b2.state == "stopped" and b.state == "active"
    assert c2.name == "c"


async def test_devbox_list_is_remembered_the_same_way_and_an_envelope_changes_nothing(
    wire: Wire, devbox: DevboxClient
) -> None:
    rows = [devbox_row("d1"), devbox_row("d2", "provisioning")]
    wire.reply(200, rows).reply(200, rows).reply(200, {"data": [devbox_row("d1"), devbox_row("d2")]})
    first = await devbox.devboxes.list()
    again = await devbox.devboxes.list()
    assert all(x is y for x, y in zip(first, again, strict=True))
    enveloped = await devbox.devboxes.list()  # other bytes: parsed; d1 unchanged, d2 now ready
    assert enveloped[0] is first[0] and enveloped[1].state == "ready"


async def test_bad_bodies_still_fail_and_do_not_poison_what_is_remembered(
    wire: Wire, amika: AmikaClient, devbox: DevboxClient
) -> None:
    body = [sandbox("a")]
    wire.reply(200, body).reply(200, text="not json").reply(200, {"oops": 1}).reply(200, body)
    (kept,) = await amika.list_sandboxes()
    with pytest.raises(AmikaError):
        await amika.list_sandboxes()
    with pytest.raises(AmikaError):
        await amika.list_sandboxes()
    (again,) = await amika.list_sandboxes()
    assert again is kept
    wire.reply(200, text="[")
    with pytest.raises(DevboxDecodeError):
        await devbox.devboxes.list()


async def test_a_row_is_known_by_its_exact_bytes_whatever_the_spacing_of_the_list(
    wire: Wire, amika: AmikaClient
) -> None:
    row = '{"id": "sb_a", "name": "a", "state": "active"}'
    wire.reply(200, text=f"[{row}]").reply(200, text=f'[ \n{row} ,\n{{"id":"sb_b","name":"b"}} ]')
    wire.reply(200, text=f'[{row.replace("active", "stopped")}]')
    (a,) = await amika.list_sandboxes()
    a2, b = await amika.list_sandboxes()
    assert a2 is a and b.name == "b"
    (a3,) = await amika.list_sandboxes()
    assert a3 is not a and a3.state == "stopped"


async def test_lists_in_json_the_fast_splitter_refuses_are_still_read(
    wire: Wire, amika: AmikaClient, devbox: DevboxClient
) -> None:
    # NaN is JSON to Python (and to the lenient models) though not to every parser; a duplicated envelope
    # key keeps its last value, as json.loads does.
    wire.reply(200, text='[{"id": "sb_a", "name": "a", "state": "active", "cpu": NaN}]')
    (a,) = await amika.list_sandboxes()
    assert a.name == "a"
    wire.reply(200, text='{"data": [{"id": "old"}], "data": [{"id": "d1", "name": "one"}]}')
    assert [d.id for d in await devbox.devboxes.list()] == ["d1"]
    wire.reply(200, text='{"data": [{"id": "d1", "name": "one"}], "next": null}')
    assert [d.id for d in await devbox.devboxes.list()] == ["d1"]
    wire.reply(200, text='{"items": []}')
    assert await devbox.devboxes.list() == []
