"""Ghost's redirects file (redirects.json or redirects.yaml) into Wagtail redirects.

Ghost's `from` is a regular expression; Wagtail's redirects match exact paths. A `from` that is a plain
path once its anchors (`^`, `$`) and escapes are taken off becomes a Wagtail redirect; a real pattern
(groups, wildcards, `$1` in `to`) cannot be one, and is reported with its line so it can be moved to
the web server's configuration.

redirects.json: `[{"from": "^/old/$", "to": "/new/", "permanent": true}, …]`
redirects.yaml: `301: {"/old/": "/new/"}` and `302: {…}`
"""

import json
import re
from pathlib import Path

import yaml
from wagtail.contrib.redirects.models import Redirect

from byline.porting.report import ImportFailed, Report, read_text

REGEX_SYNTAX = re.compile(r"(?<!\\)[\[\](){}*+?|.]|\\[dDwWsSbB]")


def read_rules(path: str | Path) -> list[tuple[str, str, bool]]:
    """[(from, to, permanent)] from a Ghost redirects file; ImportFailed when it is not one."""
    name = str(path)
    text = read_text(path, name, encoding_hint="Ghost's redirects files are UTF-8.")
    if name.endswith((".yaml", ".yml")):
        return _yaml_rules(text, name)
    return _json_rules(text, name)


def _json_rules(text: str, name: str):
    try:
        rules = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFailed(f"{name}: is not valid JSON (line {error.lineno}: {error.msg}).") from None
    if not isinstance(rules, list):
        raise ImportFailed(f'{name}: should be a list of {{"from": …, "to": …}} rules.')
    found = []
    for index, rule in enumerate(rules):
        if (
            not isinstance(rule, dict)
            or not isinstance(rule.get("from"), str)
            or not isinstance(rule.get("to"), str)
        ):
            raise ImportFailed(f'{name}: rule {index} needs "from" and "to" strings.')
        found.append((rule["from"], rule["to"], bool(rule.get("permanent", False))))
    return found


def _yaml_rules(text: str, name: str):
    try:
        document = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        raise ImportFailed(f"{name}: is not valid YAML ({error}).") from None
    if not isinstance(document, dict):
        raise ImportFailed(f"{name}: should map 301 and 302 to rules.")
    found = []
    for status, rules in document.items():
        if str(status) not in ("301", "302") or not isinstance(rules, dict):
            raise ImportFailed(f"{name}: {status!r} should be 301 or 302, each with from: to rules.")
        found += [(str(source), str(target), str(status) == "301") for source, target in rules.items()]
    return found


def plain_path(pattern: str) -> str | None:
    """The exact path a Ghost `from` pattern names, or None when it is a real regular expression."""
    path = pattern.removeprefix("^").removesuffix("$")
    if REGEX_SYNTAX.search(path):
        return None
    path = re.sub(r"\\(.)", r"\1", path)
    return path if path.startswith("/") else None


def import_rules(rules, report: Report, *, site=None) -> None:
    for index, (source, target, permanent) in enumerate(rules):
        where = f"redirects[{index}] {source}"
        path = plain_path(source)
        if path is None or "$" in target:
            report.problem(where, "from", "is a pattern; Wagtail redirects match exact paths (skipped)")
            report.count("redirect", "skipped")
            continue
        old_path = Redirect.normalise_path(path)
        if len(old_path) > 255:
            report.problem(where, "from", "is longer than 255 characters (skipped)")
            report.count("redirect", "skipped")
            continue
        if Redirect.objects.filter(old_path=old_path, site=site).exists():
            report.count("redirect", "existing")
            continue
        Redirect.add_redirect(old_path, redirect_to=target, is_permanent=permanent, site=site)
        report.count("redirect", "created")
