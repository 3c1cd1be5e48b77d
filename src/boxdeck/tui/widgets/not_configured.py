"""What a screen shows when its backend is not configured: exactly how to configure it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

HOWTO = {
    "amika": (
        "Amika sandboxes are not configured.",
        [("--amika-url URL", "AMIKA_API_URL"), ("--amika-token-file PATH", "AMIKA_API_KEY")],
    ),
    "devbox": (
        "Latitude devboxes are not configured.",
        [
            ("--devbox-url URL", "DEVBOX_API_URL"),
            ("--sprites-token-file PATH", "DEVBOX_SPRITES_TOKEN"),
            ("--user-token-file PATH  (optional)", "DEVBOX_USER_TOKEN"),
        ],
    ),
}


def howto_text(backend: str) -> Text:
    title, pairs = HOWTO[backend]
    out = Text()
    out.append(title + "\n\n", style="bold")
    out.append("Give boxdeck the API URL and token(s) with flags (each token file chmod 600):\n\n")
    out.append("    boxdeck " + " ".join(flag.split("  ")[0] for flag, _ in pairs) + "\n\n", style="bold")
    out.append("or in the environment:\n\n")
    for flag, env in pairs:
        out.append(f"    export {env}=…", style="bold")
        out.append(f"      (same as {flag})\n")
    out.append("\nFlags win over the environment. To try boxdeck without an account, run the simulator:\n\n")
    out.append("    boxdeck --demo\n", style="bold")
    return out


class NotConfigured(Static):
    def __init__(self, backend: str) -> None:
        super().__init__(howto_text(backend), markup=False, classes="not-configured")
