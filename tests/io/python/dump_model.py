"""Dumps what the reference gguf-py reader sees in a GGUF file, one line per item, for comparison with ours:
`version V`, `alignment A`, `data_offset D`, `key <name> <TYPE[,SUBTYPE]> <element count or 1>` and
`tensor <name> <type id> <ne0,ne1,..> <absolute data offset> <n_bytes>`, each file after a line `file <path>`.
Usage: dump_model.py FILE.gguf [FILE.gguf ...]"""
import sys

import gguf
from gguf import GGUFValueType as T

for path in sys.argv[1:]:
    print(f"file {path}")
    r = gguf.GGUFReader(path)
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
