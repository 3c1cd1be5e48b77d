"""The one knob bag shared by the CLI, the embedding API and the pytest fixtures."""

from __future__ import annotations

from dataclasses import dataclass

#: The demo world's seed (`boxdeck --demo`).
DEMO_SEED = 42
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

    `failure_rate` is the share of the demo world's own creates (churn) that fail; a client's creates fail
    only at `client_failure_rate` (0 unless asked), so a client is never surprised by a failure it did not
    ask for. `ssh` serves real SSH logins into the boxes on `ssh_port` (0 = ephemeral) of the same loopback
    host; `ssh_allow_remote` is needed to accept them from anywhere else. `state_dir` holds the SSH host key,
    the boxes' directories and the snapshots (a temporary directory per run when None and no `state_file`).
    `bwrap` mounts each box's directory at the box's own path (bubblewrap) where this machine allows it.
    `strict_user_token` makes `/users/*` and `/integrations/*` refuse requests without the user's token.
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
    client_failure_rate: float = 0.0
    ssh: bool = True
    ssh_port: int = 0
    ssh_allow_remote: bool = False
    state_dir: str | None = None
    bwrap: bool = True
    strict_user_token: bool = False
