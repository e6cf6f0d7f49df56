"""The transformers engine's methods, one file each (as the native runner's src/methods/): each module has NAME, PARAMS
(the parameter names it implements; the harness refuses any other before a run starts) and
prefill(engine, ids, params, phases) -> Prefill."""

from . import chunkkv, dense, gemfilter, h2o, knorm, observed, pyramidkv, random, snapkv, streamingllm, tova

METHODS = {m.NAME: m for m in (dense, gemfilter, snapkv, h2o, random, streamingllm, knorm, tova, observed, pyramidkv, chunkkv)}


def capabilities():
    """The hello's capabilities: the methods and, per method, the parameter names this engine implements, and the
    generate request's turns (server.py generate_turns)."""
    return {"methods": list(METHODS), "methodParams": {name: list(m.PARAMS) for name, m in METHODS.items()}, "presets": [],
            "turns": True, "turnModes": ["multi-request", "multi-turn"]}
