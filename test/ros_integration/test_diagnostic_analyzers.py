"""config/analyzers.yaml is a diagnostic_aggregator file that groups the agreed status names.

integration_support.matches applies the rules of diagnostic_aggregator's GenericAnalyzer: exact
names in `expected`/`name`, prefixes in `startswith`, substrings in `contains`, `regex`.
"""

from __future__ import annotations

import yaml
from integration_support import (
    AGGREGATOR_NAME,
    ANALYZERS_PATH,
    HARDWARE_STATUSES,
    MATCH_RULES,
    groups_of,
    load_analyzers,
)


def test_analyzers_file_is_keyed_by_the_aggregator_node_name() -> None:
    content = yaml.safe_load(ANALYZERS_PATH.read_text())
    assert list(content) == [AGGREGATOR_NAME]
    parameters = content[AGGREGATOR_NAME]["ros__parameters"]
    assert isinstance(parameters["path"], str) and parameters["path"]
    assert isinstance(parameters["pub_rate"], float)


def test_every_analyzer_is_a_generic_analyzer_with_a_path_a_rule_and_a_timeout() -> None:
    analyzers = load_analyzers()
    assert set(analyzers) == {"motors", "bus", "bridge"}
    for key, analyzer in analyzers.items():
        assert analyzer["type"] == "diagnostic_aggregator/GenericAnalyzer", key
        assert isinstance(analyzer["path"], str) and analyzer["path"], key
        assert any(rule in analyzer for rule in MATCH_RULES), key
        for rule in MATCH_RULES:
            values = analyzer.get(rule, [])
            assert isinstance(values, list), f"{key}.{rule} must be a string array"
            assert all(isinstance(v, str) and v for v in values), f"{key}.{rule}"
        # Diagnostics come at 1 Hz: a timeout under a few periods would flicker to stale.
        assert isinstance(analyzer["timeout"], float) and analyzer["timeout"] >= 3.0, key


def test_analyzers_put_each_agreed_status_name_in_exactly_its_group() -> None:
    for name in HARDWARE_STATUSES:
        expected = "Motors" if name.startswith("hardware_node: Motor ") else "Bus and control loop"
        assert groups_of(name) == [expected], name
    assert groups_of("bridge_node: database") == ["Bridge"]
    assert groups_of("some_other_node: Thing") == []
