"""The models' arithmetic: bfloat16 where the CPU multiplies it in hardware, float32 elsewhere.

Both models the app runs on every answer, the embedding model (bot/embeddings.py) and the claim
checker (bot/grading/claims.py), run in bfloat16 on a CPU with AVX-512 BF16 or AMX (read from
/proc/cpuinfo): about twice as fast, with the same grades to a few hundredths (docs/grading.md;
tests compare both with float32). Elsewhere bfloat16 would be emulated and slower. BOT_PRECISION
(`auto`, `float32`, `bfloat16`) chooses."""

from __future__ import annotations

import re
from pathlib import Path

CHOICES = ("auto", "float32", "bfloat16")


def native_bfloat16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    """Whether this CPU multiplies bfloat16 in hardware (AVX-512 BF16 or AMX); False when unknown."""
    try:
        return re.search(r"\b(?:avx512_bf16|amx_bf16)\b", cpuinfo.read_text(errors="replace")) is not None
    except OSError:
        return False


def resolve(precision: str) -> str:
    """"float32" or "bfloat16" for a setting of `auto`, `float32` or `bfloat16`."""
    if precision not in CHOICES:
        raise ValueError(f"precision {precision!r} is not one of {', '.join(CHOICES)}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision
