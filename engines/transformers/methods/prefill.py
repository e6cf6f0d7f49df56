"""What a method's prefill hands to the decoding loop (server.py)."""


class Prefill:
    def __init__(self, cache, logits, kept, next_position, selection, decode_hooks=None):
        self.cache = cache  # the DynamicCache decoding reads
        self.logits = logits  # [1, 1, vocab]: the logits of the prompt's last row
        self.kept = kept  # prompt rows held per cache head
        self.next_position = next_position  # the first generated token's position is this (dense: n; gemfilter: k')
        self.selection = selection  # the protocol's selection object
        self.decode_hooks = decode_hooks  # None, or a context manager factory wrapping every decode step (H2O eviction)
