"""Pure core: items, text analysis, watch rules, matching, summaries, clustering. No I/O."""
