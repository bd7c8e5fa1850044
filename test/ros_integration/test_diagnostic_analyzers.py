"""config/analyzers.yaml is a diagnostic_aggregator file whose groups a reader can check by eye.

Each group takes the statuses whose names begin with one of its `startswith` prefixes; the
facts below hold in the file itself, without a model of the aggregator's matching. Which names
the stack really publishes is checked against a running stack in
test_stack_diagnostics_grouping.py.
"""

from __future__ import annotations

import yaml
from integration_support import AGGREGATOR_NAME, ANALYZER_KEYS, ANALYZERS_PATH, load_analyzers


def test_analyzers_file_is_keyed_by_the_aggregator_node_name() -> None:
    content = yaml.safe_load(ANALYZERS_PATH.read_text())
    assert list(content) == [AGGREGATOR_NAME]
    parameters = content[AGGREGATOR_NAME]["ros__parameters"]
    assert isinstance(parameters["path"], str) and parameters["path"]
    assert isinstance(parameters["pub_rate"], float)


def test_every_analyzer_is_a_generic_analyzer_grouping_by_prefix_with_a_timeout() -> None:
    analyzers = load_analyzers()
    assert set(analyzers) == {"motors", "bus", "bridge"}
    for key, analyzer in analyzers.items():
        assert analyzer["type"] == "diagnostic_aggregator/GenericAnalyzer", key
        assert isinstance(analyzer["path"], str) and analyzer["path"], key
        # Any other rule (contains, regex, name) would group names that no check here covers.
        assert set(analyzer) <= ANALYZER_KEYS, f"{key}: {set(analyzer) - ANALYZER_KEYS}"
        for rule in ("startswith", "remove_prefix", "expected"):
            values = analyzer.get(rule, [])
            assert isinstance(values, list), f"{key}.{rule} must be a string array"
            assert all(isinstance(v, str) and v for v in values), f"{key}.{rule}"
        assert analyzer["startswith"], key
        # Diagnostics come at 1 Hz: a timeout under a few periods would flicker to stale.
        assert isinstance(analyzer["timeout"], float) and analyzer["timeout"] >= 3.0, key


def test_no_prefix_of_one_group_overlaps_another_groups() -> None:
    # Two prefixes of different groups where one begins with the other would put a name in
    # both groups.
    owned = [(key, p) for key, a in load_analyzers().items() for p in a["startswith"]]
    for key, prefix in owned:
        for other, other_prefix in owned:
            if other != key:
                assert not prefix.startswith(other_prefix), (key, prefix, other, other_prefix)


def test_each_expected_name_falls_under_its_own_groups_prefix() -> None:
    for key, analyzer in load_analyzers().items():
        for name in analyzer.get("expected", []):
            assert any(name.startswith(p) for p in analyzer["startswith"]), (key, name)


def test_the_removed_prefix_begins_every_name_of_the_group() -> None:
    # rqt_robot_monitor shows the names without the node's prefix only if every name has it.
    for key, analyzer in load_analyzers().items():
        for removed in analyzer.get("remove_prefix", []):
            assert all(p.startswith(removed) for p in analyzer["startswith"]), (key, removed)
