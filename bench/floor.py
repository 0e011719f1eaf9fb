"""The floor: the least work any reader of these logs must do, to compare a scan against.

Reads every .jsonl file under ROOT in binary, splits it into lines, keeps only the lines that
contain b'"usage"' or b'"token_count"' and decodes each with msgspec. Prints one JSON object.

    <venv>/bin/python bench/floor.py ROOT
"""

from __future__ import annotations

import json
import os
import sys
import time

import msgspec


def main(root: str) -> int:
    decode = msgspec.json.decode
    start = time.perf_counter()
    nbytes = files = kept = decoded = failed = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                data = f.read()
            files += 1
            nbytes += len(data)
            for line in data.split(b"\n"):
                if b'"usage"' in line or b'"token_count"' in line:
                    kept += 1
                    try:
                        decode(line)
                        decoded += 1
                    except (msgspec.DecodeError, ValueError):
                        failed += 1
    seconds = round(time.perf_counter() - start, 4)
    print(json.dumps({"bytes": nbytes, "files": files, "usage_lines": kept, "decoded": decoded,
                      "failed": failed, "seconds_inside": seconds}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: floor.py ROOT", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
