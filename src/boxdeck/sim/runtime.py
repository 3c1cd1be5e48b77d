"""What the app serves from: the live world (swapped on reset), the config and the fault settings."""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from fastapi import Request

from boxdeck.sim.config import SimConfig
from boxdeck.sim.faults import FaultSettings
from boxdeck.sim.world import World


class SimRuntime:
    def __init__(self, config: SimConfig, world: World | None = None) -> None:
        self.base_config = config
        self.config = config
        self._lock = threading.Lock()
        self.world = world if world is not None else self._initial_world(config)
        self.faults = FaultSettings(config.seed, config.fault_rate, config.fault_kinds, config.slow_seconds)

    @staticmethod
    def _initial_world(config: SimConfig) -> World:
        from boxdeck.sim.demo_world import build_world
        from boxdeck.sim.persist import load_world

        if config.state_file and os.path.exists(config.state_file):
            return load_world(config.state_file, config)
        return build_world(config)

    def reset(self, **overrides: Any) -> World:
        """A fresh world from the starting config plus overrides; faults go back to the config's rate."""
        from boxdeck.sim.demo_world import build_world

        config = dataclasses.replace(self.base_config, **overrides)
        world = build_world(config)
        with self._lock:
            self.config = config
            self.world = world
            self.faults.configure(config.fault_rate, config.fault_kinds, config.slow_seconds)
            self.faults.clear_counts()
        return world


def runtime(request: Request) -> SimRuntime:
    rt: SimRuntime = request.app.state.sim
    return rt


def world(request: Request) -> World:
    return runtime(request).world
