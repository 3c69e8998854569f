"""What a DPO gets wrong in a policy file: the cross-reference and legal-consistency rules.

Pure functions over the document read from YAML (plain dicts and lists), so they also run — and report — when
the schema found other problems. Each rule yields :class:`~tutela.policy.loader.Issue` objects located by the
line map the loader built. :func:`validate_policy` runs them all.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from tutela.policy.loader import Issue, PathT, format_path, line_of, suggest
from tutela.policy.schema import Policy

#: European Economic Area: the EU 27 and Iceland, Liechtenstein, Norway (EEA Joint Committee Decision 154/2018)
EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
#: the request types the rights workflow knows; a right declared under another key would never be applied
KNOWN_RIGHTS = ("access", "rectification", "erasure", "objection", "restriction", "withdrawal", "portability")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@functools.cache
def fideslang_keys() -> dict[str, frozenset[str]]:
    """The data categories, uses and subjects of fideslang's default taxonomy."""
    from fideslang.default_taxonomy import DEFAULT_TAXONOMY

    return {
        "category": frozenset(c.fides_key for c in DEFAULT_TAXONOMY.data_category),
        "use": frozenset(u.fides_key for u in DEFAULT_TAXONOMY.data_use),
        "subject": frozenset(s.fides_key for s in DEFAULT_TAXONOMY.data_subject),
    }


class _Ctx:
    def __init__(self, data: dict[str, Any], lines: dict[PathT, int], filename: str) -> None:
        self.data = data
        self.lines = lines
        self.filename = filename

    def issue(self, path: PathT, message: str) -> Issue:
        return Issue(self.filename, line_of(self.lines, path), format_path(path), message)

    def section(self, name: str) -> dict[str, Any]:
        value = self.data.get(name)
        return value if isinstance(value, dict) else {}

    def keys(self, name: str) -> list[str]:
        return [k for k in self.section(name) if isinstance(k, str)]


def _items(value: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, dict):
                yield str(k), v


def _strs(value: Any) -> list[tuple[int, str]]:
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, str)]


def _unknown_ref(ctx: _Ctx, path: PathT, value: str, section: str, what: str) -> Issue:
    known = ctx.keys(section)
    return ctx.issue(
        path, f"unknown {what} `{value}`{suggest(value, known)}; declare it under `{section}:` first"
    )


def check_categories(ctx: _Ctx) -> Iterator[Issue]:
    fides = fideslang_keys()["category"]
    for key, cat in _items(ctx.data.get("categories")):
        path: PathT = ("categories", key)
        parent = cat.get("fideslang_parent")
        if key in fides:
            if parent:
                yield ctx.issue(
                    (*path, "fideslang_parent"),
                    f"`{key}` is already a fideslang key: remove `fideslang_parent`",
                )
            continue
        if not parent:
            yield ctx.issue(
                path,
                f"`{key}` is not a fideslang data category{suggest(key, fides)}; for a custom category add "
                "`fideslang_parent:` with the fideslang key it belongs under",
            )
            continue
        if parent not in fides:
            yield ctx.issue(
                (*path, "fideslang_parent"),
                f"`{parent}` is not a fideslang data category{suggest(str(parent), fides)}",
            )
        elif not key.startswith(f"{parent}."):
            yield ctx.issue(path, f"a custom key must start with its parent: `{parent}.…`")
    declared = set(ctx.keys("categories"))
    specials = {v for _, v in _strs(ctx.data.get("special_categories"))}
    for i, key in _strs(ctx.data.get("special_categories")):
        if key not in fides and key not in declared:
            yield ctx.issue(
                ("special_categories", i),
                f"unknown category `{key}`{suggest(key, fides | declared)}",
            )
    for key, cat in _items(ctx.data.get("categories")):
        if cat.get("special") and key not in specials:
            yield ctx.issue(
                ("categories", key, "special"),
                f"`{key}` is marked special but is not listed in `special_categories`",
            )


def _is_special(ctx: _Ctx, key: str) -> bool:
    specials = {v for _, v in _strs(ctx.data.get("special_categories"))}
    cats = ctx.section("categories")
    probe = key
    while probe:
        if probe in specials or (isinstance(cats.get(probe), dict) and cats[probe].get("special")):
            return True
        probe = probe.rpartition(".")[0]
    return False


def check_purposes(ctx: _Ctx) -> Iterator[Issue]:
    cats = set(ctx.keys("categories"))
    for key, p in _items(ctx.data.get("purposes")):
        path: PathT = ("purposes", key)
        for field, section, what in (
            ("controllers", "controllers", "controller"),
            ("subject_types", "subject_types", "subject type"),
            ("sources", "sources", "source"),
        ):
            for i, ref in _strs(p.get(field)):
                if ref not in ctx.section(section):
                    yield _unknown_ref(ctx, (*path, field, i), ref, section, what)
        if isinstance(p.get("controllers"), list) and not p["controllers"]:
            yield ctx.issue((*path, "controllers"), "a purpose needs at least one controller")
        for i, ref in _strs(p.get("categories")):
            if ref not in cats:
                yield _unknown_ref(ctx, (*path, "categories", i), ref, "categories", "category")
            elif _is_special(ctx, ref) and not p.get("legal_requirement"):
                yield ctx.issue(
                    (*path, "categories", i),
                    f"`{ref}` is a special category (§3: refused unless the law requires it): set "
                    "`legal_requirement:` to the law that requires it, or remove the category",
                )
        retention = p.get("retention")
        if "retention" in p and (not isinstance(retention, str) or not retention.strip()):
            yield ctx.issue((*path, "retention"), "a purpose needs a retention rule (a key of `retention:`)")
        elif isinstance(retention, str) and retention not in ctx.section("retention"):
            yield _unknown_ref(ctx, (*path, "retention"), retention, "retention", "retention rule")
        basis = p.get("legal_basis")
        if basis == "consent":
            consent = p.get("consent")
            if not isinstance(consent, dict):
                yield ctx.issue(
                    path,
                    "a consent purpose needs `consent:` with the `wording` people agree to and how they "
                    "`withdrawal` it",
                )
            else:
                if not str(consent.get("withdrawal") or "").strip():
                    yield ctx.issue(
                        (*path, "consent"),
                        "a consent purpose needs `withdrawal:` saying how people withdraw consent (Art. 7(3): as "
                        "easily as they gave it)",
                    )
                if not str(consent.get("wording") or "").strip():
                    yield ctx.issue(
                        (*path, "consent"), "a consent purpose needs the `wording` people agree to"
                    )
        elif isinstance(basis, str) and "consent" in p and p.get("consent") is not None:
            yield ctx.issue(
                (*path, "consent"),
                f"consent wording on a purpose whose legal basis is {basis}: remove it or change the basis",
            )
        if basis == "legitimate_interest":
            test = p.get("balancing_test")
            if not isinstance(test, dict) or not all(
                str(test.get(k) or "").strip() for k in ("interest", "necessity", "balance")
            ):
                yield ctx.issue(
                    path,
                    "a legitimate-interest purpose needs `balancing_test:` with `interest`, `necessity` and "
                    "`balance` (the record of the balancing test)",
                )
        if basis == "legal_obligation" and not str(p.get("legal_requirement") or "").strip():
            yield ctx.issue(path, "a legal-obligation purpose needs `legal_requirement:` naming the law")
        if p.get("direct_marketing") and p.get("objection") not in (None, "absolute"):
            yield ctx.issue(
                (*path, "objection"),
                "objection to direct marketing is absolute (Art. 21(2) and (3)): use `objection: absolute` or leave it out",
            )
        if p.get("objection") and basis in ("contract", "legal_obligation") and p.get("objection") != "none":
            yield ctx.issue(
                (*path, "objection"),
                f"the policy allows no objection against processing based on {basis} (§10.1 B)",
            )
        use = p.get("fideslang_use")
        if isinstance(use, str) and use not in fideslang_keys()["use"]:
            yield ctx.issue(
                (*path, "fideslang_use"),
                f"`{use}` is not a fideslang data use{suggest(use, fideslang_keys()['use'])}",
            )


def check_references(ctx: _Ctx) -> Iterator[Issue]:
    subjects = fideslang_keys()["subject"]
    for key, st in _items(ctx.data.get("subject_types")):
        ref = st.get("fideslang_subject")
        if isinstance(ref, str) and ref not in subjects:
            yield ctx.issue(
                ("subject_types", key, "fideslang_subject"),
                f"`{ref}` is not a fideslang data subject{suggest(ref, subjects)}",
            )
    for key, st in _items(ctx.data.get("subject_types")):
        for i, ref in _strs(st.get("collected_for")):
            path_cf: PathT = ("subject_types", key, "collected_for", i)
            purpose = ctx.section("purposes").get(ref)
            if purpose is None:
                yield _unknown_ref(ctx, path_cf, ref, "purposes", "purpose")
            elif isinstance(purpose, dict) and key not in (purpose.get("subject_types") or []):
                yield ctx.issue(
                    path_cf, f"purpose `{ref}` does not list subject type `{key}` in its subject_types"
                )
    for key, src in _items(ctx.data.get("sources")):
        for i, ref in _strs(src.get("subject_types")):
            if ref not in ctx.section("subject_types"):
                yield _unknown_ref(
                    ctx, ("sources", key, "subject_types", i), ref, "subject_types", "subject type"
                )
    mechanisms = {v for _, v in _strs(ctx.section("transfers").get("mechanisms"))}
    for key, rec in _items(ctx.data.get("recipients")):
        path: PathT = ("recipients", key)
        for i, ref in _strs(rec.get("purposes")):
            if ref not in ctx.section("purposes"):
                yield _unknown_ref(ctx, (*path, "purposes", i), ref, "purposes", "purpose")
        for i, ref in _strs(rec.get("categories")):
            if ref not in ctx.section("categories"):
                yield _unknown_ref(ctx, (*path, "categories", i), ref, "categories", "category")
        country = rec.get("country", "BE")
        mechanism = rec.get("transfer_mechanism")
        if isinstance(country, str) and country not in EEA and not mechanism:
            yield ctx.issue(
                path,
                f"recipient `{key}` is outside the EEA ({country}): set `transfer_mechanism:` (adequacy, scc, bcr "
                "or derogation, §11)",
            )
        if isinstance(mechanism, str) and mechanisms and mechanism not in mechanisms:
            yield ctx.issue(
                (*path, "transfer_mechanism"),
                f"`{mechanism}` is not one of the mechanisms the policy allows in `transfers.mechanisms` "
                f"({', '.join(sorted(mechanisms))})",
            )
    for key in ctx.keys("rights"):
        if key not in KNOWN_RIGHTS:
            yield ctx.issue(
                ("rights", key),
                f"unknown right `{key}`{suggest(key, KNOWN_RIGHTS)}; rights are {', '.join(KNOWN_RIGHTS)}",
            )
    for path, value in (
        (("dpo", "email"), ctx.section("dpo").get("email")),
        (("breach", "report_to"), ctx.section("breach").get("report_to")),
    ):
        if isinstance(value, str) and not EMAIL.match(value):
            yield ctx.issue(path, f"`{value}` is not an e-mail address")
    for i, lang in _strs(ctx.data.get("languages")):
        if lang not in ("en", "fr", "nl"):
            yield ctx.issue(("languages", i), f"`{lang}`: the notice exists in en, fr and nl")


def check_retention(ctx: _Ctx) -> Iterator[Issue]:
    """Every lifecycle ends in erasure or anonymisation: an archive is a phase with its own period, its
    grounds and its end, never a place data stay forever (§8, Art. 5(1)(e))."""
    for key, rule in _items(ctx.data.get("retention")):
        path: PathT = ("retention", key)
        archive = rule.get("archive")
        if rule.get("action") == "archive":
            if not isinstance(archive, dict):
                yield ctx.issue(
                    (*path, "action"),
                    f"rule `{key}` archives and never ends: add `archive:` with the `period` in the archive, "
                    "its `grounds` and `then: erase` or `then: anonymise`",
                )
                continue
            if archive.get("then") not in ("erase", "anonymise"):
                yield ctx.issue(
                    (*path, "archive", "then") if "then" in archive else (*path, "archive"),
                    f"the archive of rule `{key}` never ends: set `then: erase` or `then: anonymise`",
                )
            if not str(archive.get("period") or "").strip():
                yield ctx.issue((*path, "archive"), f"the archive of rule `{key}` needs a `period`")
        elif archive is not None and rule.get("action") in ("erase", "anonymise"):
            yield ctx.issue(
                (*path, "archive"),
                f"rule `{key}` does not archive (action {rule.get('action')}): remove `archive:` or use "
                "`action: archive`",
            )


def check_source_defaults(ctx: _Ctx) -> Iterator[Issue]:
    """A source's default purposes must be purposes that take data from that source."""
    for key, src in _items(ctx.data.get("sources")):
        for i, ref in _strs(src.get("collected_for")):
            path: PathT = ("sources", key, "collected_for", i)
            purpose = ctx.section("purposes").get(ref)
            if purpose is None:
                yield _unknown_ref(ctx, path, ref, "purposes", "purpose")
            elif isinstance(purpose, dict) and purpose.get("sources") and key not in purpose["sources"]:
                yield ctx.issue(path, f"purpose `{ref}` does not list source `{key}` in its sources")


def check_required_keys(ctx: _Ctx) -> Iterator[Issue]:
    """Sections that must not be empty: a policy without purposes or controllers enforces nothing."""
    for name in ("controllers", "subject_types", "categories", "purposes", "retention", "sources"):
        if name in ctx.data and isinstance(ctx.data[name], dict) and not ctx.data[name]:
            yield ctx.issue((name,), f"`{name}` is empty")


RULES = (
    check_required_keys,
    check_categories,
    check_purposes,
    check_references,
    check_retention,
    check_source_defaults,
)


def validate_policy(
    policy: Policy | None, *, data: dict[str, Any], lines: dict[PathT, int], filename: str
) -> list[Issue]:
    """Every cross-reference and consistency issue of a policy document (``policy`` is None on schema errors)."""
    ctx = _Ctx(data, lines, filename)
    issues: list[Issue] = []
    for rule in RULES:
        issues.extend(rule(ctx))
    return issues


def validate(text: str, *, filename: str = "<policy>") -> Any:
    """Check a policy text end to end (YAML, schema, these rules): a ``Checked`` with ``.valid`` and ``.issues``."""
    from tutela.policy.loader import check_policy_text

    return check_policy_text(text, filename=filename)
