"""`tutela policy …`: check, load, list, compare and render policy versions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from tutela.core.command import Result, TutelaCommand
from tutela.core.errors import InvalidInput


def _write_out(path: str, content: str) -> None:
    try:
        Path(path).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot write it ({exc.strerror or exc})") from None


class Command(TutelaCommand):
    help = "Check, load, list, compare and render the data-protection policy."

    def add_command_arguments(self, parser: CommandParser) -> None:
        subs = self.subparsers(parser)
        chk = subs.add_parser("check", help="validate a policy file (default: the active policy)")
        chk.add_argument("file", nargs="?", help="the policy YAML file")
        load = subs.add_parser("load", help="validate a policy file and make it the active version")
        load.add_argument("file", help="the policy YAML file")
        load.add_argument(
            "--substantial",
            action="store_true",
            help="a substantial change: the people concerned are told (§13)",
        )
        load.add_argument("--summary", default="", help="what changed, in a sentence or two")
        subs.add_parser("versions", help="list the stored policy versions")
        diff = subs.add_parser("diff", help="what changed between two versions")
        diff.add_argument("a", type=int, help="older version number")
        diff.add_argument("b", type=int, help="newer version number")
        render = subs.add_parser("render", help="the privacy notice generated from the policy")
        render.add_argument("--format", choices=("md", "html"), default="md")
        render.add_argument("--lang", choices=("en", "fr", "nl"), default="en")
        render.add_argument("--version", type=int, help="a stored version number (default: the active one)")
        render.add_argument("--out", help="write the notice to this file instead of standard output")

    def sub_check(self, **o: Any) -> Result:
        from tutela.policy.loader import Issue, check_policy_text, read_policy_path

        if o.get("file"):
            path = Path(o["file"])
            text, issues = read_policy_path(path)
            name = str(path)
        else:
            from django.db import DatabaseError

            from tutela.core.errors import NotFound
            from tutela.policy.selectors import active_version

            try:
                version = active_version()
            except DatabaseError:
                message = "no database yet: run `tutela init`, or give a policy FILE to check"
                text, issues, name = None, [Issue("<active policy>", None, "", message)], "<active policy>"
            except NotFound as exc:
                text, issues, name = (
                    None,
                    [Issue("<active policy>", None, "", exc.message)],
                    "<active policy>",
                )
            else:
                name = f"active policy (version {version.number}, {version.source_name or version.label})"
                text, issues = version.content, []
        if text is not None:
            checked = check_policy_text(text, filename=name)
            issues = checked.issues
            valid = checked.valid
        else:
            valid = False
        data = {"valid": valid, "errors": [i.as_dict() for i in issues]}
        if valid:
            return Result(data, f"{name}: valid")
        lines = [f"{name}: {len(issues)} problem{'s' if len(issues) != 1 else ''}"] + [
            f"  {i}" for i in issues
        ]
        return Result(data, "\n".join(lines), exit_code=2)

    def sub_load(self, **o: Any) -> Result:
        from tutela.policy.services import policy_load, read_policy_file

        path = Path(o["file"])
        text = read_policy_file(path)
        version = policy_load(
            text=text,
            source_name=path.name,
            substantial=bool(o.get("substantial")),
            change_summary=o.get("summary") or "",
        )
        data = {
            "version": version.number,
            "substantial": version.substantial,
            "label": version.label,
            "effective": version.effective.isoformat(),
            "hash": version.content_hash,
        }
        return Result(
            data,
            f"policy version {version.number} ({version.label}) is active"
            + (" — substantial change" if version.substantial else ""),
        )

    def sub_versions(self, **o: Any) -> Result:
        from tutela.policy.selectors import versions

        rows = [
            {
                "version": v.number,
                "label": v.label,
                "effective": v.effective.isoformat(),
                "loaded_at": v.loaded_at.isoformat(),
                "loaded_by": v.loaded_by,
                "substantial": v.substantial,
                "summary": v.change_summary,
                "hash": v.content_hash,
                "active": v.active,
            }
            for v in versions()
        ]

        lines = []
        for r in rows:
            flags = ", ".join(
                f for f, on in (("substantial", r["substantial"]), ("active", r["active"])) if on
            )
            lines.append(
                f"v{r['version']}  {r['label']}  effective {r['effective']}  loaded {str(r['loaded_at'])[:16]} "
                f"by {r['loaded_by']}" + (f"  [{flags}]" if flags else "")
            )
            if r["summary"]:
                lines.append(f"    {r['summary']}")
        text = "\n".join(lines) or "no policy version yet: run `tutela init` or `tutela policy load FILE`"
        return Result({"versions": rows}, text)

    def sub_diff(self, **o: Any) -> Result:
        from tutela.policy.selectors import version_diff

        result = version_diff(int(o["a"]), int(o["b"]))
        summary = result["summary"]
        assert isinstance(summary, list)
        text = str(result["diff"]) or "(the two versions have the same text)\n"
        text += "\nWhat changed:\n" + ("\n".join(f"  {s}" for s in summary) if summary else "  nothing")
        return Result(result, text)

    def sub_render(self, **o: Any) -> Result:
        from tutela.policy.notice import notice_render
        from tutela.policy.selectors import version_get, version_policy

        version = version_get(o.get("version"))
        policy = version_policy(version)
        content = notice_render(policy, o["format"], o["lang"], standalone=True)
        data: dict[str, Any] = {"format": o["format"], "lang": o["lang"], "version": version.number}
        if o.get("out"):
            _write_out(o["out"], content)
            data["path"] = o["out"]
            return Result(data, f"notice written to {o['out']}")
        data["content"] = content
        return Result(data, content)
