"""Every route of the app is in the access matrix of some area."""

import importlib
import pkgutil

import tests
from tests.test_access_core import PUBLIC


def _all_rows():
    rows = []
    for module in pkgutil.iter_modules(tests.__path__):
        if module.name.startswith("test_access_") and module.name != "test_access_matrix":
            rows += getattr(importlib.import_module(f"tests.{module.name}"), "ROWS", [])
    return rows


def test_every_route_is_in_the_access_matrix(app):
    covered = {(row.method, row.rule) for row in _all_rows()}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if (method, rule.rule) not in covered:
                missing.append(f"{method} {rule.rule}")
    assert missing == [], "routes missing from the access matrix: " + ", ".join(missing)
