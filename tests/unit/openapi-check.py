#!/usr/bin/python3
# roomrec — checks docs/openapi.yaml against the service's router.
# Copyright (C) 2026 roomrec contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks that docs/openapi.yaml is a sound OpenAPI 3.0.x document and that
it describes exactly the routes of `roomrec serve`, so that the document
cannot drift from the code.

Usage: openapi-check.py [--spec FILE] [--codes FILE] ROUTES

  ROUTES        the router's routes, one a line, "METHOD /path/{param}"
                (e.g. "GET /v1/tasks/{task_id}"); "A|B /path" stands for
                two lines; blank lines and lines starting with # are
                skipped; "-" reads standard input
  --spec FILE   the document (default: docs/openapi.yaml of this tree)
  --codes FILE  optional: the error codes the service can send, one a
                line ("InvalidParameter.RoomId"); then the set of codes
                in the document's enums must equal it

What is checked:
  - `openapi` is 3.0.x; `info.title`, `info.version` and `paths` exist;
  - the document is plain JSON data (string keys; no YAML dates, which
    an unquoted 2026-11-22T08:00:00Z would be);
  - every `$ref` is local ("#/...") and resolves;
  - every operation has at least one response, each response code is
    a status ("200", "4XX") or "default" and each response a description;
  - operationIds are unique; the path parameters of each operation are
    exactly the {names} of its path, each `required: true`;
  - security requirements name schemes of components.securitySchemes;
  - the (method, path) pairs equal those of ROUTES (and the codes those
    of --codes).

Exit status: 0 when all is well, 1 with one line per problem on standard
error, 2 for usage errors (missing files, PyYAML not installed).
"""
import argparse
import json
import os
import re
import sys

ME = "openapi-check"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CODE_RE = re.compile(r"^(InvalidParameter|FailedOperation|AuthFailure|InternalError)\.[A-Za-z]+$")
STATUS_RE = re.compile(r"^([1-5][0-9][0-9]|[1-5]XX|default)$")
PARAM_RE = re.compile(r"\{([^{}/]+)\}")


def fail_usage(msg):
    print(f"{ME}: {msg}", file=sys.stderr)
    sys.exit(2)


def load_yaml(path):
    try:
        import yaml
    except ImportError:
        fail_usage("PyYAML is missing: install the Debian package python3-yaml "
                   "(tools/install-deps.sh does)")
    try:
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except OSError as e:
        fail_usage(f"{path}: {e.strerror}")
    except yaml.YAMLError as e:
        print(f"{ME}: {path}: not valid YAML: {e}", file=sys.stderr)
        sys.exit(1)


def read_lines(path):
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
    except OSError as e:
        fail_usage(f"{path}: {e.strerror}")
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            yield n, line


def read_routes(path, problems):
    routes = set()
    for n, line in read_lines(path):
        parts = line.split()
        if len(parts) != 2 or not parts[1].startswith("/"):
            problems.append(f"{path}:{n}: expected 'METHOD /path', got {line!r}")
            continue
        for method in parts[0].split("|"):
            if method.lower() not in METHODS:
                problems.append(f"{path}:{n}: unknown method {method!r}")
                continue
            routes.add((method.upper(), parts[1]))
    return routes


def walk(node, where, visit):
    """Calls visit(node, where) for every value, depth first."""
    visit(node, where)
    if isinstance(node, dict):
        for k, v in node.items():
            k = str(k).replace("~", "~0").replace("/", "~1")
            walk(v, f"{where}/{k}", visit)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, f"{where}/{i}", visit)


def resolve(doc, ref):
    """The target of a local $ref, or raises KeyError with the reason."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise KeyError("only local references (#/...) are allowed")
    node = doc
    for token in ref[2:].split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            raise KeyError(f"{token!r} not found")
    return node


def deref(doc, node, depth=0):
    """node with $refs followed (errors are reported elsewhere)."""
    while isinstance(node, dict) and "$ref" in node and depth < 20:
        try:
            node = resolve(doc, node["$ref"])
        except KeyError:
            return {}
        depth += 1
    return node


def check_document(doc, problems):
    """Structure, references, operations.  Returns the (METHOD, path) set."""
    if not isinstance(doc, dict):
        problems.append("the document is not a mapping")
        return set()
    version = doc.get("openapi")
    if not isinstance(version, str) or not re.match(r"^3\.0\.[0-9]+$", version):
        problems.append(f"openapi: expected a 3.0.x version string, got {version!r}")
    info = doc.get("info")
    if not isinstance(info, dict) or not isinstance(info.get("title"), str) \
            or not isinstance(info.get("version"), str):
        problems.append("info: needs a string title and version")
    paths = doc.get("paths")
    if not isinstance(paths, dict) or not paths:
        problems.append("paths: missing or empty")
        return set()

    def plain_data(node, where):
        if isinstance(node, dict):
            for k in node:
                if not isinstance(k, str):
                    problems.append(f"{where}: key {k!r} is a {type(k).__name__}, "
                                    "not a string (quote it)")
        elif not isinstance(node, (list, str, int, float, bool, type(None))):
            problems.append(f"{where}: a YAML {type(node).__name__} is not JSON "
                            "data (quote it)")

    def refs(node, where):
        if isinstance(node, dict) and "$ref" in node:
            try:
                resolve(doc, node["$ref"])
            except KeyError as e:
                problems.append(f"{where}: $ref {node['$ref']!r} does not resolve: {e.args[0]}")

    walk(doc, "#", plain_data)
    walk(doc, "#", refs)

    schemes = set((doc.get("components") or {}).get("securitySchemes") or {})

    def check_security(reqs, where):
        if not isinstance(reqs, list):
            problems.append(f"{where}: security must be a list")
            return
        for req in reqs:
            for name in (req or {}):
                if name not in schemes:
                    problems.append(f"{where}: security scheme {name!r} is not in "
                                    "components.securitySchemes")

    if "security" in doc:
        check_security(doc["security"], "#/security")

    pairs = set()
    op_ids = {}
    for path, item in paths.items():
        where = f"paths {path}"
        if not isinstance(path, str) or not path.startswith("/"):
            problems.append(f"{where}: a path must start with /")
            continue
        item = deref(doc, item)
        if not isinstance(item, dict):
            problems.append(f"{where}: not a mapping")
            continue
        template = PARAM_RE.findall(path)
        if len(template) != len(set(template)):
            problems.append(f"{where}: a path parameter is named twice")
        path_level = item.get("parameters") or []
        ops = [m for m in item if m in METHODS]
        if not ops:
            problems.append(f"{where}: no operation")
        for method in ops:
            op = item[method]
            at = f"{method.upper()} {path}"
            pairs.add((method.upper(), path))
            if not isinstance(op, dict):
                problems.append(f"{at}: not a mapping")
                continue
            op_id = op.get("operationId")
            if op_id is not None:
                if op_id in op_ids:
                    problems.append(f"{at}: operationId {op_id!r} is also {op_ids[op_id]}'s")
                op_ids[op_id] = at
            responses = op.get("responses")
            if not isinstance(responses, dict) or not responses:
                problems.append(f"{at}: no responses")
            else:
                for code, resp in responses.items():
                    if not isinstance(code, str) or not STATUS_RE.match(code):
                        problems.append(f"{at}: response code {code!r} is not a "
                                        "quoted status (\"200\", \"4XX\") or default")
                    target = deref(doc, resp)
                    if target and not isinstance(target.get("description"), str):
                        problems.append(f"{at}: response {code}: no description")
            declared = {}
            for p in list(path_level) + list(op.get("parameters") or []):
                p = deref(doc, p)
                if isinstance(p, dict) and p.get("in") == "path":
                    declared[p.get("name")] = p
            for name in template:
                if name not in declared:
                    problems.append(f"{at}: path parameter {{{name}}} is not declared")
                elif declared[name].get("required") is not True:
                    problems.append(f"{at}: path parameter {name!r} needs required: true")
            for name in declared:
                if name not in template:
                    problems.append(f"{at}: path parameter {name!r} is not in the path")
            if "security" in op:
                check_security(op["security"], at)
    return pairs


def document_codes(doc):
    codes = set()

    def visit(node, where):
        if isinstance(node, dict) and isinstance(node.get("enum"), list):
            codes.update(v for v in node["enum"] if isinstance(v, str) and CODE_RE.match(v))

    walk(doc, "#", visit)
    return codes


def unnamed(path):
    return PARAM_RE.sub("{}", path)


def compare(what, spec_name, other_name, in_spec, in_other, fmt, problems):
    only_other = sorted(in_other - in_spec)
    only_spec = sorted(in_spec - in_other)
    if only_other:
        problems.append(f"{len(only_other)} {what} in {other_name} but not in {spec_name}:")
        problems.extend(f"    {fmt(x)}" for x in only_other)
    if only_spec:
        problems.append(f"{len(only_spec)} {what} in {spec_name} but not in {other_name}:")
        problems.extend(f"    {fmt(x)}" for x in only_spec)
    return only_other, only_spec


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(prog=ME, description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=os.path.join(here, "..", "..", "docs", "openapi.yaml"))
    ap.add_argument("--codes")
    ap.add_argument("routes")
    args = ap.parse_args()
    spec_name = os.path.relpath(args.spec) if not os.path.relpath(args.spec).startswith("..") \
        else args.spec

    problems = []
    doc = load_yaml(args.spec)
    pairs = check_document(doc, problems)
    routes = read_routes(args.routes, problems)
    if not routes:
        problems.append(f"{args.routes}: no routes")
    only_router, only_spec = compare("routes", spec_name, "the router (" + args.routes + ")",
                                     pairs, routes, lambda r: f"{r[0]} {r[1]}", problems)
    # A pair on both sides that differs only in parameter names is most
    # likely a rename: say so.
    for m, p in only_router:
        for m2, p2 in only_spec:
            if m == m2 and unnamed(p) == unnamed(p2):
                problems.append(f"    (hint: {m} {p} and {m2} {p2} differ only in "
                                "parameter names)")
    if args.codes:
        codes = {line for _, line in read_lines(args.codes)}
        for c in sorted(codes):
            if not CODE_RE.match(c):
                problems.append(f"{args.codes}: {c!r} is not a TRTC-form code")
        compare("error codes", spec_name, args.codes, document_codes(doc), codes,
                str, problems)

    if problems:
        print(f"{ME}: {spec_name}: {sum(not p.startswith('    ') for p in problems)} "
              "problem(s):", file=sys.stderr)
        for p in problems:
            print(f"{ME}: {p}", file=sys.stderr)
        return 1
    refs = []
    walk(doc, "#", lambda n, w: refs.append(1) if isinstance(n, dict) and "$ref" in n else None)
    print(f"{ME}: {spec_name}: OK: OpenAPI {doc['openapi']}, {len(pairs)} operations "
          f"= the router's routes, {len(refs)} $refs resolved"
          + (f", {len(document_codes(doc))} error codes" if args.codes else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
