#!/usr/bin/env python3
"""Print the Markdown rules table of one tool from rules/<tool>/*.toml (used in the READMEs).

    python3 scripts/rules_table.py policy-lint
"""
import pathlib
import sys
import tomllib

tool = sys.argv[1] if len(sys.argv) > 1 else "policy-lint"
root = pathlib.Path(__file__).resolve().parent.parent / "rules" / tool
print("| code | name | category | severity | summary | PCI DSS v4 | CIS AWS | Security Hub |")
print("|---|---|---|---|---|---|---|---|")
for path in sorted(root.glob("*.toml")):
    r = tomllib.loads(path.read_text())
    c = r.get("compliance", {})
    cells = [r["code"], r["name"], r["category"], r["severity"], r["summary"].replace("|", "\\|"),
             ", ".join(c.get("pci_dss_v4", [])), ", ".join(c.get("cis_aws", [])), ", ".join(c.get("security_hub", []))]
    print("| " + " | ".join(cells) + " |")
