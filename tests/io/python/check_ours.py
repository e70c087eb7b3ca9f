"""Reads a file written by qforge's gguf::writer (tests/io/gguf_test_files.hpp, rich_writer) with the reference
gguf-py reader and checks every key, type and value. Prints each tensor as
`tensor <name> <type id> <ne0,ne1,..> <absolute data offset> <hex bytes>` for the C++ side to compare.
Exit status 0 when everything matched; messages on stderr otherwise."""
import math
import sys

import numpy as np

import gguf
from gguf import GGUFValueType as T

path = sys.argv[1]
reader = gguf.GGUFReader(path)
errors = []


def check(cond, what):
    if not cond:
        errors.append(what)


# key -> (gguf-py type list, expected contents()). Must match rich_writer() in tests/io/gguf_test_files.hpp.
expected = {
    "general.architecture": ([T.STRING], "llama"),
    "test.u8": ([T.UINT8], 200),
    "test.i8": ([T.INT8], -100),
    "test.u16": ([T.UINT16], 60000),
    "test.i16": ([T.INT16], -30000),
    "test.u32": ([T.UINT32], 4000000000),
    "test.i32": ([T.INT32], -2000000000),
    "test.f32": ([T.FLOAT32], 3.25),
    "test.bool_true": ([T.BOOL], True),
    "test.bool_false": ([T.BOOL], False),
    "test.string": ([T.STRING], "héllo, \"world\"\n"),
    "test.empty_string": ([T.STRING], ""),
    "test.u64": ([T.UINT64], 18000000000000000000),
    "test.i64": ([T.INT64], -9000000000000000000),
    "test.f64": ([T.FLOAT64], -1.0e300),
    "test.arr_u8": ([T.ARRAY, T.UINT8], [0, 1, 255]),
    "test.arr_i8": ([T.ARRAY, T.INT8], [-128, 0, 127]),
    "test.arr_u16": ([T.ARRAY, T.UINT16], [1, 65535]),
    "test.arr_i16": ([T.ARRAY, T.INT16], [-32768, 32767]),
    "test.arr_u32": ([T.ARRAY, T.UINT32], [7, 8, 9]),
    "test.arr_i32": ([T.ARRAY, T.INT32], [-1, 2, -3]),
    "test.arr_f32": ([T.ARRAY, T.FLOAT32], [0.5, -1.5, float(np.float32(1e30))]),
    "test.arr_bool": ([T.ARRAY, T.BOOL], [True, False, True]),
    "test.arr_string": ([T.ARRAY, T.STRING], ["a", "", "<s>", "日本"]),
    "test.arr_u64": ([T.ARRAY, T.UINT64], [0, 2**64 - 1]),
    "test.arr_i64": ([T.ARRAY, T.INT64], [-2**63, 5]),
    "test.arr_f64": ([T.ARRAY, T.FLOAT64], [3.141592653589793, -0.0]),
}

keys = [k for k in reader.fields if not k.startswith("GGUF.")]
check(keys == list(expected) + ["test.arr_empty", "test.arr_nested"], f"key order: {keys}")
check(reader.fields["GGUF.version"].contents() == 3, "version")
check(reader.fields["GGUF.kv_count"].contents() == 29, "kv_count")
check(reader.fields["GGUF.tensor_count"].contents() == 4, "tensor_count")

for key, (types, value) in expected.items():
    field = reader.fields.get(key)
    if field is None:
        errors.append(f"{key}: missing")
        continue
    check(field.types == types, f"{key}: types {field.types} != {types}")
    got = field.contents()
    if isinstance(value, float):
        check(got == value, f"{key}: {got!r} != {value!r}")
    else:
        check(got == value, f"{key}: {got!r} != {value!r}")
check(math.copysign(1.0, reader.fields["test.arr_f64"].contents()[1]) < 0, "test.arr_f64[1] is -0.0")

# An empty FLOAT32 array: gguf-py records only the outer type for empty arrays.
empty = reader.fields["test.arr_empty"]
check(empty.types[0] == T.ARRAY and [p.tolist() for p in empty.parts[3:]] == [[6], [0]],
      f"test.arr_empty: {empty.types} {[p.tolist() for p in empty.parts]}")

# Nested arrays: gguf-py flattens them into parts; compare the parts after key length, key and type.
nested = reader.fields["test.arr_nested"]
check(nested.types[:2] == [T.ARRAY, T.ARRAY], f"test.arr_nested types {nested.types}")
parts = [p.tolist() for p in nested.parts[3:]]
want = [[9], [3],
        [5], [2], [1], [2],
        [8], [2], [1], list(b"x"), [2], list(b"yz"),
        [9], [1], [6], [1], [9.0]]
check(parts == want, f"test.arr_nested parts {parts}")

# Tensors: names, types, shapes (ne0 first) and sizes as our writer wrote them.
want_tensors = [("a.weight", 0, [32, 3], 384), ("b.weight", 8, [64, 2], 136),
                ("c.bias", 1, [5], 10), ("d.rank4", 26, [2, 1, 2, 3], 48)]
got_tensors = [(t.name, int(t.tensor_type), t.shape.tolist(), int(t.n_bytes)) for t in reader.tensors]
check(got_tensors == want_tensors, f"tensors {got_tensors}")
check(reader.alignment == 32, "alignment")
for t in reader.tensors:
    check(t.data_offset % 32 == 0, f"{t.name}: offset {t.data_offset} misaligned")
    raw = bytes(reader.data[t.data_offset:t.data_offset + t.n_bytes])
    shape = ",".join(str(d) for d in t.shape.tolist())
    print(f"tensor {t.name} {int(t.tensor_type)} {shape} {t.data_offset} {raw.hex()}")

for e in errors:
    print("MISMATCH:", e, file=sys.stderr)
sys.exit(1 if errors else 0)
