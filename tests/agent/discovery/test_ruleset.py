"""The rule files: the shipped ones load, and a bad one fails naming its file and rule."""

from __future__ import annotations

import re

import pytest

from agent.discovery.ruleset import FILES, RULES_DIR, RuleError, load_ruleset
from common.device_types import DEVICE_TYPES


def test_the_shipped_rules_load_with_unique_ids_and_known_types():
    ruleset = load_ruleset()
    assert len(ruleset.rules) > 100 and len(ruleset.probes) > 20
    assert len({rule.id for rule in ruleset.rules}) == len(ruleset.rules)
    assert {rule.device_type for rule in ruleset.rules} <= set(DEVICE_TYPES)
    assert sorted(path.name for path in RULES_DIR.glob("*.toml")) == sorted(FILES)  # none left unread


def _load(tmp_path, text: str, name: str = "one.toml"):
    (tmp_path / name).write_text(text)
    return load_ruleset(tmp_path, (name,))


GOOD = '[[rule]]\nid = "x"\ntype = "switch"\ndescr = "switch"\n'


@pytest.mark.parametrize("text, message", [
    ('[[rule]]\nid = "bad-regex"\ntype = "switch"\ndescr = "(unclosed"\n', "rule 'bad-regex': bad descr regex"),
    ('[[rule]]\nid = "bad-type"\ntype = "toaster"\ndescr = "x"\n', "rule 'bad-type': unknown type 'toaster'"),
    ('[[rule]]\nid = "bad-field"\ntype = "switch"\ndescrr = "x"\n', "rule 'bad-field': unknown field(s) descrr"),
    (GOOD + GOOD, "rule 'x': duplicate id"),
    ('[[rule]]\nid = "no-condition"\ntype = "switch"\n', "rule 'no-condition': no condition"),
    ('[[rule]]\nid = "bad-oid"\ntype = "switch"\noid = "1.3.six"\n', "rule 'bad-oid': oid must be dotted OIDs"),
    ('[[rule]]\nid = "bad-mib"\ntype = "switch"\nmib = "toaster"\n', "rule 'bad-mib': unknown mib"),
    ('[[rule]]\nid = "no-probe"\ntype = "pdu"\nprobe = "nowhere"\n', "rule 'no-probe': unknown probe(s) nowhere"),
    ('[[rule]]\nid = "Bad Id"\ntype = "switch"\ndescr = "x"\n', "rule 'Bad Id': id must be"),
    ('[[rule]]\nid = "bad-enterprise"\ntype = "switch"\nenterprise = ["nine"]\n', "enterprise must be enterprise numbers"),
    ('[[probe]]\nid = "everyone"\noid = "1.3.6.1.4.1.318.1.1.1"\n', "probe 'everyone': a probe needs an enterprise"),
    ('[[probe]]\nid = "bad-probe-oid"\noid = "x"\nenterprise = [318]\n', "probe 'bad-probe-oid': oid must be"),
    ('[[rules]]\nid = "x"\n', "unknown table(s) rules"),
    ('[[rule]\n', "one.toml"),
])
def test_a_bad_rule_file_is_refused_naming_file_and_rule(tmp_path, text, message):
    with pytest.raises(RuleError) as error:
        _load(tmp_path, text)
    assert message in str(error.value)
    assert "one.toml" in str(error.value)


def test_a_duplicate_id_across_files_names_both(tmp_path):
    (tmp_path / "a.toml").write_text(GOOD)
    (tmp_path / "b.toml").write_text(GOOD)
    with pytest.raises(RuleError, match=re.escape("b.toml: rule 'x': duplicate id (first in a.toml)")):
        load_ruleset(tmp_path, ("a.toml", "b.toml"))


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(RuleError, match="nothere.toml"):
        load_ruleset(tmp_path, ("nothere.toml",))
