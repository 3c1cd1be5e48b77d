"""boxdeck's command line: argument parsing (`parser`), the entry point (`dispatch.main`) and the plain
subcommands (`boxdeck ls`, `boxdeck ssh`, `boxdeck watch`, `boxdeck completion`) for scripts and pipes.

The subcommands drive the same service layer as the dashboard (settings, monitor, actions) but never import
textual: a script calling `boxdeck ls --json` in a loop should pay for httpx and pydantic, not for a UI
framework. Conventions (as in gh and the Amika CLI): data on stdout (JSON when asked, in the shapes of
`boxdeck.cli.models`), progress and errors on stderr, a non-zero exit status on failure, and never a prompt.
"""

from boxdeck.cli.dispatch import main

__all__ = ["main"]
