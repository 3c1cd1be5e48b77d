"""Where a devbox is in its provisioning, from the operations the API reports.

Devbox provisioning runs named steps (`OPERATION_STEPS`); a step's operation may be missing (not started),
running, done or failed, and the server may report them out of order or report steps boxdeck does not know.
The dashboard shows both the one-word progress ("2/4 inject_credentials") and the full stepper.
"""

from __future__ import annotations

import math
from typing import Literal

from boxdeck.api.devbox_models import OPERATION_STEPS, Operation
from boxdeck.service.monitoring.snapshot import DevboxDetail
from boxdeck.service.text.sanitize import shown

__all__ = ["ProgressKind", "ordered_operations", "progress"]

ProgressKind = Literal["busy", "done", "failed", ""]


def ordered_operations(detail: DevboxDetail | None) -> list[Operation]:
    """The operations in step order (unknown steps last), each step's by time."""
    if detail is None:
        return []
    order = {step: i for i, step in enumerate(OPERATION_STEPS)}

    def key(op: Operation) -> tuple[int, float]:
        at = op.created_at
        return (order.get(op.step, len(order)), at.timestamp() if at else math.inf)

    return sorted(detail.operations, key=key)


def progress(detail: DevboxDetail | None) -> tuple[str, ProgressKind]:
    """("2/4 inject_credentials", "busy"); ("✗ clone_repositories", "failed"); ("4/4", "done"); ("", "")."""
    if detail is None:
        return "", ""
    ops = ordered_operations(detail)
    total = max(len(OPERATION_STEPS), len(ops))
    failed = next((op for op in ops if op.status == "failed"), None)
    if failed is not None:
        return f"✗ {shown(failed.step)}", "failed"
    done = sum(1 for op in ops if op.status == "success")
    current = next((op for op in ops if op.status != "success"), None)
    if current is not None:
        return f"{min(done + 1, total)}/{total} {shown(current.step)}", "busy"
    if done >= total:
        return f"{total}/{total}", "done"
    present = {op.step for op in ops}
    upcoming = next((step for step in OPERATION_STEPS if step not in present), "")
    return f"{done + 1}/{total} {upcoming}".rstrip(), "busy"
