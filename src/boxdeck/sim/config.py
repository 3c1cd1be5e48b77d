"""The one knob bag shared by the CLI, the embedding API and the pytest fixtures."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_AMIKA_TOKEN = "amk_sim_boxdeck_demo"
DEFAULT_SPRITES_TOKEN = "spr_sim_boxdeck_demo"
DEFAULT_USER_TOKEN = "usr_sim_boxdeck_demo"

#: "drop" closes the connection before the request is handled (nothing happened); "drop-after" lets the
#: handler run and then closes it before the answer goes out (it happened, but the client cannot know).
FAULT_KINDS = ("500", "502", "503", "429", "slow", "drop", "drop-after")


@dataclass(frozen=True)
class SimConfig:
    """How to build a world and serve it.

    `sandboxes` / `devboxes` = None means "the hand-made demo world"; a number asks for that many boxes in
    mixed states (scale tests and benchmarks). Tokens are fixed strings so the docs stay copy-pasteable.
    """

    seed: int = 1
    speed: float = 1.0
    manual_clock: bool = False
    sandboxes: int | None = None
    devboxes: int | None = None
    demo_world: bool = True
    fault_rate: float = 0.0
    fault_kinds: tuple[str, ...] = FAULT_KINDS
    slow_seconds: float = 1.5
    churn: bool = False
    amika_token: str = DEFAULT_AMIKA_TOKEN
    sprites_token: str = DEFAULT_SPRITES_TOKEN
    user_token: str = DEFAULT_USER_TOKEN
    state_file: str | None = None
    failure_rate: float = 0.1
    start_time: float | None = None
    host: str = "127.0.0.1"
    port: int = 0
