"""Property tests of the validator: any undeclared key is reported at its own line, duplicates always caught."""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.policy.helpers import line_containing, shipped_text
from tutela.policy.loader import check_policy_text, compose_document, format_path

TEXT = shipped_text()
DECLARED = set(yaml.safe_load(TEXT)["categories"])
ANCHOR = "    categories: [user.name, user.contact.email, user.demographic.language]\n    sources: [direct]\n    retention: newsletter"

segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=2, max_size=12)
category_key = st.lists(segment, min_size=2, max_size=4).map(".".join)


@settings(max_examples=40, deadline=None)
@given(key=category_key)
def test_an_undeclared_category_is_reported_at_its_line(key: str) -> None:
    text = TEXT.replace(
        ANCHOR, ANCHOR.replace("user.demographic.language]", f"user.demographic.language, {key}]"), 1
    )
    checked = check_policy_text(text, filename="p.yaml")
    if key in DECLARED:
        assert checked.valid
        return
    line = line_containing(text, f", {key}]")
    hits = [i for i in checked.issues if i.path == "purposes.newsletter.categories[3]"]
    assert hits and hits[0].line == line and key in hits[0].message


@settings(max_examples=30, deadline=None)
@given(keys=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=2, max_size=8))
def test_duplicate_keys_are_always_caught(keys: list[str]) -> None:
    text = "root:\n" + "".join(f"  {k}: {i}\n" for i, k in enumerate(keys))
    _, _lines, issues = compose_document(text, filename="x")
    duplicates = len(keys) - len(set(keys))
    assert len(issues) == duplicates
    for issue in issues:
        assert issue.message.startswith("duplicate key")
        assert text.splitlines()[issue.line - 1].strip().startswith(issue.path.split(".")[-1] + ":")  # type: ignore[operator]


def test_format_path() -> None:
    assert format_path(("purposes", "newsletter", "categories", 2)) == "purposes.newsletter.categories[2]"
    assert (
        format_path(("categories", "user.contact.email", "name")) == 'categories["user.contact.email"].name'
    )
    assert format_path(()) == ""
