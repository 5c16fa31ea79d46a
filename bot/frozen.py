"""A transformer's forward pass as a frozen TorchScript graph (torch.jit.trace, then freeze): the same
numbers in about a tenth less time per call on this CPU, because the weights are folded into the graph
(README, Speed). The two models every answer runs through use it: the claim checker and the embedding
model. A model that cannot be traced runs as it is."""

from __future__ import annotations

import logging
import warnings

log = logging.getLogger(__name__)

# Batches are padded to a multiple of this many tokens. In bfloat16 the CPU's matrix kernels are compiled for
# each new shape the first time they meet it, and every answer brings new lengths: the app's first answers paid
# for it on most batches; rounded lengths come back far more often (README, Speed: session 24). Padding moves
# bfloat16 readings a little, so the shipped trust table is keyed by it (bot/grading/trust.py).
PAD_TO = 16


class Frozen:
    """Called with a tokenizer's batch `x` (the keys it was traced with): the traced model's output for it."""

    def __init__(self, graph, names: list[str]) -> None:
        self.graph, self.names = graph, names

    def __call__(self, x):
        return self.graph(*[x[k] for k in self.names])


def frozen(model, tokenizer, output: str, pairs: bool = False) -> Frozen | None:
    """The model's `output` ("logits", "last_hidden_state") as a frozen graph, or None if it cannot be traced.
    Traced on a padded batch, so the padding mask is part of the graph; the weights are copied into it, so
    later changes to `model` do not reach it."""
    import torch
    from transformers.utils import logging as hf_logging

    texts = ["a claim", "one two three four five six seven"]
    x = tokenizer(texts, ["a span of an answer", "eight"], padding=True, return_tensors="pt") if pairs else \
        tokenizer(texts, padding=True, return_tensors="pt")
    names = list(x.keys())

    class Output(torch.nn.Module):
        def __init__(self, m) -> None:
            super().__init__()
            self.m = m

        def forward(self, *tensors):
            return getattr(self.m(**dict(zip(names, tensors, strict=True))), output)

    verbosity = hf_logging.get_verbosity()
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            # TracerWarning: the model's checks of shapes and of a missing mask, constant for every batch it is given;
            # and transformers' notes on attributes the tracer reads (loss_type)
            warnings.simplefilter("ignore")
            hf_logging.set_verbosity_error()
            graph = torch.jit.trace(Output(model.eval()), tuple(x[k] for k in names), check_trace=False)
            return Frozen(torch.jit.freeze(graph.eval()), names)
    except Exception as exc:  # noqa: BLE001 - any failure leaves the model as it is, only slower
        log.warning("%s runs untraced (%s: %s).", type(model).__name__, type(exc).__name__, exc)
        return None
    finally:
        hf_logging.set_verbosity(verbosity)
