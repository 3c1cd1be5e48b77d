"""Helpers shared by the tests, imported as ``support.<module>`` (pyproject puts ``tests/`` on the path).

Test folders hold only tests and their conftest; anything two tests share lives here: fake servers and
clocks (`api_wire`, `service_fakes`), a real service on the simulator (`sim_service`), hostile data
(`hostile_data`, `security`), and for tests that drive the app, the `tui_fixtures` plugin, the `tui` helpers
and the `ui` screen checks.
"""
