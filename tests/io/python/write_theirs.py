"""Writes a GGUF file with the reference gguf-py GGUFWriter: metadata of every type (arrays of each, strings,
nested arrays) and tensors of several types. tests/io/gguf_python.cpp reads it and checks every value.
Usage: write_theirs.py OUT.gguf"""
import sys

import numpy as np

import gguf
from gguf import GGUFValueType as T

w = gguf.GGUFWriter(sys.argv[1], "testarch")
w.add_uint8("py.u8", 250)
w.add_int8("py.i8", -7)
w.add_uint16("py.u16", 65000)
w.add_int16("py.i16", -32000)
w.add_uint32("py.u32", 3000000000)
w.add_int32("py.i32", -123456789)
w.add_float32("py.f32", -0.125)
w.add_uint64("py.u64", 2**63 + 11)
w.add_int64("py.i64", -2**62 - 3)
w.add_float64("py.f64", 2.718281828459045)
w.add_bool("py.bool", True)
w.add_string("py.string", "ünïcode ✓")
w.add_key_value("py.arr_u8", [1, 2, 3], T.ARRAY, sub_type=T.UINT8)
w.add_key_value("py.arr_i16", [-5, 5], T.ARRAY, sub_type=T.INT16)
w.add_key_value("py.arr_u64", [2**64 - 1, 0], T.ARRAY, sub_type=T.UINT64)
w.add_key_value("py.arr_f64", [0.1, 0.2], T.ARRAY, sub_type=T.FLOAT64)
w.add_array("py.arr_i32", [10, -20, 30])
w.add_array("py.arr_f32", [1.5, 2.5])
w.add_array("py.arr_bool", [False, True])
w.add_array("py.arr_string", ["alpha", "", "γ"])
w.add_array("py.arr_nested", [[1, 2, 3], [4]])

x = (np.sin(np.arange(64 * 3, dtype=np.float32) * np.float32(0.37)) * np.float32(2.0)).astype(np.float32)
w.add_tensor("f32.weight", x.reshape(3, 64))
w.add_tensor("f16.weight", np.arange(8, dtype=np.float16).reshape(2, 4))
w.add_tensor("i32.index", np.array([7, -8, 9], dtype=np.int32))
q = gguf.quants.quantize(x.reshape(3, 64), gguf.GGMLQuantizationType.Q8_0)
w.add_tensor("q8.weight", q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)

w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
