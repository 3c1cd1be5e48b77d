"""What the app serves from: the live world (swapped on reset), the config, the fault settings, the hostile
behaviours tests turn on, and (when a server runs it) the SSH endpoint and the boxes' directories every world
it builds is attached to."""

from __future__ import annotations

import dataclasses
import os
import threading
from typing import Any

from fastapi import Request

from boxdeck.sim.boxfs import BoxFiles
from boxdeck.sim.config import SimConfig
from boxdeck.sim.faults import FaultSettings
from boxdeck.sim.hostile import HostileSettings
from boxdeck.sim.ssh_endpoint import SshEndpoint
from boxdeck.sim.world import World


class SimRuntime:
    def __init__(self, config: SimConfig, world: World | None = None) -> None:
        self.base_config = config
        self.config = config
        self._lock = threading.Lock()
        self.ssh: SshEndpoint | None = None
        self.files: BoxFiles | None = None
        self.world = world if world is not None else self._initial_world(config)
        self.faults = FaultSettings(config.seed, config.fault_rate, config.fault_kinds, config.slow_seconds)
        self.hostile = HostileSettings()

    def attach(self, ssh: SshEndpoint | None, files: BoxFiles | None) -> None:
        """Serve real SSH and keep box directories, from now on and in every world a reset builds."""
        self.ssh, self.files = ssh, files
        with self.world.lock:
            self.world.ssh, self.world.files = ssh, files

    @staticmethod
    def _initial_world(config: SimConfig) -> World:
        from boxdeck.sim.demo_world import build_world
        from boxdeck.sim.persist import load_world

        if config.state_file and os.path.exists(config.state_file):
            return load_world(config.state_file, config)
        return build_world(config)

    def reset(self, **overrides: Any) -> World:
        """A fresh world from the starting config plus overrides; faults go back to the config's rate and the
        hostile behaviours are turned off."""
        from boxdeck.sim.demo_world import build_world

        config = dataclasses.replace(self.base_config, **overrides)
        world = build_world(config)
        world.ssh, world.files = self.ssh, self.files
        if self.files is not None:
            self.files.wipe()  # seeded ids come back: their directories must start afresh
        with self._lock:
            self.config = config
            self.world = world
            self.faults.configure(config.fault_rate, config.fault_kinds, config.slow_seconds)
            self.hostile.clear()
            self.faults.clear_counts()
        return world


def runtime(request: Request) -> SimRuntime:
    rt: SimRuntime = request.app.state.sim
    return rt


def world(request: Request) -> World:
    return runtime(request).world
