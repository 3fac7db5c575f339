#!/usr/bin/env python3
"""The layer check: fails when a lower layer of the runtime imports a higher one.

The layers are DESIGN.md's, top-level modules of crates/ferrio/src ranked
from the bottom up. A module may use its own layer and those below it;
`crate::X` paths (in `use` lines or inline) naming a module of a higher
layer fail the check, and so do names the crate root re-exports from such a
module (`crate::sleep` is `time`'s). Comments and doc comments are not
code; test modules (`#[cfg(test)]` blocks, `tests.rs`) may use anything.

The one cycle allowed is the event loop and the task engine, which need each
other (the loop runs tasks, a task schedules itself on its loop): it is
documented in event_loop/mod.rs and task/engine/mod.rs.

Other crates of the workspace are checked too: ferrio-resilience,
ferrio-cli and ferrio-bench may use ferrio's public API only (no `__private`, no
`#[doc(hidden)]` entry points), and ferrio never depends on them.

Usage: python3 .ci/layers.py  (from the repository root; exit status 1 on a
violation, with one line per offence).
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "crates" / "ferrio" / "src"

# Bottom up. Modules of one rank may use each other only as the DAG below
# (ALLOWED_SAME_RANK) says; anything of a lower rank is always allowed.
RANKS = [
    ["loom"],                                   # std/loom shim
    ["reactor"],                                # 1. OS readiness
    ["event_loop", "task"],                     # 2-3. loop and task engine (one cycle, documented)
    ["time", "sync", "future", "blocking"],     # 4. primitives
    ["queue", "combinators", "task_group", "submit"],  # 4. primitives built on the ones above
    ["net", "stream", "process", "signal"],     # 5. I/O and the OS
    ["compat"],                                 # 5. other libraries' traits over the I/O types
    ["debug"],                                  # 6. diagnostics
    ["runner"],                                 # the entry point: uses every layer
    ["cores"],                                  # one runner per core
]

# Within a rank, which module may use which (a DAG).
ALLOWED_SAME_RANK = {
    ("event_loop", "task"),
    ("task", "event_loop"),
    ("blocking", "time"),
    ("combinators", "task_group"),
    ("stream", "net"),
    ("process", "stream"),
    ("process", "net"),
    ("process", "signal"),
    ("signal", "net"),
}

RANK = {m: i for i, mods in enumerate(RANKS) for m in mods}

# The workspace's crates, bottom up (DESIGN.md's layers 0-8): a crate may
# depend only on crates before it; those after `ferrio` use its public API
# only.
CRATES = ["ferrio-macros", "ferrio", "ferrio-resilience", "ferrio-cli", "ferrio-bench"]


def module_of(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def root_reexports() -> dict:
    """Names the crate root re-exports, mapped to the module they come from."""
    text = (SRC / "lib.rs").read_text()
    names = {}
    for m in re.finditer(r"pub use (\w+)::(\{[^}]*\}|\w+);", text, re.S):
        module, items = m.group(1), m.group(2)
        for item in re.findall(r"\w+", items):
            names[item] = module
    return names


def code_lines(path: pathlib.Path):
    """The lines of code of a file, without comments or test modules."""
    if path.name in ("tests.rs",) or path.stem.startswith("loom_tests"):
        return
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.startswith("#[cfg(") and "test" in stripped and (
            number < len(lines) and re.match(r"\s*(pub(\(crate\))? )?mod \w+", lines[number])
        ):
            return  # a test module: the rest of the file is tests
        if stripped.startswith("//"):
            continue
        yield number, line.split("//")[0]


def main() -> int:
    reexports = root_reexports()
    offences = []
    for path in sorted(SRC.rglob("*.rs")):
        if path.parent == SRC and path.name == "lib.rs":
            continue
        here = module_of(path)
        if here not in RANK:
            offences.append(f"{path.relative_to(ROOT)}: module `{here}` has no layer in .ci/layers.py")
            continue
        for number, line in code_lines(path):
            for m in re.finditer(r"crate::(\w+)", line):
                target = m.group(1)
                module = target if target in RANK else reexports.get(target)
                if module is None or module == here:
                    continue
                if RANK[module] > RANK[here] or (
                    RANK[module] == RANK[here] and (here, module) not in ALLOWED_SAME_RANK
                ):
                    offences.append(
                        f"{path.relative_to(ROOT)}:{number}: layer `{here}` uses `{module}` "
                        f"(crate::{target}), which is above it or beside it"
                    )
    for crate in CRATES[2:]:
        src = ROOT / "crates" / crate / "src"
        if not src.exists():
            continue
        for path in sorted(src.rglob("*.rs")):
            for number, line in code_lines(path):
                if "ferrio::__private" in line:
                    offences.append(
                        f"{path.relative_to(ROOT)}:{number}: uses ferrio's private entry points"
                    )
    for i, lower in enumerate(CRATES):
        manifest_path = ROOT / "crates" / lower / "Cargo.toml"
        if not manifest_path.exists():
            continue
        manifest = manifest_path.read_text()
        for upper in CRATES[i + 1:]:
            if re.search(rf"^{upper}\s*=", manifest, re.M):
                offences.append(
                    f"crates/{lower}/Cargo.toml: {lower} depends on {upper}, a crate above it"
                )
    for offence in offences:
        print(offence)
    if offences:
        print(f"layer check: {len(offences)} import(s) against the layers", file=sys.stderr)
        return 1
    print("layer check: every import runs down the layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
