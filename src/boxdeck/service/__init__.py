"""boxdeck's UI-free core, grouped by what it does: `monitoring` (polling, health, snapshots and diffs),
`actions` (what the user does to boxes and accounts), `access` (ssh commands and the trust behind them),
`configuration` (settings, profiles, tokens, preferences), `history` (ETAs, activity, the log) and `text`
(server text made safe, secrets masked). `boxes` is the one row type all of them share.

Imports only `boxdeck.api`, the standard library, httpx, pydantic and platformdirs —
never textual or rich — so the plain CLI, the benchmarks and the tests can drive it without a terminal.
"""
