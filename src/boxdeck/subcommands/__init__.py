"""The plain subcommands (`boxdeck ls`, `boxdeck ssh`, `boxdeck watch`) for scripts and pipes.

They drive the same service layer as the dashboard (settings, monitor, actions) but never import textual: a
script calling `boxdeck ls --json` in a loop should pay for httpx and pydantic, not for a UI framework.
Conventions (as in the Amika CLI): data on stdout (JSON when asked), progress and errors on stderr, a
non-zero exit code on failure, and never a prompt.
"""
