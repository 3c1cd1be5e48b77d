from datetime import UTC, datetime

import pytest

from boxdeck.api import Devbox, DevboxRepository, Operation, Sandbox
from boxdeck.service.boxes import Backend, Box, StateKind, backend_of, state_kind
from boxdeck.service.monitoring.snapshot import DevboxDetail, compute_diff, make_snapshot

T = datetime(2026, 1, 1, tzinfo=UTC)


def sb(name, state="active", **kw):
    return Box.from_sandbox(Sandbox.model_validate({"id": f"sb_{name}", "name": name, "state": state, **kw}))


def dv(ident, state="ready", **kw):
    return Box.from_devbox(Devbox.model_validate({"id": ident, "name": f"n-{ident}", "state": state, **kw}))


def snap(*boxes, details=None, backend=Backend.AMIKA):
    return make_snapshot(backend, boxes, details, T)


def test_box_keys_refs_and_kinds():
    a = sb("web-1", "initializing")
    assert (a.key, a.ref, a.name, a.backend) == ("amika:sb_web-1", "web-1", "web-1", Backend.AMIKA)
    assert a.kind is StateKind.TRANSITIONAL
    nameless = Box.from_sandbox(Sandbox.model_validate({"id": "", "name": "only-name", "state": "active"}))
    assert nameless.key == "amika:only-name"
    d = dv("abc", "destroyed")
    assert (d.key, d.ref, d.kind) == ("devbox:abc", "abc", StateKind.GONE)
    assert backend_of(d.key) is Backend.DEVBOX


def test_pending_overrides_display_state_and_kind():
    box = sb("web-1", "stopped").with_pending("starting")
    assert box.display_state == "starting"
    assert box.kind is StateKind.TRANSITIONAL
    assert box.state_kind is StateKind.STOPPED


@pytest.mark.parametrize(
    ("backend", "state", "kind"),
    [
        (Backend.AMIKA, "active", StateKind.READY), (Backend.AMIKA, "started", StateKind.READY),
        (Backend.AMIKA, "running", StateKind.READY), (Backend.AMIKA, "stopping", StateKind.TRANSITIONAL),
        (Backend.AMIKA, "snapshotting", StateKind.TRANSITIONAL),
        (Backend.AMIKA, "stopped", StateKind.STOPPED),
        (Backend.AMIKA, "failed", StateKind.FAILED), (Backend.AMIKA, "Deleted", StateKind.GONE),
        (Backend.AMIKA, "being-deleted", StateKind.GONE), (Backend.AMIKA, "weird", StateKind.UNKNOWN),
        (Backend.DEVBOX, "requested", StateKind.TRANSITIONAL), (Backend.DEVBOX, "ready", StateKind.READY),
        (Backend.DEVBOX, "destroyed", StateKind.GONE), (Backend.DEVBOX, "", StateKind.UNKNOWN),
    ],
)
def test_state_kinds(backend, state, kind):
    assert state_kind(backend, state) is kind


def test_snapshot_is_immutable_and_keeps_server_order():
    s = snap(sb("c"), sb("a"), sb("b"))
    assert [b.name for b in s.boxes.values()] == ["c", "a", "b"]
    with pytest.raises(TypeError):
        s.boxes["x"] = sb("x")  # type: ignore[index]
    with pytest.raises(AttributeError):
        s.taken_at = T  # type: ignore[misc]
    assert s.find("a") is s.boxes["amika:sb_a"]


def test_first_diff_adds_everything_in_order():
    d = compute_diff(None, snap(sb("b"), sb("a")))
    assert [b.name for b in d.added] == ["b", "a"]
    assert not d.removed and not d.changed and not d.empty


def test_identical_snapshots_give_an_empty_diff():
    assert compute_diff(snap(sb("a"), sb("b")), snap(sb("a"), sb("b"))).empty


def test_added_removed_changed_with_fields():
    old = snap(sb("a"), sb("b"), sb("c", branch="main"))
    new = snap(sb("c", branch="dev"), sb("a", "stopping"), sb("d"))
    d = compute_diff(old, new)
    assert [b.name for b in d.added] == ["d"]
    assert [b.name for b in d.removed] == ["b"]
    assert [c.old.name for c in d.changed] == ["c", "a"]  # new snapshot's order
    by = {c.new.name: c for c in d.changed}
    assert by["a"].fields == {"state", "sandbox", "sandbox.state"}
    assert by["a"].state_changed and by["a"].old.state == "active" and by["a"].new.state == "stopping"
    assert by["c"].fields == {"sandbox", "sandbox.branch"}
    assert not by["c"].state_changed


def test_pending_change_is_a_field_change():
    a = sb("a")
    d = compute_diff(snap(a), snap(a.with_pending("stopping")))
    assert len(d.changed) == 1 and d.changed[0].fields == {"pending"}
    assert d.changed[0].display_changed


def test_extra_wire_fields_show_up_as_changed_fields():
    d = compute_diff(snap(sb("a", region="eu")), snap(sb("a", region="us")))
    assert "sandbox.region" in d.changed[0].fields


def test_devbox_details_changed_ignores_fetch_time():
    ops1 = (Operation.model_validate({"id": "1", "step": "provision", "status": "pending"}),)
    ops2 = (Operation.model_validate({"id": "1", "step": "provision", "status": "success"}),)
    repos = (DevboxRepository.model_validate({"full_name": "o/r", "clone_status": "pending"}),)
    box = dv("x", "provisioning")
    s1 = snap(box, details={box.key: DevboxDetail(ops1, repos, T)}, backend=Backend.DEVBOX)
    later = datetime(2026, 1, 2, tzinfo=UTC)
    s2 = snap(box, details={box.key: DevboxDetail(ops1, repos, later)}, backend=Backend.DEVBOX)
    s3 = snap(box, details={box.key: DevboxDetail(ops2, repos, later)}, backend=Backend.DEVBOX)
    assert compute_diff(s1, s2).empty
    d = compute_diff(s2, s3)
    assert d.details_changed == {box.key} and not d.changed


def test_failed_operation_message_is_the_failure_reason():
    ops = tuple(Operation.model_validate(o) for o in (
        {"id": "1", "step": "provision", "status": "success"},
        {"id": "2", "step": "inject_credentials", "status": "failed", "message": "bad claude token"},
    ))
    assert DevboxDetail(ops, (), T).failed_message == "bad claude token"


def test_ten_thousand_boxes_with_fifty_changes():
    raw = [{"id": f"sb_{i}", "name": f"box-{i}", "state": "active"} for i in range(10_000)]
    old = snap(*(Box.from_sandbox(Sandbox.model_validate(r)) for r in raw))
    for i in range(0, 5000, 100):
        raw[i] = {**raw[i], "state": "stopping"}
    new = snap(*(Box.from_sandbox(Sandbox.model_validate(r)) for r in raw))
    d = compute_diff(old, new)
    assert len(d.changed) == 50 and not d.added and not d.removed
    assert all(c.fields == {"state", "sandbox", "sandbox.state"} for c in d.changed)
