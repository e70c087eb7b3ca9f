"""Dumps what the reference gguf-py reader sees in a GGUF file, one line per item, for comparison with ours:
`version V`, `alignment A`, `data_offset D`, `key <name> <TYPE[,SUBTYPE]> <element count or 1>` and
`tensor <name> <type id> <ne0,ne1,..> <absolute data offset> <n_bytes>`. Usage: dump_model.py FILE.gguf"""
import sys

import gguf
from gguf import GGUFValueType as T

r = gguf.GGUFReader(sys.argv[1])
print(f"version {r.fields['GGUF.version'].contents()}")
print(f"alignment {r.alignment}")
print(f"data_offset {r.data_offset}")
for name, f in r.fields.items():
    if name.startswith("GGUF."):
        continue
    types = ",".join(t.name for t in f.types[:2])
    count = len(f.data) if f.types[0] == T.ARRAY else 1
    print(f"key {name} {types} {count}")
for t in r.tensors:
    shape = ",".join(str(d) for d in t.shape.tolist())
    print(f"tensor {t.name} {int(t.tensor_type)} {shape} {t.data_offset} {t.n_bytes}")
