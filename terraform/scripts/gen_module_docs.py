#!/usr/bin/env python3
"""Regenerate the inputs/outputs tables of every module README (terraform-docs style).

Where terraform-docs is installed, `terraform-docs markdown table --output-file README.md .` in a
module directory produces the same section; this script needs Python 3 only. It rewrites the part of
each README between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` and leaves the rest alone.

Usage: python3 terraform/scripts/gen_module_docs.py [--check]
"""
import pathlib
import re
import sys

MODULES = pathlib.Path(__file__).resolve().parent.parent / "modules"
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"


def blocks(text, kind):
    """Yield (name, body) for each top-level `kind "name" { ... }` block."""
    for m in re.finditer(r'^%s "([^"]+)" \{' % kind, text, re.M):
        depth, i = 0, m.end() - 1
        while True:
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            elif c == '"':  # skip strings (they may hold braces)
                i += 1
                while text[i] != '"':
                    i += 2 if text[i] == "\\" else 1
            i += 1
        yield m.group(1), text[m.end():i]


def attribute(body, key):
    """Text of a top-level attribute of a block body (single line, heredoc or bracketed)."""
    m = re.search(r"^  %s\s*=\s*" % key, body, re.M)
    if not m:
        return None
    rest = body[m.end():]
    if rest.startswith("<<-EOT"):
        end = rest.index("EOT", 6)
        return " ".join(line.strip() for line in rest[6:end].strip().splitlines())
    if rest[0] in "{[(" or re.match(r"\w+\(", rest):
        depth, i = 0, 0
        while True:
            if rest[i] in "{[(":
                depth += 1
            elif rest[i] in "}])":
                depth -= 1
                if depth == 0 and rest[i] != "(" and (i + 1 == len(rest) or rest[i + 1] == "\n"):
                    return rest[: i + 1]
            i += 1
    return rest.split("\n", 1)[0]


def unquote(s):
    s = s.strip()
    if s.startswith('"') and s.endswith('"'):
        s = s[1:-1].replace('\\"', '"')
    return s


def cell(s):
    return s.replace("|", "\\|").replace("\n", "<br>")


def section(module):
    variables = (module / "variables.tf").read_text()
    outputs = (module / "outputs.tf").read_text()
    lines = [BEGIN, "## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    for name, body in blocks(variables, "variable"):
        desc = unquote(attribute(body, "description") or "")
        typ = (attribute(body, "type") or "any").strip()
        default = attribute(body, "default")
        typ_cell = "`%s`" % typ if "\n" not in typ else "<pre>%s</pre>" % typ.replace("\n", "<br>")
        default_cell = "n/a" if default is None else ("`%s`" % default.strip() if "\n" not in default.strip() else "<pre>%s</pre>" % default.strip().replace("\n", "<br>"))
        lines.append("| `%s` | %s | %s | %s | %s |" % (name, cell(desc), cell(typ_cell), cell(default_cell), "no" if default is not None else "yes"))
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    for name, body in blocks(outputs, "output"):
        lines.append("| `%s` | %s |" % (name, cell(unquote(attribute(body, "description") or ""))))
    lines.append(END)
    return "\n".join(lines)


def main():
    check = "--check" in sys.argv
    stale = []
    for module in sorted(p for p in MODULES.iterdir() if p.is_dir()):
        readme = module / "README.md"
        text = readme.read_text() if readme.exists() else "# %s\n\n%s\n%s\n" % (module.name, BEGIN, END)
        if BEGIN not in text:
            text = text.rstrip() + "\n\n%s\n%s\n" % (BEGIN, END)
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        new = head + section(module) + tail
        if new != text:
            stale.append(module.name)
            if not check:
                readme.write_text(new)
    if check and stale:
        sys.exit("README inputs/outputs out of date: %s (run terraform/scripts/gen_module_docs.py)" % ", ".join(stale))


if __name__ == "__main__":
    main()
