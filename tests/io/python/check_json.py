"""Checks qforge-inspect's JSON document (gguf::print_json) against what the reference gguf-py reader sees in
the same GGUF file: header facts, every key with its type, count and value, every tensor.
Usage: check_json.py FILE.gguf FILE.json [FILE.gguf FILE.json ...]. Exit status 0 when everything matched."""
import json
import sys

import numpy as np

import gguf
from gguf import GGUFValueType as T

errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


def same(vtype, a, b):
    # JSON holds the shortest decimal that reads back as the same float32: compare as float32.
    if vtype == T.FLOAT32:
        return np.float32(a) == np.float32(b)
    return a == b


def check_file(path, json_path):
    reader = gguf.GGUFReader(path)
    with open(json_path, encoding="utf-8") as f:
        doc = json.load(f)
    check(doc["version"] == reader.fields["GGUF.version"].contents(), "version")
    check(doc["alignment"] == reader.alignment, "alignment")
    check(doc["data_offset"] == reader.data_offset, "data_offset")
    check(doc["size"] == len(reader.data), "size")
    keys = [k for k in reader.fields if not k.startswith("GGUF.")]
    check([m["key"] for m in doc["metadata"]] == keys, "key order")
    for m in doc["metadata"]:
        field = reader.fields.get(m["key"])
        if field is None:
            continue
        check(m["type"] == field.types[0].name, f"{m['key']}: type {m['type']} vs {field.types[0].name}")
        if field.types[0] != T.ARRAY:
            check(same(field.types[0], m["value"], field.contents()), f"{m['key']}: {m['value']!r} vs {field.contents()!r}")
            continue
        if m["count"] == 0:
            check(m["value"] == [], f"{m['key']}: empty array")
            continue
        sub = field.types[1]
        check(m["element_type"] == sub.name, f"{m['key']}: element type {m['element_type']} vs {sub.name}")
        if sub == T.ARRAY:
            continue  # gguf-py flattens nested arrays; their values are checked by check_ours.py
        got = field.contents()
        check(m["count"] == len(got) == len(m["value"]), f"{m['key']}: count")
        check(all(same(sub, a, b) for a, b in zip(m["value"], got)), f"{m['key']}: values differ")
    check(len(doc["tensors"]) == len(reader.tensors), "tensor count")
    for t, r in zip(doc["tensors"], reader.tensors):
        want = (r.name, int(r.tensor_type), r.tensor_type.name, r.shape.tolist(), int(r.n_elements), int(r.n_bytes), r.data_offset)
        got = (t["name"], t["type_id"], t["type"], t["shape"], t["elements"], t["bytes"], t["offset"])
        check(got == want, f"tensor {got} vs {want}")


for i in range(1, len(sys.argv), 2):
    n = len(errors)
    check_file(sys.argv[i], sys.argv[i + 1])
    errors[n:] = [f"{sys.argv[i]}: {e}" for e in errors[n:]]

for e in errors:
    print("MISMATCH:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
