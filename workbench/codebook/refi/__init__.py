"""REFI-QDA codebook exchange (.qdc) and the XML, GUID and description helpers it shares with
the project format (workbench.exchange.refi builds .qdpx on these)."""
