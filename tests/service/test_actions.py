"""Actions over the real clients and a scripted wire: the exact requests, pending marks, error messages."""

import json

import httpx
import pytest

from boxdeck.service.actions.actions import ActionError, Actions
from boxdeck.service.boxes import Backend, StateKind
from boxdeck.service.monitoring.snapshot import Diff
from support.service_fakes import AMIKA_SSH_TOKEN, AMIKA_TOKEN, Failure, FakeApis, devbox, sandbox

A, D = Backend.AMIKA, Backend.DEVBOX


@pytest.fixture
async def world():
    apis = FakeApis()
    apis.sandboxes = [sandbox("web-1", "stopped"), sandbox("api", "active")]
    apis.devboxes = [devbox("d1", "ready", name="dev-1"), devbox("d2", "provisioning", name="dev-2")]
    monitor = apis.monitor()
    await monitor.poll(A)
    await monitor.poll(D)
    apis.clear()
    diffs: list[Diff] = []
    monitor.subscribe(diffs.append)
    yield apis, monitor, Actions(monitor), diffs
    await monitor.aclose()


def box(monitor, key):
    return monitor.box(key)


async def test_start_posts_marks_pending_and_pokes(world):
    apis, m, actions, diffs = world
    await actions.start(box(m, "amika:sb_web-1"))
    assert apis.seen() == ["POST /sandboxes/web-1/start"]
    assert diffs[0].local and diffs[0].changed[0].new.pending == "starting"
    assert m.box("amika:sb_web-1").kind is StateKind.TRANSITIONAL
    assert m.next_delay(A) == 1.0
    assert m.acted_on("amika:sb_web-1")


async def test_stop_and_delete_send_the_right_requests(world):
    apis, m, actions, _ = world
    await actions.stop(box(m, "amika:sb_api"))
    await actions.delete(box(m, "amika:sb_web-1"))
    await actions.delete(box(m, "devbox:d1"))
    assert apis.seen() == ["POST /sandboxes/api/stop", "DELETE /sandboxes/web-1", "DELETE /devboxes/d1"]
    assert m.box("amika:sb_api").pending == "stopping"
    assert m.box("devbox:d1").pending == "deleting"


async def test_server_refusal_clears_pending_and_names_the_box_with_the_servers_message(world):
    apis, m, actions, diffs = world
    apis.failures["POST /sandboxes/api/start"] = Failure(
        409, json.dumps({"type": "error", "code": "invalid_state", "message": "sandbox is already active"}))
    with pytest.raises(ActionError) as info:
        await actions.start(box(m, "amika:sb_api"))
    assert str(info.value) == 'Couldn\'t start "api": HTTP 409: invalid_state: sandbox is already active'
    assert info.value.box_key == "amika:sb_api" and info.value.status == 409
    assert m.box("amika:sb_api").pending is None
    assert [d.changed[0].new.pending for d in diffs] == ["starting", None]


async def test_devbox_errors_read_like_amika_errors(world):
    apis, m, actions, _ = world
    apis.failures["DELETE /devboxes/d1"] = Failure(409, '{"detail": "devbox is busy"}')
    with pytest.raises(ActionError, match=r'^Couldn\'t delete "dev-1": HTTP 409: devbox is busy$'):
        await actions.delete(box(m, "devbox:d1"))
    assert m.box("devbox:d1").pending is None


async def test_error_text_is_sanitized_and_redacted(world):
    apis, m, actions, _ = world
    apis.failures["POST /sandboxes/web-1/start"] = Failure(
        500, json.dumps({"message": f"leak {AMIKA_TOKEN}\x1b]52;c;Zm9v\x07\nmore"}))
    with pytest.raises(ActionError) as info:
        await actions.start(box(m, "amika:sb_web-1"))
    text = str(info.value)
    assert AMIKA_TOKEN not in text and "\x1b" not in text and "\n" not in text
    assert "amk_li…" in text


async def test_transport_failure_is_an_action_error(world):
    apis, m, actions, _ = world
    apis.failures["amika"] = Failure(None)
    with pytest.raises(ActionError, match='^Couldn\'t stop "api": '):
        await actions.stop(box(m, "amika:sb_api"))


async def test_delete_of_an_already_gone_box_is_not_an_error(world):
    apis, m, actions, _ = world
    apis.failures["DELETE /sandboxes/web-1"] = Failure(404, '{"code": "not_found", "message": "gone"}')
    await actions.delete(box(m, "amika:sb_web-1"))
    assert m.box("amika:sb_web-1").pending == "deleting"


@pytest.mark.parametrize("verb", ["start", "stop"])
async def test_devboxes_cannot_start_or_stop(world, verb):
    apis, m, actions, diffs = world
    with pytest.raises(ActionError, match=f'Couldn\'t {verb} "dev-1": the Devbox API has no {verb}'):
        await getattr(actions, verb)(box(m, "devbox:d1"))
    assert apis.seen() == [] and diffs == []


async def test_read_only_refuses_every_mutating_action_before_any_request(world):
    apis, m, _, diffs = world
    ro = Actions(m, read_only=True)
    for call in (lambda: ro.start(box(m, "amika:sb_web-1")), lambda: ro.stop(box(m, "amika:sb_api")),
                 lambda: ro.delete(box(m, "devbox:d1")), lambda: ro.create_sandbox(name="x"),
                 lambda: ro.create_devbox("x")):
        with pytest.raises(ActionError, match="^read-only mode: "):
            await call()
    assert apis.seen() == [] and diffs == []
    assert ro.refusal("delete", box(m, "devbox:d1")).startswith("read-only mode")
    assert ro.refusal("ssh", box(m, "devbox:d1")) is None  # reading access is still allowed


async def test_refusal_explains_what_does_not_apply(world):
    _, m, actions, _ = world
    assert actions.refusal("start", box(m, "amika:sb_web-1")) is None
    assert "already running" in actions.refusal("start", box(m, "amika:sb_api"))
    assert "already stopped" in actions.refusal("stop", box(m, "amika:sb_web-1"))
    assert "no start" in actions.refusal("start", box(m, "devbox:d1"))
    assert "not ready" in actions.refusal("ssh", box(m, "devbox:d2"))
    assert actions.refusal("create") is None


async def test_create_sandbox_adds_the_box_at_once_and_keeps_it_until_listed(world):
    apis, m, actions, diffs = world
    apis.answers["GET /sandboxes"] = lambda r: httpx.Response(200, json=[sandbox("web-1", "stopped"),
                                                                          sandbox("api", "active")])
    new = await actions.create_sandbox(name="fresh", repo_url="https://github.com/o/r")
    body = json.loads(apis.requests[0].content)
    assert body == {"name": "fresh", "repo_url": "https://github.com/o/r"}
    assert new.pending == "creating" and new.key == "amika:sb_fresh"
    assert diffs[-1].local and diffs[-1].added == (new,)
    d = await m.poll(A)  # the list does not show it yet: the optimistic row stays
    assert d.empty and m.box(new.key) is not None
    del apis.answers["GET /sandboxes"]
    d = await m.poll(A)
    (change,) = d.changed
    assert change.new.pending is None and change.new.state == "initializing"


async def test_create_sandbox_failure_keeps_nothing_and_reports_the_server(world):
    apis, m, actions, diffs = world
    body = '{"code": "INVALID_INPUT", "message": "name is required"}'
    apis.failures["POST /sandboxes"] = Failure(400, body)
    expected = "^Couldn't create a sandbox: HTTP 400: INVALID_INPUT: name is required$"
    with pytest.raises(ActionError, match=expected):
        await actions.create_sandbox(name="")
    assert diffs == []


async def test_create_devbox_sends_agent_tokens_as_headers_and_never_leaks_them(world):
    apis, m, actions, diffs = world
    new = await actions.create_devbox("fresh", claude_token="sk-ant-claude-secret-1234")
    req = apis.requests[0]
    assert req.headers["X-Claude-Token"] == "sk-ant-claude-secret-1234"
    assert new.backend is D and new.pending == "creating" and m.box(new.key) is new
    apis.failures["POST /devboxes"] = Failure(422, json.dumps(
        {"detail": "bad token sk-ant-claude-secret-5678"}))
    with pytest.raises(ActionError) as info:
        await actions.create_devbox("other", claude_token="sk-ant-claude-secret-5678")
    assert "sk-ant-claude-secret-5678" not in str(info.value)
    assert str(info.value).startswith('Couldn\'t create devbox "other": HTTP 422: bad token sk-ant…')
    assert "sk-ant-claude-secret-5678" not in actions.redactor.secrets  # not kept after the request


async def test_ssh_command_for_amika_masks_the_token_and_remembers_it(world):
    apis, m, actions, _ = world
    cmd = await actions.ssh_command(box(m, "amika:sb_api"))
    assert apis.seen() == ["POST /sandboxes/api/ssh"]
    assert cmd.argv == ("ssh", "-p", "2222", "--", f"{AMIKA_SSH_TOKEN}@ssh.amika.test")
    assert AMIKA_SSH_TOKEN not in cmd.masked()
    assert AMIKA_SSH_TOKEN not in actions.redactor.redact(f"copied {cmd.text}")


async def test_ssh_command_for_devbox_uses_the_session_command(world):
    apis, m, actions, _ = world
    cmd = await actions.ssh_command(box(m, "devbox:d1"))
    assert apis.seen() == ["POST /devboxes/d1/access/session"]
    assert cmd.text == "ssh -p 2222 -- dev@box.devbox.test"


async def test_ssh_command_refuses_boxes_that_are_not_ready(world):
    apis, m, actions, _ = world
    with pytest.raises(ActionError, match='^"dev-2" is not ready \\(provisioning\\)'):
        await actions.ssh_command(box(m, "devbox:d2"))
    with pytest.raises(ActionError, match='"web-1" is not ready \\(stopped\\)'):
        await actions.ssh_command(box(m, "amika:sb_web-1"))
    assert apis.seen() == []


async def test_ssh_command_server_failure_is_an_action_error(world):
    apis, m, actions, _ = world
    apis.failures["POST /sandboxes/api/ssh"] = Failure(403, '{"code": "forbidden", "message": "no access"}')
    expected = '^Couldn\'t get SSH access to "api": HTTP 403: forbidden: no access$'
    with pytest.raises(ActionError, match=expected):
        await actions.ssh_command(box(m, "amika:sb_api"))


async def test_unconfigured_backend_is_a_clear_error():
    apis = FakeApis()
    m = apis.monitor(devbox=False)
    actions = Actions(m)
    with pytest.raises(ActionError, match="Devbox is not configured"):
        await actions.create_devbox("x")
    await m.aclose()
