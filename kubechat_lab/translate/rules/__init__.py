"""The offline ``rules`` translator: phrase rules, vocabulary and cluster inventory.

Where to look:

- :mod:`.translator` -- :class:`RulesTranslator`, the plugin (render, parse, explain).
- :mod:`.pipeline` -- :func:`understand`, the order in which a question is read.
- :mod:`.scan` -- the question as tokens; extractors *take* what they understood.
- :mod:`.lexicon` -- words: resource synonyms, stop words, number words, rewrites.
- :mod:`.intents` -- what the question asks to do (the ordered intent table).
- :mod:`.phrases` -- namespaces, output format, line counts, time windows.
- :mod:`.filters` -- sorting, states, nodes, containers, label and field selectors.
- :mod:`.objects` -- resources and names, resolved through the cluster inventory.
- :mod:`.draft` -- the :class:`Draft` the steps fill in.
- :mod:`.spelling` -- typos and shorthand, against the vocabulary and the inventory.
- :mod:`.refusals` -- the parts of a question kubechat never does (refuse, don't trim).
- :mod:`.followup` -- follow-up questions, read against the previous turn.
- :mod:`.write_values` -- counts, images, keys and taints a write needs.
- :mod:`.build_reads`, :mod:`.build_writes` -- a Draft becomes kubectl arguments, per intent.
"""

from __future__ import annotations

from kubechat_lab.translate.rules.pipeline import understand
from kubechat_lab.translate.rules.translator import RulesTranslator

__all__ = ["RulesTranslator", "understand"]
