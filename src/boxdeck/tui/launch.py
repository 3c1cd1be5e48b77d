"""`boxdeck` / `boxdeck --demo`: parse the dashboard's flags, build the service, run the app.

With `--demo` the simulator runs on an ephemeral loopback port in a background thread (real clock, churn on,
so the world is lively) and stops when the app quits.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from boxdeck.service.config import ConfigError, Service, Settings, settings_from

DEMO_SEED = 42


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="boxdeck",
        description="A live dashboard for Amika sandboxes and Latitude devboxes.",
        epilog=(
            "Environment: AMIKA_API_URL, AMIKA_API_KEY, DEVBOX_API_URL, DEVBOX_SPRITES_TOKEN, "
            "DEVBOX_USER_TOKEN "
            "(flags win). Subcommands: boxdeck sim --help."
        ),
    )
    parser.add_argument("--demo", action="store_true", help="run against the built-in simulator")
    parser.add_argument(
        "--read-only", action="store_true", default=None, help="turn every mutating action off"
    )
    parser.add_argument("--amika-url", metavar="URL", help="Amika API base URL (env AMIKA_API_URL)")
    parser.add_argument("--amika-token", metavar="TOKEN", help="Amika API key (env AMIKA_API_KEY)")
    parser.add_argument("--devbox-url", metavar="URL", help="Devbox API base URL (env DEVBOX_API_URL)")
    parser.add_argument(
        "--sprites-token", metavar="TOKEN", help="Devbox service token (env DEVBOX_SPRITES_TOKEN)"
    )
    parser.add_argument("--user-token", metavar="TOKEN", help="Devbox user token (env DEVBOX_USER_TOKEN)")
    parser.add_argument(
        "--allow-insecure",
        action="store_true",
        default=None,
        help="allow plain http:// to a non-loopback host",
    )
    parser.add_argument(
        "--steady-interval",
        type=float,
        metavar="SECONDS",
        default=None,
        help="poll interval when nothing is changing (default 5)",
    )
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=argparse.SUPPRESS)
    return parser


def demo_args(args: argparse.Namespace, sim: Any) -> argparse.Namespace:
    """The flags that point both backends at a running simulator."""
    return argparse.Namespace(
        **{
            **vars(args),
            "amika_url": sim.base_url,
            "amika_token": sim.amika_token,
            "devbox_url": sim.base_url,
            "sprites_token": sim.sprites_token,
            "user_token": sim.user_token,
        }
    )


def make_settings(args: argparse.Namespace, environ: Mapping[str, str]) -> Settings:
    settings = settings_from(args, environ)
    if args.steady_interval is not None:
        if args.steady_interval <= 0:
            raise ConfigError("--steady-interval must be a positive number of seconds")
        settings = dataclasses.replace(settings, steady_interval=args.steady_interval)
    return settings


def run_app(settings: Settings, demo: Any = None) -> None:
    from boxdeck.tui.app import BoxdeckApp

    service = Service.from_settings(settings)
    BoxdeckApp(service, demo=demo, owns_service=True).run()


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    environ = os.environ if environ is None else environ
    try:
        if not args.demo:
            run_app(make_settings(args, environ))
            return 0
        from boxdeck.sim import SimConfig, SimServer

        with SimServer(SimConfig(seed=args.seed, churn=True)) as sim:
            # The demo never reads real credentials from the environment.
            run_app(make_settings(demo_args(args, sim), {}), demo=sim)
        return 0
    except ConfigError as error:
        print(f"boxdeck: {error}", file=sys.stderr)
        return 2
